"""The module's HTTP API, route by route (`POST /import` and the `/import/{import_id}…` routes).

Every call is authorized by `auth` (and metered by `api_key` when the API has usage plans),
retried on connection errors, 5xx and a throttled 429 (honouring Retry-After; a used-up quota is
not retried), and answers the parsed JSON; a 4xx raises ApiError with the API's message and a
hint, except through `call()`, which returns whatever the API answered.
"""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from .auth import Auth, NoAuth
from .errors import ApiError, ConfigurationError, TransferError
from .retry import RetryPolicy, retry_after_seconds, retryable_status

USER_AGENT = "signed-import-client/0.1"
# Usage plans (the module's usage_plans): the consumer's API key, and the code of the 429 that
# says its quota is used up.
API_KEY_HEADER = "x-api-key"
QUOTA_EXCEEDED = "QuotaExceeded"
# POST …/parts signs at most this many parts a call (the module's limit).
MAX_PARTS_PER_SIGN = 100
# A completion retried after a timeout or a 5xx may meet the one S3 is still assembling, when the
# upload is no longer listed and the object not yet stored: the import reads as unknown (404)
# for that while. How long to wait for it to appear before believing the 404.
COMPLETION_SETTLE_SECONDS = 60.0


@dataclass(frozen=True)
class ApiResponse:
    status: int
    body: dict[str, Any]  # {} for an empty body
    headers: Mapping[str, str]
    attempts: int = 1  # tries it took (retries after timeouts, 5xx and 429 included)


