"""API keys (the module's usage plans): the key goes to every API call, never to S3; a missing
or unknown key and a used-up quota are said as such, and a used-up quota is not retried."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from fake_module import API, MIB, S3, FakeModule, api_error, random_file
from signed_import_client.api import ApiClient
from signed_import_client.cli import EXIT_AUTH, EXIT_OK, EXIT_REFUSED, EXIT_TRANSFER, main
from signed_import_client.errors import ApiError, ConfigurationError
from signed_import_client.parts import SIGN_BATCH
from signed_import_client.retry import RetryPolicy
from signed_import_client.uploader import Uploader

FAST = RetryPolicy(attempts=3, base=0.001, cap=0.001, throttle_patience=0.0)
KEY = "k3yV4lue0123456789abcdefghijklmnopqrstuv"


class KeyedModule(FakeModule):
    """The fake module behind a stage whose routes require KEY; records each request's key."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.keys: list[tuple[str, str | None]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        where = "s3" if str(request.url).startswith(S3) else "api"
        self.keys.append((where, request.headers.get("x-api-key")))
        if where == "api" and request.headers.get("x-api-key") != KEY:
            return api_error(403, "InvalidApiKey", "Forbidden")
        return super().handle(request)


@pytest.fixture(autouse=True)
def private_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNED_IMPORT_STATE_DIR", str(tmp_path / "state"))
    for name in ("SIGNED_IMPORT_API", "SIGNED_IMPORT_TOKEN", "SIGNED_IMPORT_AUTH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("SIGNED_IMPORT_API_KEY", raising=False)


def run(module: FakeModule, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    code = main(
        [*args, "--api", API, "--auth", "none", "--json", "-q"], http=module.client(), retry=FAST
    )
    printed = capsys.readouterr().out
    return code, json.loads(printed) if printed.strip() else {}


@pytest.mark.parametrize("size", [1024, 20 * MIB], ids=["single-put", "multipart"])
def test_the_key_goes_to_every_api_call_and_never_to_s3(tmp_path: Path, size: int) -> None:
    module = KeyedModule()
    path = tmp_path / "a.bin"
    random_file(path, size)

    with Uploader(API, http=module.client(), retry=FAST, api_key=KEY) as uploader:
        result = uploader.upload(path)

    assert result.size == size
    assert {key for where, key in module.keys if where == "api"} == {KEY}
    s3_keys = [key for where, key in module.keys if where == "s3"]
    assert set(s3_keys) == {None}
    assert len(s3_keys) == 1 if size < MIB else len(s3_keys) > 1  # one PUT, or the parts


def test_the_command_line_takes_the_key_from_the_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    module = KeyedModule()
    path = tmp_path / "a.csv"
    random_file(path, 100)
    monkeypatch.setenv("SIGNED_IMPORT_API_KEY", KEY)

    code, printed = run(module, capsys, "upload", str(path))

    assert (code, printed["status"]) == (EXIT_OK, "complete")


def test_4_without_the_key_the_hint_names_the_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    module = KeyedModule()
    path = tmp_path / "a.csv"
    random_file(path, 100)

    code, printed = run(module, capsys, "upload", str(path))

    assert (code, printed["http_status"], printed["code"]) == (EXIT_AUTH, 403, "InvalidApiKey")
    assert "--api-key" in printed["hint"]
    assert len(module.keys) == 1  # a 403 is not retried


def test_3_a_used_up_quota_is_said_and_not_retried(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    module = KeyedModule()
    module._api = lambda request: api_error(429, "QuotaExceeded", "Limit Exceeded")  # type: ignore[method-assign]
    path = tmp_path / "a.csv"
    random_file(path, 100)

    code, printed = run(module, capsys, "upload", str(path), "--api-key", KEY)

    assert (code, printed["http_status"], printed["code"]) == (EXIT_REFUSED, 429, "QuotaExceeded")
    assert "quota is used up" in printed["hint"]
    assert len(module.keys) == 1


def test_7_a_throttled_key_is_retried_then_given_up_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    module = KeyedModule()
    module._api = lambda request: api_error(429, "Throttled", "Too Many Requests")  # type: ignore[method-assign]
    path = tmp_path / "a.csv"
    random_file(path, 100)

    code, printed = run(module, capsys, "upload", str(path), "--api-key", KEY)

    assert (code, printed["code"]) == (EXIT_TRANSFER, "Throttled")
    assert len(module.keys) == FAST.attempts


def test_a_quota_used_up_mid_upload_leaves_it_resumable(tmp_path: Path) -> None:
    module = KeyedModule()
    api = module._api
    signed = 0

    def quota_after_the_first_signing(request: httpx.Request) -> httpx.Response:
        nonlocal signed
        if request.url.path.endswith("/parts") and request.method == "POST":
            signed += 1
            if signed > 1:
                return api_error(429, "QuotaExceeded", "Limit Exceeded")
        return api(request)

    module._api = quota_after_the_first_signing  # type: ignore[method-assign]
    path = tmp_path / "a.bin"
    size = (SIGN_BATCH + 1) * 5 * MIB  # two signing calls: the second one is refused
    random_file(path, size)

    with (
        Uploader(
            API, http=module.client(), retry=FAST, api_key=KEY, concurrency=1, part_size=5 * MIB
        ) as uploader,
        pytest.raises(ApiError) as refused,
    ):
        uploader.upload(path)

    assert (refused.value.status, refused.value.code) == (429, "QuotaExceeded")
    import_id = refused.value.import_id
    assert import_id is not None
    assert len(module.imports[import_id].parts) == SIGN_BATCH  # the first batch
    module._api = api  # type: ignore[method-assign]
    with Uploader(API, http=module.client(), retry=FAST, api_key=KEY) as uploader:
        result = uploader.resume(import_id, path)
    assert (result.import_id, result.size) == (import_id, size)
    assert (result.parts_resumed, result.parts_uploaded) == (SIGN_BATCH, 1)


@pytest.mark.parametrize("key", ["", "  ", "a key", "k\r\nX-Injected: 1", "clé"], ids=repr)
def test_a_malformed_key_is_refused_before_any_call(key: str) -> None:
    with pytest.raises(ConfigurationError, match="API key"):
        ApiClient(
            API,
            api_key=key,
            http=httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(500))),
        )


def test_a_throttled_call_outlasts_its_attempts_until_the_stage_lets_it_through(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    module = KeyedModule()
    api = module._api
    throttled = iter(range(8))  # more 429s than attempts

    def busy_stage(request: httpx.Request) -> httpx.Response:
        if next(throttled, None) is not None:
            return api_error(429, "Throttled", "Too Many Requests")
        return api(request)

    module._api = busy_stage  # type: ignore[method-assign]
    path = tmp_path / "a.csv"
    random_file(path, 100)
    patient = RetryPolicy(attempts=3, base=0.001, cap=0.001, throttle_patience=60.0)

    code = main(
        ["upload", str(path), "--api", API, "--auth", "none", "--api-key", KEY, "--json"],
        http=module.client(),
        retry=patient,
    )

    assert code == EXIT_OK, capsys.readouterr()
    assert len(module.keys) == 8 + 2  # eight throttled, then the import created and its PUT
