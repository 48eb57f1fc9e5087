"""What a person is told about an upload: an empty file, "verified by S3" only when S3 said so,
the wait while S3 assembles, and an import that was already complete."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from fake_module import API, MIB, FakeModule, random_file
from signed_import_client.checksums import crc64nvme, to_b64
from signed_import_client.cli import _human
from signed_import_client.display import BarProgress, LineProgress
from signed_import_client.journal import Journal, JournalEntry
from signed_import_client.results import Progress
from signed_import_client.source import FileIdentity
from signed_import_client.uploader import Uploader


def uploader(module: FakeModule, journal: Journal | None = None) -> Uploader:
    return Uploader(API, concurrency=2, journal=journal, http=module.client())


def test_an_empty_file_is_imported_in_one_put(tmp_path: Path) -> None:
    module = FakeModule()
    (tmp_path / "marker").write_bytes(b"")
    lines, screen = io.StringIO(), io.StringIO()
    plain, bar = LineProgress(lines), BarProgress(Console(file=screen, force_terminal=True))

    def both(event: Progress) -> None:
        plain(event)
        bar(event)

    result = uploader(module).upload(tmp_path / "marker", progress=both)
    bar.close()

    assert (result.size, result.method) == (0, "PUT")
    assert lines.getvalue().splitlines()[-1].startswith("  0 B of 0 B (100%)")
    assert "0 B in one PUT" in screen.getvalue()
    assert module.imports["id1"].stored == b""
    assert result.checksum_crc64nvme == to_b64(crc64nvme(b"")) == "AAAAAAAAAAA="
    assert "complete: imports/id1" in _human(result)


@pytest.mark.parametrize(
    ("size", "method"), [pytest.param(3 * MIB, "PUT"), pytest.param(11 * MIB, "MULTIPART")]
)
@pytest.mark.parametrize("reports", [True, False], ids=["s3-reports-crc", "emulator-silent"])
def test_verified_by_s3_only_when_s3_answered_its_crc(
    tmp_path: Path, size: int, method: str, reports: bool
) -> None:
    module = FakeModule(reports_checksums=reports)
    data = random_file(tmp_path / "data.bin", size)

    result = uploader(module).upload(tmp_path / "data.bin")

    assert result.method == method
    assert result.checksum_crc64nvme == to_b64(crc64nvme(data))
    assert result.checksum_verified is reports
    assert result.to_json()["checksum_verified"] is reports
    human = _human(result)
    if reports:
        assert f"{result.checksum_crc64nvme} (verified by S3)" in human
    else:
        assert f"{result.checksum_crc64nvme} (declared; S3 reported none back)" in human
        assert "verified" not in human


def test_progress_says_s3_is_assembling_after_the_last_part(tmp_path: Path) -> None:
    module = FakeModule()
    random_file(tmp_path / "data.bin", 11 * MIB)
    events: list[Progress] = []

    uploader(module).upload(tmp_path / "data.bin", progress=events.append)

    completing = [e for e in events if e.event == "completing"]
    assert len(completing) == 1
    assert events.index(completing[0]) == len(events) - 1  # after every part, nothing after
    assert (completing[0].done, completing[0].parts_done) == (11 * MIB, 3)
    # The completion call itself comes after the event (S3 assembles during that call).
    assert module.calls[-1] == f"POST {API}/id1/complete"

    lines = io.StringIO()
    plain = LineProgress(lines, interval=3600)
    for event in events:
        plain(event)
    printed = lines.getvalue().splitlines()
    assert printed[-2].startswith("  11.0 MiB of 11.0 MiB (100%), 3/3 parts")
    assert printed[-1] == "  all 3 parts stored; S3 is assembling 11.0 MiB…"

    screen = io.StringIO()
    bar = BarProgress(Console(file=screen, force_terminal=True, width=120))
    for event in events:
        bar(event)
    bar.close()
    assert "all 3 parts stored; S3 is assembling 11.0 MiB" in screen.getvalue()


def test_an_import_completed_earlier_is_reported_as_such(tmp_path: Path) -> None:
    module = FakeModule()
    path = tmp_path / "data.bin"
    random_file(path, 11 * MIB)
    journal = Journal(tmp_path / "state")
    first = uploader(module, journal).upload(path)
    # The first run was stopped after S3 completed the import but before the journal forgot it.
    journal.save(
        JournalEntry(
            import_url=API,
            path=Journal.canonical(path),
            import_id=first.import_id,
            identity=FileIdentity.of(path.stat()),
            part_size=first.part_size or 0,
            part_count=first.part_count,
            content_type="application/octet-stream",
            created_at=0.0,
        )
    )
    calls = len(module.calls)

    again = uploader(module, journal).upload(path)

    assert again.already_complete
    assert (again.import_id, again.size, again.parts_uploaded) == (first.import_id, 11 * MIB, 0)
    assert not [c for c in module.calls[calls:] if c.startswith("PUT")]  # nothing sent
    assert journal.find(API, path) is None
    human = _human(again)
    assert human.splitlines()[0] == f"already complete: {first.key}"
    assert "nothing sent: this import was completed earlier" in human
    assert "parts of ?" not in human
    assert "/s" not in human  # no rate for bytes that were not sent now
    assert f"{first.checksum_crc64nvme} (as S3 stored it)" in human
    machine = json.loads(json.dumps(again.to_json()))
    assert (machine["already_complete"], machine["bytes_per_second"]) == (True, None)
