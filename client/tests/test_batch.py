"""Many files in one command (`signed-import upload DIR --recursive`, `Uploader.upload_many`):
each file its own import, failures kept to their file, and a batch run again skipping what it
imported, reporting what changed and resuming what was in flight. Against the module in memory."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from fake_module import API, MIB, FakeModule, api_error, random_file
from signed_import_client.auth import NoAuth
from signed_import_client.batch import Batch, BatchProgress
from signed_import_client.batch_record import BatchRecord, RecordedFile
from signed_import_client.cli import (
    EXIT_AUTH,
    EXIT_CONFLICT,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_TRANSFER,
    EXIT_USAGE,
    main,
)
from signed_import_client.discovery import find_files
from signed_import_client.errors import UploadInterrupted
from signed_import_client.journal import Journal
from signed_import_client.retry import RetryPolicy
from signed_import_client.source import FileIdentity
from signed_import_client.uploader import Uploader

FAST = RetryPolicy(attempts=2, base=0.001, cap=0.001, throttle_patience=0.0)


@pytest.fixture(autouse=True)
def private_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNED_IMPORT_STATE_DIR", str(tmp_path / "state"))
    for name in ("SIGNED_IMPORT_API", "SIGNED_IMPORT_TOKEN", "SIGNED_IMPORT_AUTH"):
        monkeypatch.delenv(name, raising=False)


def tree(root: Path, sizes: dict[str, int]) -> dict[str, bytes]:
    """Files below `root` by relative path; their bytes."""
    written = {}
    for relative, size in sizes.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        written[relative] = random_file(path, size)
    return written


def run(
    module: FakeModule, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, list[dict[str, Any]], dict[str, Any]]:
    """Exit code, the file lines and the summary printed with --json."""
    code = main(
        ["upload", *args, "--api", API, "--auth", "none", "--json", "-q"],
        http=module.client(),
        retry=FAST,
    )
    printed = capsys.readouterr().out
    if printed.startswith("{\n"):  # an error before the batch began: one indented document
        return code, [], json.loads(printed)
    lines = [json.loads(line) for line in printed.splitlines() if line]
    summary = lines.pop()["summary"] if lines and "summary" in lines[-1] else {}
    return code, lines, summary


def stored(module: FakeModule) -> dict[str, list[bytes]]:
    """The objects S3 holds, by the filename stored with them."""
    objects: dict[str, list[bytes]] = {}
    for found in module.imports.values():
        if found.stored is not None:
            objects.setdefault(found.metadata["filename"], []).append(found.stored)
    return objects


def creates(module: FakeModule) -> int:
    return sum(call == f"POST {API}" for call in module.calls)


SIZES = {"a.csv": 1000, "b.json": 20_000, "2026/c.csv": 3000, "2026/12/d.bin": 0}


def test_a_directory_is_uploaded_file_by_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tree(tmp_path / "exports", SIZES)
    module = FakeModule()

    code, lines, summary = run(module, capsys, str(tmp_path / "exports"), "--recursive")

    assert code == EXIT_OK
    assert sorted(line["relative_path"] for line in lines) == sorted(SIZES)
    assert {line["status"] for line in lines} == {"complete"}
    assert len({line["import_id"] for line in lines}) == len(SIZES)  # each its own import
    assert stored(module) == {Path(r).name: [b] for r, b in data.items()}
    assert summary["complete"] == summary["files"] == len(SIZES)
    assert summary["bytes_sent"] == sum(SIZES.values())
    assert summary["exit_code"] == EXIT_OK


def test_paths_and_metadata_are_applied_to_every_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree(tmp_path / "scans", {"2026/été/é 1.pdf": 100, "2026/b.pdf": 100})
    tree(tmp_path, {"loose.txt": 10})
    module = FakeModule()

    code, lines, _ = run(
        module,
        capsys,
        str(tmp_path / "scans"),
        str(tmp_path / "loose.txt"),
        "-r",
        "--keep-paths",
        "--metadata",
        "source=scanner",
    )

    assert code == EXIT_OK
    metadata = sorted(
        (found.metadata["filename"], found.metadata["relative-path"], found.metadata["source"])
        for found in module.imports.values()
    )
    assert metadata == [
        ("b.pdf", "2026/b.pdf", "scanner"),
        ("loose.txt", "loose.txt", "scanner"),
        ("é 1.pdf", "2026/%C3%A9t%C3%A9/%C3%A9%201.pdf", "scanner"),  # S3 metadata is ASCII
    ]
    assert all("2026" not in line["key"] for line in lines)  # a path never goes into the key


def test_a_directory_needs_recursive_and_nothing_is_sent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree(tmp_path / "d", {"a": 1})
    module = FakeModule()

    code, _, _ = run(module, capsys, str(tmp_path / "d"))

    assert code == EXIT_USAGE
    assert module.calls == []


@pytest.mark.parametrize("option", [["--filename", "x"], ["--size", "10"], ["--wait-scan"], ["-"]])
def test_options_for_one_file_are_refused_in_a_batch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: list[str]
) -> None:
    tree(tmp_path, {"a": 1, "b": 1})
    module = FakeModule()

    code, _, _ = run(module, capsys, str(tmp_path / "a"), str(tmp_path / "b"), *option)

    assert code == EXIT_USAGE
    assert module.calls == []


def test_running_the_batch_again_sends_nothing_it_imported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree(tmp_path / "d", SIZES)
    module = FakeModule()
    run(module, capsys, str(tmp_path / "d"), "-r")
    calls = len(module.calls)

    code, lines, summary = run(module, capsys, str(tmp_path / "d"), "-r")

    assert code == EXIT_OK
    assert {line["status"] for line in lines} == {"already_imported"}
    assert all(line["key"] for line in lines)
    assert len(module.calls) == calls  # not one request
    assert summary["already_imported"] == len(SIZES)


def test_a_file_changed_since_it_was_imported_is_reported_not_sent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree(tmp_path / "d", SIZES)
    module = FakeModule()
    run(module, capsys, str(tmp_path / "d"), "-r")
    random_file(tmp_path / "d" / "a.csv", 1001)

    code, lines, summary = run(module, capsys, str(tmp_path / "d"), "-r")

    by_path = {line["relative_path"]: line for line in lines}
    assert code == EXIT_CONFLICT
    assert by_path["a.csv"]["status"] == "changed"
    assert by_path["a.csv"]["exit_code"] == EXIT_CONFLICT
    assert "changed since it was imported" in by_path["a.csv"]["message"]
    assert len(stored(module)["a.csv"]) == 1  # the old version only
    assert summary["changed"] == 1


def test_failures_stay_with_their_file_and_the_worst_sets_the_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree(tmp_path / "d", {"a.csv": 10, "b.exe": 10, "c.csv": 10})
    module = FakeModule()
    create = module._create

    def refuse_executables(body: dict[str, Any]) -> httpx.Response:
        if body.get("filename", "").endswith(".exe"):
            return api_error(415, "UnsupportedMediaType", "application/x-msdownload")
        return create(body)

    module._create = refuse_executables  # type: ignore[method-assign]

    code = main(
        ["upload", str(tmp_path / "d"), "-r", "--api", API, "--auth", "none"],
        http=module.client(),
        retry=FAST,
    )

    printed = capsys.readouterr()
    assert code == EXIT_REFUSED
    assert sorted(stored(module)) == ["a.csv", "c.csv"]
    assert "FAILED    b.exe" in printed.out
    assert "2 imported, 1 failed" in printed.out
    table = printed.err.split("failures:")[1]
    assert "b.exe" in table
    assert "3 " in table
    assert "--content-type" in table


def test_a_refused_caller_stops_the_batch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree(tmp_path / "d", {f"{n:03}.csv": 10 for n in range(40)})
    module = FakeModule()
    module._api = lambda request: api_error(403, "AccessDenied", "no")  # type: ignore[method-assign]

    code, lines, summary = run(module, capsys, str(tmp_path / "d"), "-r", "--concurrency", "2")

    assert code == EXIT_AUTH
    assert summary["not_started"] > 0  # not forty refusals
    assert len(lines) + summary["not_started"] == 40
    assert summary["stopped_by"]


@pytest.mark.parametrize("per_call", [0, 100], ids=["one-call-a-file", "imports-ahead"])
def test_an_interrupted_batch_resumes_with_no_file_sent_twice(
    tmp_path: Path, per_call: int
) -> None:
    data = tree(tmp_path / "d", {f"{n:03}.csv": 1000 + n for n in range(30)})
    data |= tree(tmp_path / "d", {"large.bin": 12 * MIB})  # multipart: 3 parts of 5 MiB
    module = FakeModule(imports_per_request=per_call)
    found = find_files([str(tmp_path / "d")], recursive=True)

    def batch(http: httpx.Client, stop_after: int | None) -> tuple[list[str], Batch]:
        uploader = Uploader(API, NoAuth(), concurrency=4, journal=Journal(), http=http, retry=FAST)
        record = BatchRecord(uploader.import_url, [str(tmp_path / "d")])

        def progress(state: BatchProgress) -> None:
            if stop_after is not None and state.files_done >= stop_after:
                current.interrupt()

        current = Batch(uploader, found.files, record=record, progress=progress)
        statuses: list[str] = []
        try:
            for outcome in current.run():
                statuses.append(outcome.status)
        except UploadInterrupted:
            pass
        record.close()
        return statuses, current

    first, stopped = batch(module.client(), stop_after=10)
    second, finished = batch(module.client(), stop_after=None)

    assert stopped.interrupted
    assert stopped.not_started > 0
    assert first.count("complete") >= 10
    assert second.count("already_imported") >= first.count("complete")
    assert "complete" in second
    assert not finished.interrupted
    assert stored(module) == {name: [body] for name, body in data.items()}  # once, every one


def test_an_import_that_landed_before_the_interruption_is_found_complete(
    tmp_path: Path,
) -> None:
    tree(tmp_path / "d", {"a.csv": 100})
    path = tmp_path / "d" / "a.csv"
    module = FakeModule()
    uploader = Uploader(API, NoAuth(), http=module.client(), retry=FAST)
    landed = uploader.upload(path)  # and the process was killed before recording it complete
    record = BatchRecord(uploader.import_url, [str(tmp_path / "d")])
    identity = FileIdentity.of(os.stat(path))
    record.write(RecordedFile(str(path.resolve()), identity, landed.import_id, "started"))
    record.close()

    outcomes = list(uploader.upload_many([tmp_path / "d"], recursive=True, record=record))

    assert [(o.status, o.key) for o in outcomes] == [("already_imported", landed.key)]
    assert len(module.imports) == 1
    assert record.load()[str(path.resolve())].state == "complete"


def test_a_failed_multipart_file_resumes_on_the_next_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree(tmp_path / "d", {"large.bin": 12 * MIB, "small.csv": 10})
    module = FakeModule()
    healthy = module._s3
    module.fail_s3(lambda: httpx.Response(503, text="<Error><Code>SlowDown</Code></Error>"), 2)

    code, lines, _ = run(module, capsys, str(tmp_path / "d"), "-r", "--concurrency", "1")
    module._s3 = healthy  # type: ignore[method-assign]
    again, relines, _ = run(module, capsys, str(tmp_path / "d"), "-r")

    assert code == EXIT_TRANSFER
    failed = next(line for line in lines if line["status"] == "failed")
    assert failed["import_id"]  # resumable
    assert again == EXIT_OK
    resumed = next(line for line in relines if line["relative_path"] == failed["relative_path"])
    assert resumed["import_id"] == failed["import_id"]
    assert resumed["parts_resumed"] >= 1
    assert sum(found.multipart for found in module.imports.values()) == 1


def test_restart_forgets_the_batch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree(tmp_path / "d", {"a.csv": 10})
    module = FakeModule()
    run(module, capsys, str(tmp_path / "d"), "-r")

    code, lines, _ = run(module, capsys, str(tmp_path / "d"), "-r", "--restart")

    assert (code, [line["status"] for line in lines]) == (EXIT_OK, ["complete"])
    assert creates(module) == 2


def test_ctrl_c_stops_the_batch_resumably(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    tree(tmp_path / "d", {f"{n:03}.csv": 10 for n in range(20)})
    module = FakeModule()
    store = module._s3
    count = 0

    def s3(request: httpx.Request) -> httpx.Response:
        nonlocal count
        count += 1
        if count == 5:
            os.kill(os.getpid(), 2)  # SIGINT: Ctrl-C, delivered to the main thread
        return store(request)

    module._s3 = s3  # type: ignore[method-assign]

    code, lines, summary = run(module, capsys, str(tmp_path / "d"), "-r", "--concurrency", "2")
    again, relines, _ = run(module, capsys, str(tmp_path / "d"), "-r")

    assert code == EXIT_INTERRUPTED
    assert summary["not_started"] > 0
    assert again == EXIT_OK
    assert len(lines) + summary["not_started"] == len(relines) == 20
    assert all(len(bodies) == 1 for bodies in stored(module).values())
    assert len(stored(module)) == 20
