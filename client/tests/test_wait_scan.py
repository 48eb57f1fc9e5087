"""`upload --wait-scan` and `status` with the module's malware scanning: the CLI waits for
GuardDuty's result after the upload and exits 0 only for a clean file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from fake_module import API, FakeModule, Import, random_file
from signed_import_client.cli import EXIT_OK, EXIT_SCAN, EXIT_USAGE, main
from signed_import_client.errors import ScanNotFinished
from signed_import_client.retry import RetryPolicy
from signed_import_client.uploader import Uploader

FAST = RetryPolicy(attempts=2, base=0.001, cap=0.001, throttle_patience=0.0)


class ScanningModule(FakeModule):
    """A module with malware_protection: each stored import's scan stays pending for
    `pending_polls` status calls, then reads `result` (a GuardDutyMalwareScanStatus value)."""

    def __init__(self, result: str | None, pending_polls: int = 2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.result = result
        self.pending_polls = pending_polls
        self.polls = 0

    def _status(self, found: Import, body: dict[str, Any]) -> httpx.Response:
        answer = super()._status(found, body)
        state = answer.json()
        if state["status"] != "complete":
            return answer
        self.polls += 1
        if self.polls <= self.pending_polls or self.result is None:
            state["malware_scan"] = {"status": "pending"}
        else:
            status = {"NO_THREATS_FOUND": "no_threats_found", "THREATS_FOUND": "threats_found"}
            state["malware_scan"] = {
                "status": status.get(self.result, "failed"),
                "guardduty_status": self.result,
            }
        return httpx.Response(200, json=state)


@pytest.fixture(autouse=True)
def private_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNED_IMPORT_STATE_DIR", str(tmp_path / "state"))
    for name in ("SIGNED_IMPORT_API", "SIGNED_IMPORT_TOKEN", "SIGNED_IMPORT_AUTH"):
        monkeypatch.delenv(name, raising=False)
    # The CLI polls every 5 s: no test waits that long.
    monkeypatch.setattr("signed_import_client.uploader.time.sleep", lambda seconds: None)


def run(module: FakeModule, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    code = main(
        [*args, "--api", API, "--auth", "none", "--json", "-q"], http=module.client(), retry=FAST
    )
    printed = capsys.readouterr().out
    return code, json.loads(printed) if printed.strip() else {}


def a_file(tmp_path: Path) -> str:
    path = tmp_path / "orders.csv"
    random_file(path, 1000)
    return str(path)


def test_0_a_clean_file_after_the_scan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    module = ScanningModule("NO_THREATS_FOUND", pending_polls=3)

    code, printed = run(module, capsys, "upload", a_file(tmp_path), "--wait-scan")

    assert (code, printed["status"]) == (EXIT_OK, "complete")
    assert printed["malware_scan"] == {
        "status": "no_threats_found",
        "guardduty_status": "NO_THREATS_FOUND",
    }
    assert module.polls == 4  # three pending answers, then the result


@pytest.mark.parametrize("result", ["THREATS_FOUND", "UNSUPPORTED", "ACCESS_DENIED", "FAILED"])
def test_8_threats_or_no_scan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], result: str
) -> None:
    code, printed = run(ScanningModule(result), capsys, "upload", a_file(tmp_path), "--wait-scan")

    assert code == EXIT_SCAN
    assert printed["malware_scan"]["guardduty_status"] == result
    assert printed["import_id"]  # the upload itself is complete


def test_8_a_scan_still_pending_at_the_deadline(tmp_path: Path) -> None:
    module = ScanningModule(None)
    path = tmp_path / "a.csv"
    random_file(path, 10)
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    with Uploader(API, http=module.client(), retry=FAST) as uploader:
        result = uploader.upload(path)
        with pytest.raises(ScanNotFinished, match="still pending after 30 s"):
            uploader.wait_for_scan(
                result.import_id, timeout=30, interval=2, sleep=sleep, clock=lambda: now[0]
            )

    assert module.polls == 7  # at 0, 2, 5, 9.5, 16.25, 26.4 and 30 s: a growing wait, to the end


def test_2_an_api_without_scanning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, printed = run(FakeModule(), capsys, "upload", a_file(tmp_path), "--wait-scan", "60")

    assert code == EXIT_USAGE
    assert "does not scan" in printed["message"]
    assert "--wait-scan" in printed["hint"]


def test_status_shows_the_scan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    module = ScanningModule("THREATS_FOUND", pending_polls=0)
    code, uploaded = run(module, capsys, "upload", a_file(tmp_path))
    assert code == EXIT_OK

    main(["status", uploaded["import_id"], "--api", API, "--auth", "none"], http=module.client())

    lines = capsys.readouterr().out.splitlines()
    assert [line.split(maxsplit=1) for line in lines if line.startswith("malware_scan")] == [
        ["malware_scan", "threats found (GuardDuty: THREATS_FOUND)"]
    ]
