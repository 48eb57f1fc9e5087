"""Every exit code of `signed-import`, from the command line to the module in memory: what a
script can rely on. The JSON printed with --json carries the same code."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from fake_module import API, MIB, FakeModule, api_error, random_file
from signed_import_client.cli import (
    EXIT_AUTH,
    EXIT_CONFLICT,
    EXIT_INTERRUPTED,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_TRANSFER,
    EXIT_UNEXPECTED,
    EXIT_USAGE,
    main,
)
from signed_import_client.errors import ApiError
from signed_import_client.retry import RetryPolicy
from signed_import_client.uploader import Uploader

FAST = RetryPolicy(attempts=2, base=0.001, cap=0.001, throttle_patience=0.0)
Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture(autouse=True)
def private_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A journal of the test's own, and no API URL or token from the machine."""
    monkeypatch.setenv("SIGNED_IMPORT_STATE_DIR", str(tmp_path / "state"))
    for name in ("SIGNED_IMPORT_API", "SIGNED_IMPORT_TOKEN", "SIGNED_IMPORT_AUTH"):
        monkeypatch.delenv(name, raising=False)


def run(
    module: FakeModule, capsys: pytest.CaptureFixture[str], *args: str, api: bool = True
) -> tuple[int, dict[str, Any]]:
    """The command's exit code and the JSON it printed."""
    options = ["--api", API] if api else []
    code = main(
        [*args, *options, "--auth", "none", "--json", "-q"], http=module.client(), retry=FAST
    )
    printed = capsys.readouterr().out
    return code, json.loads(printed) if printed.strip() else {}


def write(path: Path, size: int) -> Path:
    random_file(path, size)
    return path


def api_answers(module: FakeModule, status: int, code: str) -> None:
    """Every API call is answered `status` with error `code`."""

    def api(request: httpx.Request) -> httpx.Response:
        return api_error(status, code, f"refused with {code}")

    module._api = api  # type: ignore[method-assign]


def test_0_a_complete_upload(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, printed = run(FakeModule(), capsys, "upload", str(write(tmp_path / "a.csv", 1024)))

    assert (code, printed["status"], printed["size"]) == (EXIT_OK, "complete", 1024)


def test_2_no_api_url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "a.csv", 10)

    code, printed = run(FakeModule(), capsys, "upload", str(path), api=False)

    assert (code, printed["exit_code"]) == (EXIT_USAGE, EXIT_USAGE)
    assert "SIGNED_IMPORT_API" in printed["hint"]


def test_2_a_file_that_cannot_be_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, printed = run(FakeModule(), capsys, "upload", str(tmp_path / "missing.csv"))

    assert (code, printed["exit_code"]) == (EXIT_USAGE, EXIT_USAGE)


@pytest.mark.parametrize(
    ("status", "error", "expected"),
    [
        pytest.param(415, "UnsupportedMediaType", EXIT_REFUSED, id="3-refused"),
        pytest.param(400, "InvalidBody", EXIT_REFUSED, id="3-invalid"),
        pytest.param(401, "Unauthorized", EXIT_AUTH, id="4-unauthorized"),
        pytest.param(403, "AccessDenied", EXIT_AUTH, id="4-denied"),
        pytest.param(503, "ServiceUnavailable", EXIT_TRANSFER, id="7-api-keeps-failing"),
        pytest.param(429, "Throttled", EXIT_TRANSFER, id="7-api-keeps-throttling"),
    ],
)
def test_what_the_api_answers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], status: int, error: str, expected: int
) -> None:
    module = FakeModule()
    api_answers(module, status, error)

    code, printed = run(module, capsys, "upload", str(write(tmp_path / "a.csv", 10)))

    assert (code, printed["exit_code"], printed["http_status"]) == (expected, expected, status)
    assert printed["code"] == error


def test_5_an_unknown_import(capsys: pytest.CaptureFixture[str]) -> None:
    code, printed = run(FakeModule(), capsys, "status", "nope")

    assert (code, printed["http_status"]) == (EXIT_NOT_FOUND, 404)


def test_7_s3_keeps_failing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    module = FakeModule()
    module.fail_s3(lambda: httpx.Response(500, text="<Error><Code>InternalError</Code></Error>"))

    code, printed = run(module, capsys, "upload", str(write(tmp_path / "a.csv", 10)))

    assert (code, printed["exit_code"]) == (EXIT_TRANSFER, EXIT_TRANSFER)


def test_130_then_6_interrupted_then_changed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C after the first part: 130, resumable. The file then changes: resuming would mix
    two versions, so the same command refuses with 6."""
    path = write(tmp_path / "big.bin", 11 * MIB)
    module = FakeModule()

    def ctrl_c() -> httpx.Response:
        raise KeyboardInterrupt

    module.fail_s3(ctrl_c, after=1)
    code, printed = run(module, capsys, "upload", str(path), "--concurrency", "1")
    assert (code, printed["import_id"]) == (EXIT_INTERRUPTED, "id1")
    assert "signed-import resume id1" in printed["hint"]

    write(path, 11 * MIB)
    code, printed = run(module, capsys, "upload", str(path))

    assert (code, printed["exit_code"], printed["import_id"]) == (
        EXIT_CONFLICT,
        EXIT_CONFLICT,
        "id1",
    )


def test_1_a_bug_is_said_to_be_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    module = FakeModule()

    def bug() -> httpx.Response:
        raise ZeroDivisionError("a bug")

    module.fail_s3(bug)
    code = main(
        ["upload", str(write(tmp_path / "a.csv", 10)), "--api", API, "--auth", "none", "--json"],
        http=module.client(),
        retry=FAST,
    )

    captured = capsys.readouterr()
    assert code == EXIT_UNEXPECTED
    assert json.loads(captured.out)["exit_code"] == EXIT_UNEXPECTED
    assert "ZeroDivisionError" in captured.err  # the traceback, for the report
    assert "please report it" in captured.err


def test_the_library_names_parameters_and_the_command_line_names_flags(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    module = FakeModule()
    api_answers(module, 415, "UnsupportedMediaType")
    uploader = Uploader(API, http=module.client(), retry=FAST)
    with pytest.raises(ApiError) as raised:
        uploader.upload(write(tmp_path / "a.png", 10))
    assert "`content_type`" in raised.value.hint
    assert "--" not in raised.value.hint

    code, printed = run(module, capsys, "upload", str(tmp_path / "a.png"))

    assert code == EXIT_REFUSED
    assert printed["hint"].startswith("pass --content-type with an allowed type")
