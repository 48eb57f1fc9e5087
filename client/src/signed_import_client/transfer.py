"""One signed PUT to S3, streamed, retried, and re-signed when its URL has expired.

The request carries exactly the headers the API signed (httpx adds only Host, User-Agent and
the like, which are not signed and which S3 ignores). Connection errors, 5xx and 429/503 are
retried with backoff (Retry-After honoured); an expired URL, or one signed with credentials that
have since expired, is signed again through the API; any other refusal is final.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx

from .errors import FileChangedError, TransferError
from .retry import RetryPolicy, retry_after_seconds, retryable_status

# Seconds before its stated expiry at which a URL is signed again rather than used.
EXPIRY_MARGIN = 10.0
MAX_RESIGNS = 3
_CODE = re.compile(r"<Code>([^<]{1,100})</Code>")
_MESSAGE = re.compile(r"<Message>([^<]{1,500})</Message>")
# What S3 answers for a presigned URL past X-Amz-Expires, or signed by expired credentials.
_EXPIRED_CODES = frozenset({"ExpiredToken", "TokenRefreshRequired"})


class Cancelled(Exception):
    """The transfer was told to stop."""


@dataclass(frozen=True)
class SignedRequest:
    url: str
    headers: dict[str, str]
    expires_at: float | None = None  # epoch seconds, when the API said

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and now >= self.expires_at - EXPIRY_MARGIN

    def __repr__(self) -> str:  # a signed URL is a credential: never in a log or traceback
        return f"SignedRequest(headers={sorted(self.headers)!r}, expires_at={self.expires_at})"


def s3_error(body: str) -> tuple[str, str]:
    """(Code, Message) of an S3 XML error body; ('', '') when there is none."""
    code = _CODE.search(body)
    message = _MESSAGE.search(body)
    return (code.group(1) if code else "", message.group(1) if message else "")


def is_expired(status: int, code: str, message: str) -> bool:
    if code in _EXPIRED_CODES:
        return True
    return status == 403 and code == "AccessDenied" and "expired" in message.lower()


@dataclass
class Transfer:
    """Shared by every PUT of one upload."""

    http: httpx.Client
    retry: RetryPolicy
    cancel: threading.Event
    clock: Callable[[], float] = time.time
    # Shared by every upload of one Uploader: at most this many PUTs to S3 in flight at once,
    # however many files are (a batch's files wait here, their API calls already made).
    slots: threading.Semaphore | None = None

    def wait(self, seconds: float) -> None:
        if self.cancel.wait(seconds):
            raise Cancelled

    def put(
        self,
        what: str,
        signed: SignedRequest,
        body: Callable[[], Iterator[bytes]],
        *,
        resign: Callable[[], SignedRequest],
        sent: Callable[[int], None],
    ) -> httpx.Response:
        """PUT `body()` (called afresh for each try) to `signed`; S3's 200 response. `sent`
        hears of every chunk handed to the connection, and of its undoing (negative) when a
        try fails."""
        attempt = resigns = 0
        while True:
            if self.cancel.is_set():
                raise Cancelled
            if signed.expired(self.clock()) and resigns < MAX_RESIGNS:
                resigns += 1
                signed = resign()
            attempt += 1
            counted = 0

            def stream() -> Iterator[bytes]:
                nonlocal counted
                for chunk in body():
                    if self.cancel.is_set():
                        raise Cancelled
                    yield chunk
                    counted += len(chunk)
                    sent(len(chunk))

            try:
                with self.slots or contextlib.nullcontext():
                    response = self.http.put(signed.url, content=stream(), headers=signed.headers)
            except httpx.TransportError as err:
                sent(-counted)
                if not self.retry.should_retry(attempt):
                    raise TransferError(
                        f"{what}: {type(err).__name__} after {attempt} tries: {err}"
                    ) from err
                self.wait(self.retry.delay(attempt))
                continue
            except BaseException:
                sent(-counted)
                raise
            if response.status_code == 200:
                return response
            sent(-counted)
            code, message = s3_error(response.text)
            if is_expired(response.status_code, code, message) and resigns < MAX_RESIGNS:
                resigns += 1
                signed = resign()
                continue
            if retryable_status(response.status_code) and self.retry.should_retry(attempt):
                wait = retry_after_seconds(response.headers.get("Retry-After"))
                self.wait(self.retry.delay(attempt, wait))
                continue
            detail = f"{response.status_code} {code or 'error'}: {message or response.text[:200]}"
            if code == "BadDigest":
                raise FileChangedError(
                    f"{what}: S3 refused the bytes as not matching their checksum ({detail})",
                    hint="the file changed while it was being read; upload it again once it "
                    "is stable",
                )
            raise PutRefused(response.status_code, code, f"S3 refused {what}: {detail}")


class PutRefused(TransferError):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
