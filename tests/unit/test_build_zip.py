"""tools/build_zip.py: same sources give the same bytes, and the zip is an importable package."""

from __future__ import annotations

import compileall
import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from build_zip import build

from .helpers import FUNCTION_ENV

ROOT = Path(__file__).resolve().parents[2]
LAMBDA_SRC = ROOT / "lambda_src"


def entries(archive: Path) -> list[zipfile.ZipInfo]:
    with zipfile.ZipFile(archive) as zf:
        return zf.infolist()


@pytest.fixture
def package(tmp_path: Path) -> Path:
    output = tmp_path / "dist" / "signer.zip"
    build(LAMBDA_SRC, output)
    return output


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    first = build(LAMBDA_SRC, tmp_path / "a.zip")
    second = build(LAMBDA_SRC, tmp_path / "b.zip")

    assert first == second
    assert first == hashlib.sha256((tmp_path / "a.zip").read_bytes()).hexdigest()
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()


def test_build_ignores_mtimes_modes_and_bytecode(tmp_path: Path) -> None:
    """A checkout with other timestamps, permissions and __pycache__ builds the same zip."""
    copy = tmp_path / "src"
    shutil.copytree(LAMBDA_SRC, copy, ignore=shutil.ignore_patterns("__pycache__"))
    for index, path in enumerate(sorted(copy.rglob("*.py"))):
        os.utime(path, (1_000_000_000 + index, 1_700_000_000 + index))
        path.chmod(0o600 if index % 2 else 0o755)
    assert compileall.compile_dir(copy, quiet=1)
    assert list(copy.rglob("__pycache__/*.pyc"))

    assert build(copy, tmp_path / "copy.zip") == build(LAMBDA_SRC, tmp_path / "original.zip")


def test_entries_are_sorted_sources_with_fixed_metadata(package: Path) -> None:
    infos = entries(package)
    names = [info.filename for info in infos]

    assert names == sorted(names)
    assert "signed_import/__init__.py" in names
    assert "signed_import/handler.py" in names
    assert all(name.startswith("signed_import/") and name.endswith(".py") for name in names)
    assert not any("__pycache__" in name or name.endswith(".pyc") for name in names)
    for info in infos:
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert info.external_attr >> 16 == 0o100644
        assert info.compress_type == zipfile.ZIP_STORED


def test_zip_holds_exactly_the_sources(package: Path) -> None:
    with zipfile.ZipFile(package) as zf:
        for name in zf.namelist():
            assert zf.read(name) == (LAMBDA_SRC / name).read_bytes()
        assert {LAMBDA_SRC / name for name in zf.namelist()} == set(
            (LAMBDA_SRC / "signed_import").glob("*.py")
        )


def test_handler_imports_from_the_zip(package: Path, tmp_path: Path) -> None:
    """As Lambda does: the zip alone on the path (boto3 from the runtime), settings from env."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(package),
        "PYTHONDONTWRITEBYTECODE": "1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(tmp_path / "missing"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "missing"),
        **FUNCTION_ENV,
    }
    script = "import signed_import.handler as h; print(h.__file__); print(h.SETTINGS.bucket)"

    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    module_file, bucket = result.stdout.splitlines()
    assert module_file == str(package / "signed_import" / "handler.py")
    assert bucket == FUNCTION_ENV["BUCKET_NAME"]


def test_cli_prints_the_sha256_and_path(tmp_path: Path) -> None:
    output = tmp_path / "out" / "signer.zip"

    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "build_zip.py"), str(LAMBDA_SRC), str(output)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )

    digest = hashlib.sha256(output.read_bytes()).hexdigest()
    assert result.stdout == f"{digest}  {output}\n"
