"""End to end: a signature-verifying S3 (LocalStack) enforces what the signer signs.

The signer is loaded exactly as Lambda runs it: from the deterministic zip, configured by
environment. Each URL it issues is used once as declared (S3 stores exactly those bytes, type
and metadata) and once tampered with (S3 refuses it and stores nothing).
"""

from __future__ import annotations

import base64
import http.client
import importlib
import json
import re
import secrets
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from botocore.exceptions import ClientError

from build_zip import build
from localdev.consumer import sha256_b64

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from signed_import.config import Settings
    from signed_import.signing import SignedUpload

REPO_ROOT = Path(__file__).resolve().parents[2]
REGION: Final = "eu-west-1"
KEY_PREFIX = "imports/"
EXPIRY_SECONDS = 60
HTTP_TIMEOUT = 30

DATA = b"order_id,amount,currency\n" + b"".join(
    f"{n},{n * 3}.{n % 100:02d},EUR\n".encode() for n in range(1, 200)
)
METADATA = {"source": "crm", "batch": "2026-11-25"}
FILENAME = "orders 2026.csv"
FILENAME_METADATA = "orders%202026.csv"  # the signer percent-encodes it for the header


# --- the signer, loaded from its deployment zip ---------------------------------------------


@dataclass(frozen=True)
class Signer:
    zip_path: Path
    module_file: str
    handler: Callable[[dict[str, Any], Any], dict[str, Any]]
    settings: Settings
    s3: S3Client
    make_s3_client: Callable[[Settings], S3Client]
    parse_import_request: Callable[[dict[str, Any], Settings], Any]
    sign_put: Callable[[S3Client, str, str, Any, int], SignedUpload]


def _take_signer_modules() -> dict[str, ModuleType]:
    """Remove every signed_import module from sys.modules and return them."""
    names = [m for m in sys.modules if m == "signed_import" or m.startswith("signed_import.")]
    return {name: sys.modules.pop(name) for name in names}


@pytest.fixture(scope="session")
def signer_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Lambda package, built from lambda_src by the same tool as dist/signer.zip."""
    output = tmp_path_factory.mktemp("package") / "signer.zip"
    build(REPO_ROOT / "lambda_src", output)
    return output


@pytest.fixture(scope="module")
def signer(
    signer_zip: Path, localstack_s3_endpoint: str, localstack_bucket: str
) -> Iterator[Signer]:
    env = {
        "BUCKET_NAME": localstack_bucket,
        "KEY_PREFIX": KEY_PREFIX,
        "ALLOWED_CONTENT_TYPES": "text/csv,application/json,application/octet-stream",
        "MAX_UPLOAD_BYTES": str(10 * 1024 * 1024),
        "URL_EXPIRY_SECONDS": str(EXPIRY_SECONDS),
        "AWS_REGION": REGION,
        "AWS_ENDPOINT_URL_S3": localstack_s3_endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(signer_zip.parent / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(signer_zip.parent / "no-aws-credentials"),
    }
    unset = ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL")
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        for name in unset:
            mp.delenv(name, raising=False)
        # boto3's default session caches credentials: start from a fresh one.
        mp.setattr(boto3, "DEFAULT_SESSION", None)
        mp.syspath_prepend(str(signer_zip))
        # Import from the zip, not lambda_src; afterwards put back exactly what other tests had.
        previous = _take_signer_modules()
        try:
            handler = importlib.import_module("signed_import.handler")
            signing = importlib.import_module("signed_import.signing")
            request = importlib.import_module("signed_import.request")
            loaded = {n: str(m.__file__) for n, m in sys.modules.items() if "signed_import" in n}
            assert all(f.startswith(f"{signer_zip}/") for f in loaded.values()), loaded
            yield Signer(
                zip_path=signer_zip,
                module_file=str(handler.__file__),
                handler=handler.handler,
                settings=handler.SETTINGS,
                s3=handler.S3,
                make_s3_client=signing.make_s3_client,
                parse_import_request=request.parse_import_request,
                sign_put=signing.sign_put,
            )
        finally:
            _take_signer_modules()
            sys.modules.update(previous)


def import_event(body: dict[str, Any]) -> dict[str, Any]:
    """An API Gateway REST (proxy integration) event for POST /import."""
    return {
        "resource": "/import",
        "path": "/import",
        "httpMethod": "POST",
        "headers": {"Content-Type": "application/json", "Accept": "application/json"},
        "multiValueHeaders": {"Content-Type": ["application/json"]},
        "queryStringParameters": None,
        "pathParameters": None,
        "requestContext": {"resourcePath": "/import", "httpMethod": "POST", "stage": "v1"},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


@dataclass(frozen=True)
class Issued:
    """What POST /import returned, plus the request that produced it."""

    event: dict[str, Any]
    key: str
    url: str
    headers: dict[str, str]
    response: dict[str, Any]


def issue(signer: Signer, body: dict[str, Any]) -> Issued:
    event = import_event(body)
    response = signer.handler(event, None)
    assert response["statusCode"] == 201, response
    payload = json.loads(response["body"])
    upload = payload["upload"]
    assert upload["method"] == "PUT"
    assert payload["upload_url"] == upload["url"]
    return Issued(
        event=event,
        key=payload["key"],
        url=upload["url"],
        headers=dict(upload["headers"]),
        response=payload,
    )


def full_request() -> dict[str, Any]:
    return {
        "size": len(DATA),
        "content_type": "text/csv",
        "checksum_sha256": sha256_b64(DATA),
        "filename": FILENAME,
        "metadata": METADATA,
    }


# --- talking to S3 ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """One PUT: the URL, exactly these headers, and this body (bytes or chunks)."""

    url: str
    headers: dict[str, str]
    body: bytes | list[bytes]
    # Keys that must not exist after a refusal besides the signed one (e.g. a swapped key).
    other_keys: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Response:
    status: int
    body: str
    sent_headers: dict[str, str]

    @property
    def error(self) -> tuple[str, str]:
        """S3's error Code and Message."""
        code = re.search(r"<Code>([^<]*)</Code>", self.body)
        message = re.search(r"<Message>([^<]*)</Message>", self.body)
        return (code.group(1) if code else "", message.group(1) if message else "")


