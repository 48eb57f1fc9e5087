"""How a multipart upload ends when it stops early: Ctrl-C and the caller's own progress
callback interrupt it (resumable); an unexpected error is raised as itself, never dressed up as
a resumable interruption."""

from __future__ import annotations

import os
import secrets
import threading
from pathlib import Path

import httpx
import pytest

from fake_module import API, MIB, FakeModule, raising, random_file
from signed_import_client.errors import UploadInterrupted
from signed_import_client.results import Progress
from signed_import_client.retry import RetryPolicy
from signed_import_client.uploader import Uploader

FAST = RetryPolicy(attempts=3, base=0.001, cap=0.001, throttle_patience=0.0)


class Stop(Exception):
    """What a caller's progress callback raises to stop an upload."""


def big_file(tmp_path: Path) -> Path:
    path = tmp_path / "big.bin"
    random_file(path, 11 * MIB)  # three parts of the fake's 5 MiB
    return path


def test_a_callback_that_raises_interrupts_the_upload_resumably(tmp_path: Path) -> None:
    module = FakeModule()

    def stop_after_a_part(event: Progress) -> None:
        if event.event == "part":
            raise Stop

    uploader = Uploader(API, concurrency=1, http=module.client())
    with pytest.raises(UploadInterrupted) as raised:
        uploader.upload(big_file(tmp_path), progress=stop_after_a_part)

    assert raised.value.resumable
    assert raised.value.import_id == "id1"
    assert isinstance(raised.value.__cause__, Stop)


def test_ctrl_c_interrupts_the_upload_resumably(tmp_path: Path) -> None:
    module = FakeModule()
    module.fail_s3(raising(KeyboardInterrupt()), after=1)

    uploader = Uploader(API, concurrency=1, http=module.client())
    with pytest.raises(UploadInterrupted) as raised:
        uploader.upload(big_file(tmp_path))

    assert raised.value.resumable
    assert len(module.imports["id1"].parts) == 1


def test_an_unexpected_error_is_raised_as_itself(tmp_path: Path) -> None:
    module = FakeModule()
    module.fail_s3(raising(ZeroDivisionError("a bug")), after=1)

    uploader = Uploader(API, concurrency=2, http=module.client())
    with pytest.raises(ZeroDivisionError, match="a bug"):
        uploader.upload(big_file(tmp_path))


def test_a_completion_retried_while_s3_assembles_waits_for_the_object(tmp_path: Path) -> None:
    """The first completion times out at the gateway (504) while S3 goes on assembling; the
    retry finds neither the upload nor yet the object (404), as does the first status call:
    the client waits for the object instead of reporting an unknown import."""
    module = FakeModule()
    api = module._api
    seen = {"complete": 0, "status": 0}

    def gateway(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "POST" and path.endswith("/complete"):
            seen["complete"] += 1
            if seen["complete"] == 1:
                api(request)  # S3 completes it, but the answer is lost
                return httpx.Response(504, json={"message": "Endpoint request timed out"})
            return httpx.Response(404, json={"error": {"code": "NotFound", "message": "no"}})
        if request.method == "GET" and path.endswith("/id1"):
            seen["status"] += 1
            if seen["status"] == 1:
                return httpx.Response(404, json={"error": {"code": "NotFound", "message": "no"}})
        return api(request)

    module._api = gateway  # type: ignore[method-assign]
    path = tmp_path / "big.bin"
    data = secrets.token_bytes(11 * MIB)
    path.write_bytes(data)
    uploader = Uploader(API, concurrency=2, http=module.client(), retry=FAST)
    uploader.api._sleep = lambda seconds: None

    result = uploader.upload(path)

    assert (result.size, result.key) == (len(data), module.imports["id1"].key)
    assert module.imports["id1"].stored == data
    assert seen == {"complete": 2, "status": 2}


def test_a_callback_that_keeps_raising_interrupts_parts_in_flight_too(tmp_path: Path) -> None:
    """Once stopped, a callback usually raises on every later event; the workers still sending
    their parts call it while they unwind, and the upload still ends as an interruption."""
    module = FakeModule()
    stop = False

    def cancel_flag(event: Progress) -> None:
        nonlocal stop
        stop = stop or event.event == "part"
        if stop:
            raise Stop

    path = tmp_path / "large.bin"
    path.write_bytes(secrets.token_bytes(31 * MIB))  # seven parts of the fake's 5 MiB
    uploader = Uploader(API, concurrency=4, http=module.client(), retry=FAST)
    with pytest.raises(UploadInterrupted) as raised:
        uploader.upload(path, progress=cancel_flag)

    assert raised.value.resumable
    assert isinstance(raised.value.__cause__, Stop)


def test_a_stream_whose_writer_goes_quiet_still_stops_when_interrupted() -> None:
    """stdin from a producer that stalls: one part's bytes arrive, then nothing, the pipe left
    open. The upload, stopped by its callback, must not wait for the next part's bytes."""
    module = FakeModule()
    read_end, write_end = os.pipe()
    stream = os.fdopen(read_end, "rb", buffering=0)  # as the CLI reads stdin
    # Part 1 (the pipe holds less: a writer of its own); parts 2 and 3 never come.
    producer = threading.Thread(
        target=os.write, args=(write_end, secrets.token_bytes(5 * MIB)), daemon=True
    )
    producer.start()

    def stop_after_a_part(event: Progress) -> None:
        if event.event == "part":
            raise Stop

    outcome: list[BaseException] = []

    def run() -> None:
        uploader = Uploader(API, concurrency=2, http=module.client())
        try:
            uploader.upload(stream, size=11 * MIB, progress=stop_after_a_part)
        except BaseException as error:  # handed to the test thread
            outcome.append(error)

    upload = threading.Thread(target=run, daemon=True)
    upload.start()
    upload.join(timeout=30)
    stopped = not upload.is_alive()
    producer.join(timeout=30)
    os.close(write_end)  # lets a reader that never stopped end, so the test can
    upload.join(timeout=30)
    stream.close()

    assert stopped, "the upload waited on the quiet pipe"
    [error] = outcome
    assert isinstance(error, UploadInterrupted)
    assert isinstance(error.__cause__, Stop)
