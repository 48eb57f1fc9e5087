"""No code of the project writes to a fixed path outside the checkout.

A test, tool or benchmark that writes to, say, `/tmp/something/` passes only on the machine where
that folder happens to exist (and leaks between runs and users). Files belong in the test
framework's temporary directories, `tempfile`, or `build/` in the checkout.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIRS = ("tests", "localdev", "tools", "benchmarks", "client", "lambda_src", "examples")
# Roots under which nothing of the project's may be written: a literal path here is one machine's.
WRITABLE_ROOTS = ("/tmp", "/var/tmp", "/var/lib", "/root", "/home", "/work", "/opt", "/srv", "/mnt")


def python_files() -> list[Path]:
    return sorted(
        path
        for directory in SOURCE_DIRS
        for path in (REPO_ROOT / directory).rglob("*.py")
        if "node_modules" not in path.parts and ".terraform" not in path.parts
    )


def fixed_paths(source: str) -> list[tuple[int, str]]:
    """(line, literal) of every string literal that names a path under a machine directory."""
    return [
        (node.lineno, node.value)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and any(node.value == root or node.value.startswith(root + "/") for root in WRITABLE_ROOTS)
    ]


# Read, never written: the Terraform provider mirror (`terraform init -plugin-dir`). This file
# names the roots themselves.
READ_ONLY = {"localdev/src/localdev/terraform.py": {"/opt/tf-plugins"}}
THIS_FILE = Path(__file__).resolve()


@pytest.mark.parametrize(
    "path",
    [path for path in python_files() if path != THIS_FILE],
    ids=lambda path: str(path.relative_to(REPO_ROOT)),
)
def test_no_literal_path_under_a_machine_directory(path: Path) -> None:
    allowed = READ_ONLY.get(str(path.relative_to(REPO_ROOT)), set())
    offending = [
        f"{path.relative_to(REPO_ROOT)}:{line}: {value!r}"
        for line, value in fixed_paths(path.read_text(encoding="utf-8"))
        if value not in allowed
    ]
    assert not offending, "\n".join(offending)


def test_the_check_finds_a_fixed_path() -> None:
    # The sample is only parsed, never run; its path is built so that no literal names one.
    fixed = WRITABLE_ROOTS[0] + "/adv/debug.log"
    source = f'import json\nwith open("{fixed}", "a") as f:\n    f.write("/import")\n'
    assert fixed_paths(source) == [(2, fixed)]