def put(attempt: Attempt) -> Response:
    """PUT with exactly the attempt's headers: http.client adds Host and nothing else, except
    Transfer-Encoding: chunked when the body is a list of chunks."""
    url = urlsplit(attempt.url)
    assert url.scheme == "http"
    assert url.hostname is not None
    headers = dict(attempt.headers)
    chunked = not isinstance(attempt.body, bytes)
    if chunked:
        assert "content-length" not in {name.lower() for name in headers}
        headers["Transfer-Encoding"] = "chunked"
    else:
        lengths = [value for name, value in headers.items() if name.lower() == "content-length"]
        assert lengths == [str(len(attempt.body))], "Content-Length must match the body sent"
    body: bytes | Iterator[bytes] = (
        attempt.body if isinstance(attempt.body, bytes) else iter(attempt.body)
    )
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=HTTP_TIMEOUT)
    try:
        connection.putrequest("PUT", f"{url.path}?{url.query}", skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders(body, encode_chunked=chunked)
        with connection.getresponse() as response:
            return Response(response.status, response.read().decode(errors="replace"), headers)
    finally:
        connection.close()


def assert_absent(s3: S3Client, bucket: str, key: str) -> None:
    with pytest.raises(ClientError) as refused:
        s3.head_object(Bucket=bucket, Key=key)
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=key)
    assert listed.get("KeyCount", 0) == 0, listed.get("Contents")


