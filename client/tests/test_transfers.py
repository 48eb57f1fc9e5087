"""What the library does on its own between the API and S3, against the module in memory: an
expired URL is signed again, a throttled or failing API call is retried, and an upload
interrupted once is resumed from the journal by uploading the same file again."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from fake_module import API, MIB, S3, FakeModule, raising, random_file
from signed_import_client.errors import UploadInterrupted
from signed_import_client.journal import Journal
from signed_import_client.parts import SIGN_BATCH
from signed_import_client.retry import RetryPolicy
from signed_import_client.uploader import Uploader

FAST = RetryPolicy(attempts=3, base=0.001, cap=0.001, throttle_patience=0.0)
EXPIRED = "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"


def test_an_expired_part_url_is_signed_again(tmp_path: Path) -> None:
    module = FakeModule()
    s3 = module._s3
    refused: list[str] = []

    def expiring_s3(request: httpx.Request) -> httpx.Response:
        number = request.url.params.get("partNumber")
        if number == "2" and not refused:
            refused.append(number)
            return httpx.Response(403, text=EXPIRED)
        return s3(request)

    module._s3 = expiring_s3  # type: ignore[method-assign]
    data = random_file(tmp_path / "big.bin", 11 * MIB)

    result = Uploader(API, concurrency=1, http=module.client(), retry=FAST).upload(
        tmp_path / "big.bin"
    )

    assert refused == ["2"]
    assert module.imports["id1"].stored == data
    assert result.parts_uploaded == 3
    signed = [c for c in module.calls if c.endswith("/id1/parts") and c.startswith("POST")]
    assert len(signed) == 2  # the three parts in one batch, and part 2 once more


def test_a_throttled_or_failing_api_call_is_retried(tmp_path: Path) -> None:
    module = FakeModule()
    api = module._api
    answers = iter(
        [
            httpx.Response(429, json={"message": "Too Many Requests"}),
            httpx.Response(503, json={"error": {"code": "ServiceUnavailable", "message": "x"}}),
        ]
    )

    def flaky(request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/import"):
            answer = next(answers, None)
            if answer is not None:
                return answer
        return api(request)

    module._api = flaky  # type: ignore[method-assign]
    data = random_file(tmp_path / "a.csv", 1024)

    result = Uploader(API, http=module.client(), retry=FAST).upload(tmp_path / "a.csv")

    assert module.imports["id1"].stored == data
    assert result.method == "PUT"
    assert [c for c in module.calls if c == f"POST {API}"] == [f"POST {API}"] * 3


def test_uploading_the_same_file_again_resumes_it(tmp_path: Path) -> None:
    module = FakeModule()
    s3 = module._s3
    module.fail_s3(raising(KeyboardInterrupt()), after=2)
    data = random_file(tmp_path / "big.bin", 11 * MIB)
    journal = Journal(tmp_path / "state")
    first = Uploader(API, concurrency=1, journal=journal, http=module.client(), retry=FAST)
    with pytest.raises(UploadInterrupted):
        first.upload(tmp_path / "big.bin")
    module._s3 = s3  # type: ignore[method-assign]

    again = Uploader(API, concurrency=1, journal=journal, http=module.client(), retry=FAST)
    result = again.upload(tmp_path / "big.bin")

    assert (result.import_id, result.parts_resumed, result.parts_uploaded) == ("id1", 2, 1)
    assert result.bucket == "bucket"  # a resumed import learns it from the completion
    assert module.imports["id1"].stored == data
    assert len(module.imports) == 1  # no second import was started


def test_parts_are_signed_ahead_in_batches(tmp_path: Path) -> None:
    """A file's parts are signed SIGN_BATCH to a call, ahead of the workers: an import of N
    parts makes ceil(N / SIGN_BATCH) + 2 API calls (with POST /import and the completion)."""
    module = FakeModule()
    part_count = 2 * SIGN_BATCH + 3
    data = random_file(tmp_path / "big.bin", part_count * 5 * MIB)

    with Uploader(API, http=module.client(), retry=FAST, part_size=5 * MIB) as uploader:
        result = uploader.upload(tmp_path / "big.bin")

    api_calls = [call for call in module.calls if not call.split()[1].startswith(S3)]
    signing = [call for call in api_calls if call.startswith("POST") and call.endswith("/parts")]
    assert result.part_count == part_count
    assert module.imports[result.import_id].stored == data
    assert len(signing) == -(-part_count // SIGN_BATCH) == 3
    assert len(api_calls) == len(signing) + 2


def test_large_parts_are_signed_in_smaller_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At most SIGN_AHEAD_BYTES read ahead of the workers (here 20 MiB: batches of two parts of
    5 MiB), so that the page cache still holds a part when a worker reads it again."""
    monkeypatch.setattr("signed_import_client.parts.SIGN_AHEAD_BYTES", 20 * MIB)
    module = FakeModule()
    data = random_file(tmp_path / "big.bin", 5 * 5 * MIB)

    with Uploader(API, http=module.client(), retry=FAST, part_size=5 * MIB) as uploader:
        result = uploader.upload(tmp_path / "big.bin")

    signing = [c for c in module.calls if c.startswith("POST") and c.endswith("/parts")]
    assert module.imports[result.import_id].stored == data
    assert len(signing) == 3  # parts 1-2, 3-4, 5
