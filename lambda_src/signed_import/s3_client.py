"""The S3 API client, for the calls a presigned URL cannot make (multipart create, list,
complete, abort), the botocore it needs, and which of its failures are S3's rather than ours."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import botocore
from botocore.exceptions import ClientError as BotoClientError
from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.exceptions import HTTPClientError, SSLError

from .config import Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


# Every S3 API call answers, or fails, well inside the function's timeout (lambda_timeout, 10 s
# by default), itself inside API Gateway's 29 s. botocore's defaults (60 s to connect, 60 s
# between two reads, 3 attempts) would hold a request for minutes when S3 does not answer, and
# the caller would get API Gateway's timeout instead of an answer it can act on. S3 answers
# these calls in milliseconds, and a completion sends its 200 early and keeps the connection
# alive while it assembles, so the read timeout bounds silence, not work.
CONNECT_TIMEOUT_SECONDS = 1.0
READ_TIMEOUT_SECONDS = 3.0
# Two attempts in botocore's "standard" mode: one retry of throttling, 5xx, connection errors
# and timeouts, after a random wait of at most 1 s for throttling and 50 ms otherwise (more
# only if an answer carried x-amz-retry-after). Any further retry is the caller's, after the
# Retry-After of the 503 the function answers (responses.service_unavailable).
MAX_ATTEMPTS = 2
FIRST_RETRY_DELAY_MAX_SECONDS = 1.0
# The longest one S3 call can take: every attempt connecting and reading to its timeout.
WORST_CALL_SECONDS = (
    MAX_ATTEMPTS * (CONNECT_TIMEOUT_SECONDS + READ_TIMEOUT_SECONDS) + FIRST_RETRY_DELAY_MAX_SECONDS
)

# S3's own "try again" answers: throttling and transient internal errors. A completion can
# carry one inside a 200 (botocore raises it with status 200), hence the codes.
_RETRYABLE_CODES = frozenset(
    {
        "InternalError",
        "ServiceUnavailable",
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "RequestTimeout",
        "TooManyRequestsException",
    }
)
_RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})


def s3_unavailable(err: BaseException) -> bool:
    """True when `err` says S3 is unreachable, slow or throttling — worth the caller's retry
    — rather than a bug or a refusal that a retry would meet again."""
    if isinstance(err, BotoClientError):
        status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        code = err.response.get("Error", {}).get("Code", "")
        return status in _RETRYABLE_STATUSES or code in _RETRYABLE_CODES
    if isinstance(err, SSLError):  # a certificate problem does not go away by itself
        return False
    # Connection refused or reset, DNS, connect and read timeouts, a connection closed early.
    return isinstance(err, BotoConnectionError | HTTPClientError)


def make_s3_client(settings: Settings) -> S3Client:
    """One client per container. SigV4 always: botocore falls back to SigV2 presigns with a
    custom endpoint otherwise. In AWS the host is regional and virtual-hosted (never the global
    s3.amazonaws.com); emulators behind AWS_ENDPOINT_URL(_S3) get path style. Checksums only
    when an operation requires one: botocore would otherwise give every new multipart upload a
    CRC32 algorithm that the presigned part URLs do not carry. Timeouts and retries bounded so
    that a call S3 does not answer fails within WORST_CALL_SECONDS."""
    import boto3  # noqa: PLC0415 (deferred: single-PUT signing never needs the client)
    from botocore.config import Config  # noqa: PLC0415

    config = Config(
        signature_version="s3v4",
        s3={
            "addressing_style": "path" if settings.endpoint_url else "virtual",
            "us_east_1_regional_endpoint": "regional",
        },
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
    )
    return boto3.client(
        "s3", region_name=settings.region, endpoint_url=settings.endpoint_url, config=config
    )


# botocore learnt MpuObjectSize, ChecksumType and ChecksumCRC64NVME in 1.36.0; multipart
# imports send them, and an older botocore refuses unknown parameters.
MULTIPART_BOTOCORE = (1, 36, 0)
# The calls that send them: with an older botocore only these are refused, so single PUTs and
# every read keep working.
_MULTIPART_CALLS = frozenset({"create_multipart_upload", "complete_multipart_upload"})


class MultipartUnsupported(RuntimeError):
    """The runtime's botocore cannot make the multipart calls: the function's setup, not the
    request, and not S3 (a 501 that says so, never a retry)."""


def multipart_unsupported(version: str | None = None) -> str | None:
    """Why this runtime's botocore cannot send multipart imports, or None when it can."""
    version = version or botocore.__version__
    numbers = tuple(int(part) for part in re.findall(r"\d+", version)[:3])
    if numbers >= MULTIPART_BOTOCORE:
        return None
    needed = ".".join(str(n) for n in MULTIPART_BOTOCORE)
    return (
        f"multipart imports need botocore >= {needed} (MpuObjectSize, ChecksumType); this "
        f'function\'s runtime has {version}. Single PUTs work (up to 5 GiB, "multipart": false)'
    )


class LazyS3Client:
    """The S3 client, built on first use: only the multipart routes call the S3 API, so a
    container that signs single PUTs never pays for loading the service model."""

    def __init__(self, settings: Settings, unsupported: str | None = None) -> None:
        self._settings = settings
        self._unsupported = unsupported  # why multipart calls cannot be made, if they cannot
        self._client: S3Client | None = None

    def __getattr__(self, name: str) -> Any:
        if self._unsupported is not None and name in _MULTIPART_CALLS:
            raise MultipartUnsupported(self._unsupported)
        if self._client is None:
            self._client = make_s3_client(self._settings)
        return getattr(self._client, name)
