"""The resume journal: one entry per API and file, atomic, forgotten on completion or abort."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from signed_import_client.journal import Journal, JournalEntry, default_directory
from signed_import_client.source import FileIdentity

API = "https://abc.execute-api.eu-west-1.amazonaws.com/v1/import"


def entry_for(path: Path, import_id: str = "id1", api: str = API) -> JournalEntry:
    return JournalEntry(
        import_url=api,
        path=Journal.canonical(path),
        import_id=import_id,
        identity=FileIdentity.of(path.stat()),
        part_size=16 * 2**20,
        part_count=3,
        content_type="text/csv",
        created_at=1.0,
    )


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "orders.csv"
    path.write_bytes(b"a,b\n" * 100)
    return path


def test_an_entry_is_found_by_api_and_path(tmp_path: Path, data: Path) -> None:
    journal = Journal(tmp_path / "state")
    journal.save(entry_for(data))

    assert journal.find(API, data) == entry_for(data)
    # The same file through a relative path or a symlink is the same file.
    link = tmp_path / "link.csv"
    link.symlink_to(data)
    assert journal.find(API, link) == entry_for(data)
    os.chdir(tmp_path)
    assert journal.find(API, "orders.csv") == entry_for(data)
    # Another API, or another file, has no entry.
    assert journal.find(API.replace("abc", "xyz"), data) is None
    assert journal.find(API, tmp_path / "other.csv") is None


def test_saving_again_replaces_the_entry(tmp_path: Path, data: Path) -> None:
    journal = Journal(tmp_path / "state")
    journal.save(entry_for(data, "first"))
    journal.save(entry_for(data, "second"))

    found = journal.find(API, data)
    assert found is not None
    assert found.import_id == "second"
    assert len(journal.entries()) == 1
    assert not list((tmp_path / "state").glob(".entry-*"))  # no temporary file left


def test_the_recorded_identity_tells_a_changed_file(tmp_path: Path, data: Path) -> None:
    journal = Journal(tmp_path / "state")
    journal.save(entry_for(data))
    with data.open("ab") as stream:
        stream.write(b"1,2\n")

    found = journal.find(API, data)
    assert found is not None
    assert found.identity != FileIdentity.of(data.stat())
    assert found.identity.size + 4 == data.stat().st_size


def test_remove_and_remove_import(tmp_path: Path, data: Path) -> None:
    journal = Journal(tmp_path / "state")
    other = tmp_path / "other.csv"
    other.write_bytes(b"x")
    journal.save(entry_for(data, "one"))
    journal.save(entry_for(other, "two"))

    journal.remove(API, data)
    assert journal.find(API, data) is None
    journal.remove(API, data)  # removing what is gone is fine

    assert journal.remove_import("two") == 1
    assert journal.find(API, other) is None
    assert journal.remove_import("two") == 0


@pytest.mark.parametrize(
    "content",
    ["{not json", "[]", '{"version": 99}', '{"version": 1, "import_id": "x"}'],
)
def test_an_unreadable_entry_counts_as_none(tmp_path: Path, data: Path, content: str) -> None:
    journal = Journal(tmp_path / "state")
    journal.save(entry_for(data))
    [file] = journal.entries()
    file.write_text(content)

    assert journal.find(API, data) is None


def test_entries_are_private_json(tmp_path: Path, data: Path) -> None:
    journal = Journal(tmp_path / "state")
    journal.save(entry_for(data))
    [file] = journal.entries()

    assert json.loads(file.read_text())["import_id"] == "id1"
    assert (tmp_path / "state").stat().st_mode & 0o077 == 0


def test_the_directory_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SIGNED_IMPORT_STATE_DIR", str(tmp_path / "explicit"))
    assert default_directory() == tmp_path / "explicit"
    monkeypatch.delenv("SIGNED_IMPORT_STATE_DIR")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert default_directory() == tmp_path / "xdg" / "signed-import"
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_directory() == tmp_path / "home" / ".local" / "state" / "signed-import"