def query(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


# --- the declared upload is accepted -----------------------------------------------------------


def test_declared_upload_is_stored_exactly(
    signer: Signer, localstack_s3_endpoint: str, localstack_s3: S3Client, localstack_bucket: str
) -> None:
    assert signer.module_file.startswith(str(signer.zip_path)), "signer not loaded from its zip"
    started = int(time.time())
    issued = issue(signer, full_request())

    assert issued.key.startswith(KEY_PREFIX)
    assert re.fullmatch(rf"{KEY_PREFIX}[a-z2-7]{{26}}", issued.key)
    assert issued.url.startswith(f"{localstack_s3_endpoint}/{localstack_bucket}/{issued.key}?")
    params = query(issued.url)
    assert params["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert params["X-Amz-Credential"].split("/")[2:] == [REGION, "s3", "aws4_request"]
    assert params["X-Amz-Expires"] == str(EXPIRY_SECONDS)
    assert params["X-Amz-SignedHeaders"].split(";") == [
        "content-length",
        "content-type",
        "host",
        "x-amz-checksum-sha256",
        "x-amz-meta-batch",
        "x-amz-meta-filename",
        "x-amz-meta-source",
    ]
    assert issued.headers == {
        "Content-Type": "text/csv",
        "Content-Length": str(len(DATA)),
        "x-amz-checksum-sha256": sha256_b64(DATA),
        "x-amz-meta-source": "crm",
        "x-amz-meta-batch": "2026-11-25",
        "x-amz-meta-filename": FILENAME_METADATA,
    }
    expires = datetime.strptime(issued.response["expires_at"], "%Y-%m-%dT%H:%M:%SZ")
    expires_at = expires.replace(tzinfo=UTC).timestamp()
    assert started + EXPIRY_SECONDS - 1 <= expires_at <= time.time() + EXPIRY_SECONDS

    response = put(Attempt(issued.url, issued.headers, DATA))
    assert response.status == 200, response.body

    stored = localstack_s3.get_object(
        Bucket=localstack_bucket, Key=issued.key, ChecksumMode="ENABLED"
    )
    assert stored["Body"].read() == DATA
    assert stored["ContentType"] == "text/csv"
    assert stored["ContentLength"] == len(DATA)
    assert stored["Metadata"] == {**METADATA, "filename": FILENAME_METADATA}
    assert stored["ChecksumSHA256"] == sha256_b64(DATA)


def test_minimal_request_stores_octet_stream(
    signer: Signer, localstack_s3: S3Client, localstack_bucket: str
) -> None:
    data = bytes(range(256)) * 3
    issued = issue(signer, {"size": len(data)})
    assert issued.headers == {
        "Content-Type": "application/octet-stream",
        "Content-Length": str(len(data)),
    }

    response = put(Attempt(issued.url, issued.headers, data))
    assert response.status == 200, response.body

    stored = localstack_s3.get_object(Bucket=localstack_bucket, Key=issued.key)
    assert stored["Body"].read() == data
    assert stored["ContentType"] == "application/octet-stream"
    assert stored["Metadata"] == {}


# --- anything else is refused by S3 itself ------------------------------------------------------


@dataclass(frozen=True)
class Context:
    signer: Signer
    issued: Issued
    monkeypatch: pytest.MonkeyPatch

    @property
    def declared(self) -> Attempt:
        return Attempt(self.issued.url, dict(self.issued.headers), DATA)

    def with_headers(self, **changes: str | None) -> Attempt:
        """The declared attempt with headers changed (value) or left out (None)."""
        names = {name.lower().replace("_", "-"): value for name, value in changes.items()}
        headers = {k: v for k, v in self.issued.headers.items() if k.lower() not in names}
        headers.update({k: v for k, v in names.items() if v is not None})
        return replace(self.declared, headers=headers)

    def resign(self, client: S3Client, expires_in: int) -> str:
        """The deployed sign_put, for the same key and request, with another client or expiry."""
        request = self.signer.parse_import_request(self.issued.event, self.signer.settings)
        upload = self.signer.sign_put(
            client, self.signer.settings.bucket, self.issued.key, request, expires_in
        )
        assert upload.headers == self.issued.headers
        return upload.url


def _key_swapped(ctx: Context) -> Attempt:
    other = KEY_PREFIX + base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=").lower()
    url = ctx.issued.url.replace(f"/{ctx.issued.key}?", f"/{other}?")
    assert url != ctx.issued.url
    return replace(ctx.declared, url=url, other_keys=(other,))


def _expiry_extended(ctx: Context) -> Attempt:
    url = ctx.issued.url.replace(f"X-Amz-Expires={EXPIRY_SECONDS}&", "X-Amz-Expires=604800&")
    assert url != ctx.issued.url
    return replace(ctx.declared, url=url)


def _content_length_unsigned(ctx: Context) -> Attempt:
    url = ctx.issued.url.replace("X-Amz-SignedHeaders=content-length%3B", "X-Amz-SignedHeaders=")
    assert url != ctx.issued.url
    return replace(ctx.declared, url=url)


def _body_shorter(ctx: Context) -> Attempt:
    body = DATA[:-1]
    return replace(ctx.with_headers(content_length=str(len(body))), body=body)


def _body_longer(ctx: Context) -> Attempt:
    body = DATA + b"9,27.09,EUR\n"
    return replace(ctx.with_headers(content_length=str(len(body))), body=body)


def _other_bytes() -> bytes:
    body = b"X" + DATA[1:]
    assert len(body) == len(DATA)
    assert body != DATA
    return body


def _body_other_bytes(ctx: Context) -> Attempt:
    return replace(ctx.declared, body=_other_bytes())


def _body_other_bytes_with_their_checksum(ctx: Context) -> Attempt:
    body = _other_bytes()
    return replace(ctx.with_headers(x_amz_checksum_sha256=sha256_b64(body)), body=body)


def _content_length_missing(ctx: Context) -> Attempt:
    # Without a length, HTTP/1.1 sends the body chunked (Transfer-Encoding: chunked).
    return replace(ctx.with_headers(content_length=None), body=[DATA[:1000], DATA[1000:]])


def _wrong_secret(ctx: Context) -> Attempt:
    ctx.monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret-s3-knows")
    ctx.monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    client = ctx.signer.make_s3_client(ctx.signer.settings)
    return replace(ctx.declared, url=ctx.resign(client, EXPIRY_SECONDS))


def _expired(ctx: Context) -> Attempt:
    # URL_EXPIRY_SECONDS is at least 60; sign_put itself with a 1 s lifetime, then outlive it.
    url = ctx.resign(ctx.signer.s3, 1)
    assert query(url)["X-Amz-Expires"] == "1"
    time.sleep(2.5)
    return replace(ctx.declared, url=url)


@dataclass(frozen=True)
class Tampering:
    id: str
    make: Callable[[Context], Attempt]
    status: int
    code: str
    message: str = ""


SIGNATURE = "SignatureDoesNotMatch"
TAMPERINGS = [
    # The URL itself.
    Tampering("key_swapped_in_url", _key_swapped, 403, SIGNATURE),
    Tampering("expiry_extended_in_url", _expiry_extended, 403, SIGNATURE),
    Tampering(
        "content_length_dropped_from_signed_headers", _content_length_unsigned, 403, SIGNATURE
    ),
    # Content-Type.
    Tampering(
        "content_type_changed", lambda c: c.with_headers(content_type="text/plain"), 403, SIGNATURE
    ),
    Tampering(
        "content_type_parameter_added",
        lambda c: c.with_headers(content_type="text/csv; charset=utf-8"),
        403,
        SIGNATURE,
    ),
    Tampering("content_type_missing", lambda c: c.with_headers(content_type=None), 403, SIGNATURE),
    # Content-Length: fewer or more bytes, each with a matching length header, or no length.
    Tampering("body_shorter_than_declared", _body_shorter, 403, SIGNATURE),
    Tampering("body_longer_than_declared", _body_longer, 403, SIGNATURE),
    Tampering("content_length_missing_chunked_body", _content_length_missing, 403, SIGNATURE),
    # The SHA-256 checksum.
    Tampering(
        "body_other_bytes_same_length",
        _body_other_bytes,
        400,
        "BadDigest",
        "The SHA256 you specified did not match the calculated checksum.",
    ),
    Tampering(
        "body_other_bytes_with_their_checksum",
        _body_other_bytes_with_their_checksum,
        403,
        SIGNATURE,
    ),
    Tampering(
        "checksum_header_missing",
        lambda c: c.with_headers(x_amz_checksum_sha256=None),
        403,
        SIGNATURE,
    ),
    # Metadata.
    Tampering(
        "metadata_value_changed", lambda c: c.with_headers(x_amz_meta_source="evil"), 403, SIGNATURE
    ),
    Tampering(
        "filename_metadata_changed",
        lambda c: c.with_headers(x_amz_meta_filename="payload.exe"),
        403,
        SIGNATURE,
    ),
    Tampering(
        "metadata_header_missing", lambda c: c.with_headers(x_amz_meta_batch=None), 403, SIGNATURE
    ),
    Tampering(
        "unsigned_metadata_added",
        lambda c: c.with_headers(x_amz_meta_owner="mallory"),
        403,
        "AccessDenied",
        "There were headers present in the request which were not signed",
    ),
    # The credentials and the clock.
    Tampering("signed_with_wrong_secret", _wrong_secret, 403, SIGNATURE),
    Tampering("expired_url", _expired, 403, "AccessDenied", "Request has expired"),
]


@pytest.mark.parametrize("tampering", TAMPERINGS, ids=[t.id for t in TAMPERINGS])
def test_s3_refuses_tampered_upload(
    tampering: Tampering,
    signer: Signer,
    localstack_s3: S3Client,
    localstack_bucket: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    issued = issue(signer, full_request())
    attempt = tampering.make(Context(signer, issued, monkeypatch))

    response = put(attempt)

    code, message = response.error
    assert (response.status, code) == (tampering.status, tampering.code), (
        f"sent {response.sent_headers}\n{response.body}"
    )
    if tampering.message:
        assert message == tampering.message, response.body
    for key in (issued.key, *attempt.other_keys):
        assert_absent(localstack_s3, localstack_bucket, key)

    # Control: the URL the signer issued, used as declared, still works; the refusal above
    # was caused by the tampering alone.
    accepted = put(Attempt(issued.url, issued.headers, DATA))
    assert accepted.status == 200, accepted.body
    stored = localstack_s3.get_object(Bucket=localstack_bucket, Key=issued.key)
    assert stored["Body"].read() == DATA
