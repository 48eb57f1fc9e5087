"""Which files a batch takes: directories walked by name, globs, symbolic links, special files;
and the batch record read back after a crash."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from signed_import_client.batch import BatchProgress
from signed_import_client.batch_display import BatchLines
from signed_import_client.batch_record import BatchRecord, RecordedFile
from signed_import_client.discovery import find_files, matches
from signed_import_client.errors import ConfigurationError
from signed_import_client.source import FileIdentity


def touch(root: Path, *relatives: str) -> None:
    for relative in relatives:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(relative.encode())


def relatives(root: Path, **options: object) -> list[str]:
    return [f.relative for f in find_files([str(root)], recursive=True, **options).files]  # type: ignore[arg-type]


def test_a_directory_is_walked_by_name_at_any_depth(tmp_path: Path) -> None:
    touch(tmp_path, "b.csv", "a/z.csv", "a/b/c.json", "A.csv")

    found = find_files([str(tmp_path)], recursive=True)

    # by name, a directory's own files before its subdirectories'
    assert [f.relative for f in found.files] == ["A.csv", "b.csv", "a/z.csv", "a/b/c.json"]
    assert found.total_bytes == sum(len(r) for r in ("b.csv", "a/z.csv", "a/b/c.json", "A.csv"))


@pytest.mark.parametrize(
    ("include", "exclude", "expected"),
    [
        ((), (), ["x.csv", "2026/y.csv", "2026/z.tmp"]),
        (("*.csv",), (), ["x.csv", "2026/y.csv"]),  # a name pattern matches at any depth
        (("2026/*",), (), ["2026/y.csv", "2026/z.tmp"]),
        ((), ("*.tmp",), ["x.csv", "2026/y.csv"]),
        (("*.csv", "*.tmp"), ("2026/*",), ["x.csv"]),  # exclude wins
    ],
)
def test_globs_choose_files_by_their_path_below_the_directory(
    tmp_path: Path, include: tuple[str, ...], exclude: tuple[str, ...], expected: list[str]
) -> None:
    touch(tmp_path, "x.csv", "2026/y.csv", "2026/z.tmp")

    found = find_files([str(tmp_path)], recursive=True, include=include, exclude=exclude)

    assert sorted(f.relative for f in found.files) == sorted(expected)
    assert found.excluded == 3 - len(expected)


def test_a_glob_is_case_sensitive() -> None:
    assert matches("a/B.CSV", ["*.CSV"])
    assert not matches("a/B.CSV", ["*.csv"])


def test_symbolic_links_are_skipped_unless_followed(tmp_path: Path) -> None:
    touch(tmp_path, "data/a.csv", "elsewhere/b.csv")
    (tmp_path / "data" / "link.csv").symlink_to(tmp_path / "elsewhere" / "b.csv")
    (tmp_path / "data" / "dir").symlink_to(tmp_path / "elsewhere")

    skipped = find_files([str(tmp_path / "data")], recursive=True)
    followed = relatives(tmp_path / "data", follow_symlinks=True)

    assert [f.relative for f in skipped.files] == ["a.csv"]
    assert skipped.skipped_links == 2
    assert followed == ["a.csv", "link.csv"]  # dir/b.csv is the same file: sent once


def test_a_link_loop_is_walked_once(tmp_path: Path) -> None:
    touch(tmp_path, "d/a.csv")
    (tmp_path / "d" / "loop").symlink_to(tmp_path / "d")

    assert relatives(tmp_path / "d", follow_symlinks=True) == ["a.csv"]


def test_a_link_named_on_the_command_line_is_taken(tmp_path: Path) -> None:
    touch(tmp_path, "real.csv")
    (tmp_path / "named.csv").symlink_to(tmp_path / "real.csv")

    found = find_files([str(tmp_path / "named.csv")])

    assert [(f.relative, f.size) for f in found.files] == [("named.csv", len("real.csv"))]


def test_special_files_are_skipped(tmp_path: Path) -> None:
    touch(tmp_path, "a.csv")
    os.mkfifo(tmp_path / "pipe")

    found = find_files([str(tmp_path)], recursive=True)

    assert ([f.relative for f in found.files], found.skipped_special) == (["a.csv"], 1)


def test_a_file_named_twice_is_taken_once(tmp_path: Path) -> None:
    touch(tmp_path, "d/a.csv")

    found = find_files([str(tmp_path / "d"), str(tmp_path / "d" / "a.csv")], recursive=True)

    assert len(found.files) == 1


@pytest.mark.parametrize("name", ["missing", "dir"])
def test_a_path_that_cannot_be_taken_is_a_usage_error(tmp_path: Path, name: str) -> None:
    (tmp_path / "dir").mkdir()

    with pytest.raises(ConfigurationError, match=name):
        find_files([str(tmp_path / name)])  # a directory without recursive


def test_the_record_survives_a_torn_last_line(tmp_path: Path) -> None:
    record = BatchRecord("https://api.test/v1/import", [str(tmp_path)], tmp_path / "state")
    identity = FileIdentity(1, 2, 3, 4)
    record.write(RecordedFile("/a", identity, "id1", "started"))
    record.write(RecordedFile("/a", identity, "id1", "complete", "imports/k"))
    record.write(RecordedFile("/b", identity, "id2", "started"))
    record.close()
    with record.file.open("a") as stream:
        stream.write('{"path":"/b","identity":{"dev')  # a crash mid-line

    loaded = record.load()

    assert loaded["/a"] == RecordedFile("/a", identity, "id1", "complete", "imports/k")
    assert loaded["/b"].state == "started"


def test_a_record_belongs_to_its_api_and_paths(tmp_path: Path) -> None:
    def file(url: str, *paths: str) -> Path:
        return BatchRecord(url, list(paths), tmp_path).file

    assert file("https://a/import", "x", "y") == file("https://a/import", "y", "x")
    assert file("https://a/import", "x") != file("https://b/import", "x")
    assert file("https://a/import", "x") != file("https://a/import", "x", "y")


def test_a_log_gets_a_line_with_files_bytes_rate_eta_and_failures() -> None:
    stream = io.StringIO()
    lines = BatchLines(stream, interval=0)

    lines(BatchProgress(10, 4, 1, 10 * 1024**2, 4 * 1024**2, 2.0))

    assert stream.getvalue().strip() == (
        "4/10 files, 1 failed, 4.0 MiB of 10.0 MiB, 2.0 MiB/s, ETA 0:00:03"
    )