def normalize_import_url(url: str) -> str:
    """The POST /import URL: the module's `import_url` output as is, or its `invoke_url` (the
    stage URL), to which `/import` is added."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(
            f"not an http(s) URL: {url!r}",
            hint="pass the module's import_url output as `import_url`",
        )
    if parts.query or parts.fragment:
        raise ConfigurationError(f"the API URL takes no query or fragment: {url!r}")
    path = parts.path.rstrip("/")
    if not path.endswith("/import"):
        path += "/import"
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))


class ApiClient:
    """Calls to one deployment's API, through one pooled httpx client."""

    def __init__(
        self,
        import_url: str,
        auth: Auth | None = None,
        *,
        http: httpx.Client | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        api_key: str | None = None,
    ) -> None:
        """`api_key`: the consumer's key when the API has usage plans, sent as x-api-key."""
        self.import_url = normalize_import_url(import_url)
        self.auth: Auth = auth or NoAuth()
        self._api_key_header = _api_key_header(api_key)
        self.retry = retry or RetryPolicy()
        self._own_http = http is None
        self.http = http or httpx.Client(timeout=timeout, headers={"User-Agent": USER_AGENT})
        self._sleep = sleep

    def close(self) -> None:
        if self._own_http:
            self.http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, import_id: str | None = None, *rest: str) -> str:
        if import_id is None:
            return self.import_url
        return "/".join([self.import_url, urllib.parse.quote(import_id, safe=""), *rest])

    # --- raw ---------------------------------------------------------------------------------

    def call(
        self,
        method: str,
        import_id: str | None = None,
        *rest: str,
        payload: object = None,
        url: str | None = None,
    ) -> ApiResponse:
        """One API call (retried while retryable); whatever status it ends with. `url` names a
        route beside /import (POST /imports); otherwise the import's URL with `rest` is called."""
        url = url or self.url(import_id, *rest)
        body = b"" if payload is None else json.dumps(payload, separators=(",", ":")).encode()
        base = {"Accept": "application/json", **self._api_key_header}
        if payload is not None:
            base["Content-Type"] = "application/json"
        attempt = 0
        first_try = time.monotonic()
        while True:
            attempt += 1
            headers = self.auth.headers(method, url, base, body)  # signed afresh each try
            try:
                response = self.http.request(
                    method, url, content=body if payload is not None else None, headers=headers
                )
            except httpx.TransportError as err:
                if not self.retry.should_retry(attempt):
                    raise TransferError(
                        f"{method} {url}: {type(err).__name__} after {attempt} tries: {err}",
                        hint="check the API URL and your network; a multipart upload resumes",
                        import_id=import_id,
                    ) from err
                self._sleep(self.retry.delay(attempt))
                continue
            answer = _json(response)
            quota_used_up = _quota_exceeded(answer)
            throttled = response.status_code == 429 and not quota_used_up
            if (
                retryable_status(response.status_code)
                and not quota_used_up
                and self.retry.should_retry(
                    attempt, throttled_for=time.monotonic() - first_try if throttled else None
                )
            ):
                wait = retry_after_seconds(response.headers.get("Retry-After"))
                self._sleep(self.retry.delay(attempt, wait))
                continue
            return ApiResponse(response.status_code, answer, response.headers, attempt)

    def _expect(
        self,
        route: str,
        status: int,
        method: str,
        import_id: str | None = None,
        *rest: str,
        payload: object = None,
    ) -> dict[str, Any]:
        answer = self.call(method, import_id, *rest, payload=payload)
        if answer.status != status:
            raise ApiError(route, answer.status, answer.body, import_id=import_id)
        return answer.body

    # --- routes ------------------------------------------------------------------------------

    def create(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """POST /import → the 201 body."""
        return self._expect("POST /import", 201, "POST", payload=dict(request))

    def create_many(self, requests: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """POST /imports → one result per request, in order: {"status": 201, "import": …} or
        {"status": 4xx, "error": …}. The route is the sibling of POST /import."""
        url = self.import_url + "s"
        payload = {"imports": [dict(request) for request in requests]}
        answer = self.call("POST", payload=payload, url=url)
        if answer.status != 200:
            raise ApiError("POST /imports", answer.status, answer.body)
        results = answer.body.get("results")
        if not isinstance(results, list) or len(results) != len(requests):
            raise ApiError(
                "POST /imports",
                answer.status,
                {"error": {"code": "InvalidAnswer", "message": "not one result per import"}},
            )
        return results

    def sign_parts(
        self, import_id: str, parts: Mapping[int, str | None]
    ) -> tuple[str | None, dict[int, dict[str, Any]]]:
        """POST /import/{id}/parts: part number → its base64 CRC-64/NVME (None for an import
        without checksums) → (expires_at, part number → {url, headers, size, …})."""
        with_crc = [n for n, crc in parts.items() if crc is not None]
        payload: dict[str, Any]
        if with_crc:
            payload = {
                "parts": [{"part_number": n, "checksum_crc64nvme": c} for n, c in parts.items()]
            }
        else:
            payload = {"part_numbers": list(parts)}
        body = self._expect(
            "POST /import/{id}/parts", 200, "POST", import_id, "parts", payload=payload
        )
        return body.get("expires_at"), {int(p["part_number"]): p for p in body["parts"]}

    def list_parts(self, import_id: str) -> dict[str, Any]:
        """GET /import/{id}/parts: the plan and every part S3 holds."""
        return self._expect("GET /import/{id}/parts", 200, "GET", import_id, "parts")

    def complete(
        self,
        import_id: str,
        etags: Mapping[int, str],
        checksum_crc64nvme: str | None = None,
        *,
        in_progress_retries: int = 10,
    ) -> dict[str, Any]:
        """POST /import/{id}/complete; a completion S3 is still assembling (409
        CompletionInProgress) is asked again."""
        payload: dict[str, Any] = {
            "parts": [{"part_number": n, "etag": etags[n]} for n in sorted(etags)]
        }
        if checksum_crc64nvme is not None:
            payload["checksum_crc64nvme"] = checksum_crc64nvme
        retried = False
        for attempt in range(1, in_progress_retries + 2):
            answer = self.call("POST", import_id, "complete", payload=payload)
            if answer.status == 200:
                return answer.body
            retried = retried or answer.attempts > 1 or attempt > 1
            error = ApiError(
                "POST /import/{id}/complete", answer.status, answer.body, import_id=import_id
            )
            if answer.status == 404 and retried:
                # An earlier try may be completing it right now: wait for the object.
                return self._completed_meanwhile(import_id, error)
            if error.code != "CompletionInProgress" or attempt > in_progress_retries:
                raise error
            self._sleep(min(2.0, 0.2 * attempt))
        raise AssertionError("unreachable")

    def _completed_meanwhile(self, import_id: str, not_found: ApiError) -> dict[str, Any]:
        """The import's state once the completion an earlier try started is done; `not_found`
        if it does not appear within COMPLETION_SETTLE_SECONDS."""
        waited = 0.0
        while waited < COMPLETION_SETTLE_SECONDS:
            answer = self.call("GET", import_id)
            if answer.status == 200 and answer.body.get("status") == "complete":
                return answer.body
            if answer.status not in (200, 404):  # the status itself failed: say that
                raise ApiError("GET /import/{id}", answer.status, answer.body, import_id=import_id)
            delay = min(2.0, 0.25 + waited / 4)
            self._sleep(delay)
            waited += delay
        raise not_found

    def status(self, import_id: str) -> dict[str, Any]:
        """GET /import/{id}."""
        return self._expect("GET /import/{id}", 200, "GET", import_id)

    def abort(self, import_id: str) -> None:
        """DELETE /import/{id}: S3 frees every part."""
        self._expect("DELETE /import/{id}", 204, "DELETE", import_id)


def _json(response: httpx.Response) -> dict[str, Any]:
    if not response.content:
        return {}
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()[:300]
        return {"error": {"code": f"HTTP{response.status_code}", "message": text}}
    return body if isinstance(body, dict) else {"value": body}


def _api_key_header(api_key: str | None) -> dict[str, str]:
    if api_key is None:
        return {}
    key = api_key.strip()
    if not key or any(not 0x20 < ord(c) < 0x7F for c in key):
        raise ConfigurationError(
            "the API key is empty or has spaces, line breaks or non-ASCII characters",
            hint="pass `api_key` as the API's owner gave it (the module's api_keys output)",
        )
    return {API_KEY_HEADER: key}


def _quota_exceeded(answer: Mapping[str, Any]) -> bool:
    """A 429 for a used-up usage-plan quota: no retry succeeds before its period starts again
    (a day, a week or a month), unlike a throttled one."""
    error = answer.get("error")
    return isinstance(error, dict) and error.get("code") == QUOTA_EXCEEDED
