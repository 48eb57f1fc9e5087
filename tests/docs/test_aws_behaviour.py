"""docs/aws-behaviour.md names tests and files: every one of them exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "aws-behaviour.md"
# `path`, `path::test_name`, or `::test_name` for the path named last (a trailing * stands for
# a family of tests).
REFERENCE = re.compile(r"`((?:tests|client|tools|examples)/[\w./-]+)?(?:::(\w+\*?))?`")


def references() -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []
    last_path: str | None = None
    for match in REFERENCE.finditer(DOC.read_text(encoding="utf-8")):
        path, test = match.group(1), match.group(2)
        if path is None and test is None:
            continue
        if path is None:
            assert last_path is not None, f"::{test} names no file before it"
            path = last_path
        last_path = path
        found.append((path, test))
    return found


def test_every_named_file_and_test_exists() -> None:
    missing = []
    refs = references()
    assert len(refs) > 20, "the document should name the tests that show each behaviour"
    for path, test in refs:
        file = ROOT / path
        if not file.exists():
            missing.append(path)
            continue
        if test is not None:
            pattern = re.escape(test.rstrip("*")) + (r"\w*" if test.endswith("*") else r"\b")
            if not re.search(rf"^def {pattern}", file.read_text(encoding="utf-8"), re.MULTILINE):
                missing.append(f"{path}::{test}")
    assert not missing, missing
