"""End to end: a signature-verifying S3 (LocalStack) enforces what the signer signs.

The signer is loaded exactly as Lambda runs it: from the deterministic zip, configured by
environment, called with API Gateway's proxy events (an IAM caller, isolation on). Each URL it
issues is used once as declared (S3 stores exactly those bytes, type and metadata) and once
tampered with (S3 refuses it and stores nothing). Multipart imports with CRC-64/NVME: every part
URL binds its length and checksum, and S3 checks the whole object's CRC at completion.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.client
import importlib
import json
import re
import secrets
import sys
import threading
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
from signed_import_client.checksums import crc64nvme, to_b64

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from signed_import.config import Settings
    from signed_import.presign import Presigner
    from signed_import.signing import SignedUpload

REPO_ROOT = Path(__file__).resolve().parents[2]
REGION: Final = "eu-west-1"
KEY_PREFIX = "imports/"
EXPIRY_SECONDS = 60
HTTP_TIMEOUT = 30
MIB = 1024 * 1024
PART_SIZE = 5 * MIB  # S3's smallest part
CALLER_ARN = "arn:aws:iam::123456789012:user/e2e"

DATA = b"order_id,amount,currency\n" + b"".join(
    f"{n},{n * 3}.{n % 100:02d},EUR\n".encode() for n in range(1, 200)
)
METADATA = {"source": "crm", "batch": "2026-11-25"}
FILENAME = "orders 2026.csv"
FILENAME_METADATA = "orders%202026.csv"  # the signer percent-encodes it for the header


def sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def crc64nvme_b64(data: bytes) -> str:
    return to_b64(crc64nvme(data))


# --- the signer, loaded from its deployment zip ---------------------------------------------


@dataclass(frozen=True)
class Signer:
    zip_path: Path
    module_file: str
    handler: Callable[[dict[str, Any], Any], dict[str, Any]]
    settings: Settings
    s3: S3Client
    presigner: Presigner
    make_presigner: Callable[[Settings], Presigner]
    parse_import_request: Callable[[dict[str, Any], Settings], Any]
    sign_put: Callable[[Presigner, str, str, Any, int], SignedUpload]


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
        "MULTIPART_ENABLED": "true",
        "MULTIPART_THRESHOLD_BYTES": str(PART_SIZE),
        "CALLER_ISOLATION": "iam",
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
            presign = importlib.import_module("signed_import.presign")
            request = importlib.import_module("signed_import.request")
            loaded = {
                n: str(m.__file__)
                for n, m in sys.modules.items()
                if n == "signed_import" or n.startswith("signed_import.")
            }
            assert all(f.startswith(f"{signer_zip}/") for f in loaded.values()), loaded
            yield Signer(
                zip_path=signer_zip,
                module_file=str(handler.__file__),
                handler=handler.handler,
                settings=handler.SETTINGS,
                s3=handler.S3,
                presigner=handler.PRESIGNER,
                make_presigner=presign.Presigner,
                parse_import_request=request.parse_import_request,
                sign_put=signing.sign_put,
            )
        finally:
            _take_signer_modules()
            sys.modules.update(previous)


def api_event(
    method: str, resource: str, import_id: str | None = None, body: object = None
) -> dict[str, Any]:
    """An API Gateway REST (proxy integration) event for one route, from an IAM caller."""
    path = resource if import_id is None else resource.replace("{import_id}", import_id)
    headers = {"Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": None,
        "pathParameters": None if import_id is None else {"import_id": import_id},
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "stage": "v1",
            "identity": {"accountId": "123456789012", "userArn": CALLER_ARN},
        },
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }


def import_event(body: dict[str, Any]) -> dict[str, Any]:
    """POST /import."""
    return api_event("POST", "/import", body=body)


def call(signer: Signer, event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """The handler's status and JSON body ({} for none)."""
    response = signer.handler(event, None)
    return response["statusCode"], json.loads(response.get("body") or "{}")


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
    received_headers: dict[str, str] = field(default_factory=dict)

    @property
    def error(self) -> tuple[str, str]:
        """S3's error Code and Message."""
        code = re.search(r"<Code>([^<]*)</Code>", self.body)
        message = re.search(r"<Message>([^<]*)</Message>", self.body)
        return (code.group(1) if code else "", message.group(1) if message else "")


def put(attempt: Attempt) -> Response:
    """PUT with exactly the attempt's headers: http.client adds Host (unless the attempt has
    one) and nothing else, except Transfer-Encoding: chunked when the body is a list of chunks."""
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
    # Sent chunk-encoded by hand when chunked: http.client's own encoding writes from this
    # thread, where S3 closing the connection early would be a BrokenPipeError, not a refusal.
    body = attempt.body if isinstance(attempt.body, bytes) else _chunk_encoded(attempt.body)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=HTTP_TIMEOUT)
    sender: threading.Thread | None = None
    try:
        connection.putrequest(
            "PUT",
            f"{url.path}?{url.query}",
            skip_host=any(name.lower() == "host" for name in headers),
            skip_accept_encoding=True,
        )
        for name, value in headers.items():
            connection.putheader(name, value)
        # S3 may refuse a request from its headers alone and stop reading the body: send it
        # beside reading the answer, as a real client does, or a large part would block.
        connection.endheaders()
        sender = threading.Thread(target=_send_quietly, args=(connection, body))
        sender.start()
        with connection.getresponse() as response:
            text = response.read().decode(errors="replace")
            received = {name.lower(): value for name, value in response.getheaders()}
            return Response(response.status, text, headers, received)
    finally:
        connection.close()
        if sender is not None:
            sender.join(HTTP_TIMEOUT)


def _chunk_encoded(chunks: list[bytes]) -> bytes:
    """HTTP/1.1 chunked transfer coding of `chunks`, with the last (empty) chunk."""
    return b"".join(b"%X\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks) + b"0\r\n\r\n"


def _send_quietly(connection: http.client.HTTPConnection, body: bytes) -> None:
    """The body, until S3 has answered and the connection is closed under it."""
    with contextlib.suppress(OSError):
        connection.send(body)


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

    import_id = issued.response["import_id"]
    assert re.fullmatch(rf"{KEY_PREFIX}[a-z2-7]{{26}}/{import_id}", issued.key)
    assert issued.url.startswith(f"{localstack_s3_endpoint}/{localstack_bucket}/{issued.key}?")
    params = query(issued.url)
    assert params["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert params["X-Amz-Credential"].split("/")[2:] == [REGION, "s3", "aws4_request"]
    assert params["X-Amz-Expires"] == str(EXPIRY_SECONDS)
    assert params["X-Amz-SignedHeaders"].split(";") == [
        "content-length",
        "content-type",
        "host",
        "if-none-match",
        "x-amz-checksum-sha256",
        "x-amz-meta-batch",
        "x-amz-meta-filename",
        "x-amz-meta-source",
    ]
    assert issued.headers == {
        "Content-Type": "text/csv",
        "Content-Length": str(len(DATA)),
        "If-None-Match": "*",
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


# An S3 interface VPC endpoint's bucket name (AWS PrivateLink for Amazon S3).
VPC_ENDPOINT_HOST = "bucket.vpce-0123456789abcdef0-abcd1234.s3.eu-west-1.vpce.amazonaws.com"


def test_urls_for_an_s3_vpc_endpoint_are_signed_for_its_host(
    signer: Signer, localstack_s3_endpoint: str, localstack_s3: S3Client, localstack_bucket: str
) -> None:
    """UPLOAD_ENDPOINT_URL: the URL names the VPC endpoint, path-style, and S3 checks the
    signature over that Host. LocalStack, reached directly, stands in for the endpoint; the
    request carries the endpoint's Host, as a client inside the VPC sends it. LocalStack reads
    any `<name>.s3.<region>….amazonaws.com` host as virtual-hosted, so it looks for a bucket
    named `bucket.vpce-…` (where S3 takes the bucket from the path): one by that name lets the
    request reach the signature check, which is what this shows, and holds the object under
    `<bucket>/<key>`."""
    endpoint_bucket = VPC_ENDPOINT_HOST.split(".s3.", maxsplit=1)[0]
    with contextlib.suppress(localstack_s3.exceptions.BucketAlreadyOwnedByYou):
        localstack_s3.create_bucket(
            Bucket=endpoint_bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
    settings = replace(signer.settings, upload_endpoint_url=f"https://{VPC_ENDPOINT_HOST}")
    presigner = signer.make_presigner(settings)
    issued = issue(signer, full_request())  # an import the function created: its key
    request = signer.parse_import_request(issued.event, settings)
    upload = signer.sign_put(presigner, localstack_bucket, issued.key, request, EXPIRY_SECONDS)

    prefix = f"https://{VPC_ENDPOINT_HOST}/{localstack_bucket}/{issued.key}?"
    assert upload.url.startswith(prefix)
    direct = upload.url.replace(f"https://{VPC_ENDPOINT_HOST}", localstack_s3_endpoint)

    # Sent with LocalStack's own Host (as if to another endpoint): the signature does not match.
    refused = put(Attempt(direct, upload.headers, DATA))
    assert (refused.status, refused.error[0]) == (403, "SignatureDoesNotMatch"), refused.body
    assert_absent(localstack_s3, localstack_bucket, issued.key)
    # With the endpoint's Host but a body other than the one signed: refused too.
    other = put(Attempt(direct, {**upload.headers, "Host": VPC_ENDPOINT_HOST}, DATA[::-1]))
    assert other.status in {400, 403}, other.body
    stored_key = f"{localstack_bucket}/{issued.key}"
    assert_absent(localstack_s3, endpoint_bucket, stored_key)

    accepted = put(Attempt(direct, {**upload.headers, "Host": VPC_ENDPOINT_HOST}, DATA))
    assert accepted.status == 200, accepted.body
    stored = localstack_s3.get_object(Bucket=endpoint_bucket, Key=stored_key)
    assert stored["Body"].read() == DATA


def test_an_empty_file_is_stored_and_only_an_empty_body_is_accepted(
    signer: Signer, localstack_s3: S3Client, localstack_bucket: str
) -> None:
    empty_crc = crc64nvme_b64(b"")
    issued = issue(
        signer, {"size": 0, "checksum_algorithm": "CRC64NVME", "checksum_crc64nvme": empty_crc}
    )
    assert issued.headers["Content-Length"] == "0"

    refused = put(Attempt(issued.url, {**issued.headers, "Content-Length": "1"}, b"x"))
    assert refused.status == 403, refused.body  # the signed length is 0: SignatureDoesNotMatch
    assert_absent(localstack_s3, localstack_bucket, issued.key)

    response = put(Attempt(issued.url, issued.headers, b""))
    assert response.status == 200, response.body
    assert response.received_headers.get("x-amz-checksum-crc64nvme") == empty_crc

    stored = localstack_s3.get_object(
        Bucket=localstack_bucket, Key=issued.key, ChecksumMode="ENABLED"
    )
    assert stored["Body"].read() == b""
    assert stored["ContentLength"] == 0
    assert stored["ChecksumCRC64NVME"] == empty_crc


def test_minimal_request_stores_octet_stream(
    signer: Signer, localstack_s3: S3Client, localstack_bucket: str
) -> None:
    data = bytes(range(256)) * 3
    issued = issue(signer, {"size": len(data)})
    assert issued.headers == {
        "Content-Type": "application/octet-stream",
        "Content-Length": str(len(data)),
        "If-None-Match": "*",
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

    def resign(self, presigner: Presigner, expires_in: int) -> str:
        """The deployed sign_put, for the same key and request, with other credentials or expiry."""
        request = self.signer.parse_import_request(self.issued.event, self.signer.settings)
        upload = self.signer.sign_put(
            presigner, self.signer.settings.bucket, self.issued.key, request, expires_in
        )
        assert upload.headers == self.issued.headers
        return upload.url


def _key_swapped(ctx: Context) -> Attempt:
    other = KEY_PREFIX + base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=").lower()
    url = ctx.issued.url.replace(f"/{ctx.issued.key}?", f"/{other}?")
    assert url != ctx.issued.url
    return replace(ctx.declared, url=url, other_keys=(other,))


def _expiry_extended(ctx: Context) -> Attempt:
    url = re.sub(rf"X-Amz-Expires={EXPIRY_SECONDS}(?=&|$)", "X-Amz-Expires=604800", ctx.issued.url)
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
    presigner = ctx.signer.make_presigner(ctx.signer.settings)
    return replace(ctx.declared, url=ctx.resign(presigner, EXPIRY_SECONDS))


def _expired(ctx: Context) -> Attempt:
    # URL_EXPIRY_SECONDS is at least 60; sign_put itself with a 1 s lifetime, then outlive it.
    url = ctx.resign(ctx.signer.presigner, 1)
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
    # If-None-Match: without it a replayed URL could overwrite the import.
    Tampering(
        "if_none_match_missing", lambda c: c.with_headers(if_none_match=None), 403, SIGNATURE
    ),
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


# --- a used URL cannot be used again ------------------------------------------------------------


def test_replayed_url_never_overwrites_the_import(
    signer: Signer, localstack_s3: S3Client, localstack_bucket: str
) -> None:
    issued = issue(signer, full_request())
    assert put(Attempt(issued.url, issued.headers, DATA)).status == 200
    first = localstack_s3.head_object(Bucket=localstack_bucket, Key=issued.key)

    replayed = put(Attempt(issued.url, issued.headers, DATA))
    # Without If-None-Match S3 would overwrite: but the header is signed, so that is refused too.
    stripped = put(
        Attempt(issued.url, {k: v for k, v in issued.headers.items() if k != "If-None-Match"}, DATA)
    )

    assert (replayed.status, replayed.error[0]) == (412, "PreconditionFailed"), replayed.body
    assert (stripped.status, stripped.error[0]) == (403, SIGNATURE), stripped.body
    after = localstack_s3.head_object(Bucket=localstack_bucket, Key=issued.key)
    assert after["ETag"] == first["ETag"]
    assert after["LastModified"] == first["LastModified"]
    listed = localstack_s3.list_object_versions(Bucket=localstack_bucket, Prefix=issued.key)
    assert len(listed.get("Versions", [])) == 1


# --- multipart with CRC-64/NVME -----------------------------------------------------------------

PARTS_RESOURCE = "/import/{import_id}/parts"
COMPLETE_RESOURCE = "/import/{import_id}/complete"
BIG = secrets.token_bytes(PART_SIZE + 4099)  # two parts: 5 MiB and 4099 bytes


def part_of(data: bytes, number: int) -> bytes:
    return data[(number - 1) * PART_SIZE : number * PART_SIZE]


@dataclass(frozen=True)
class Multipart:
    """A multipart import as the signer created it, and calls on it."""

    signer: Signer
    import_id: str
    key: str
    response: dict[str, Any]

    def sign(self, number: int, crc: str) -> dict[str, Any]:
        """POST …/parts for one part with its declared CRC; the signed part."""
        body = {"parts": [{"part_number": number, "checksum_crc64nvme": crc}]}
        status, answer = call(self.signer, api_event("POST", PARTS_RESOURCE, self.import_id, body))
        assert status == 200, answer
        [part] = answer["parts"]
        assert part["part_number"] == number
        return dict(part)

    def upload(self, data: bytes, number: int) -> str:
        part = self.sign(number, crc64nvme_b64(part_of(data, number)))
        response = put(Attempt(part["url"], part["headers"], part_of(data, number)))
        assert response.status == 200, response.body
        return self.etag_of(number)

    def etag_of(self, number: int) -> str:
        status, answer = call(self.signer, api_event("GET", PARTS_RESOURCE, self.import_id))
        assert status == 200, answer
        return str(next(p["etag"] for p in answer["parts"] if p["part_number"] == number))

    def complete(self, etags: dict[int, str], crc: str | None) -> tuple[int, dict[str, Any]]:
        body: dict[str, Any] = {
            "parts": [{"part_number": n, "etag": etags[n]} for n in sorted(etags)]
        }
        if crc is not None:
            body["checksum_crc64nvme"] = crc
        return call(self.signer, api_event("POST", COMPLETE_RESOURCE, self.import_id, body))


def start_multipart(signer: Signer, data: bytes, *, declare_whole_crc: bool) -> Multipart:
    body: dict[str, Any] = {
        "size": len(data),
        "content_type": "application/octet-stream",
        "multipart": True,
        "part_size": PART_SIZE,
        "checksum_algorithm": "CRC64NVME",
    }
    if declare_whole_crc:
        body["checksum_crc64nvme"] = crc64nvme_b64(data)
    status, answer = call(signer, import_event(body))
    assert status == 201, answer
    upload = answer["upload"]
    assert upload["method"] == "MULTIPART"
    assert (upload["part_size"], upload["part_count"]) == (PART_SIZE, 2)
    assert upload["checksum_algorithm"] == "CRC64NVME"
    assert upload["parts"] == []  # part URLs need each part's CRC first
    return Multipart(signer, answer["import_id"], answer["key"], answer)


def test_part_url_signs_its_length_and_checksum(signer: Signer) -> None:
    upload = start_multipart(signer, BIG, declare_whole_crc=True)
    data = part_of(BIG, 2)
    part = upload.sign(2, crc64nvme_b64(data))

    assert part["size"] == len(data) == 4099
    assert part["headers"] == {
        "Content-Length": str(len(data)),
        "x-amz-checksum-crc64nvme": crc64nvme_b64(data),
    }
    params = query(part["url"])
    assert params["partNumber"] == "2"
    assert params["X-Amz-SignedHeaders"].split(";") == [
        "content-length",
        "host",
        "x-amz-checksum-crc64nvme",
    ]


def _longer(part: dict[str, Any], data: bytes) -> Attempt:
    body = data + b"!"
    return Attempt(part["url"], {**part["headers"], "Content-Length": str(len(body))}, body)


def _shorter(part: dict[str, Any], data: bytes) -> Attempt:
    body = data[:-1]
    return Attempt(part["url"], {**part["headers"], "Content-Length": str(len(body))}, body)


def _other_bytes_same_length(part: dict[str, Any], data: bytes) -> Attempt:
    body = bytes([data[0] ^ 0xFF]) + data[1:]
    return Attempt(part["url"], dict(part["headers"]), body)


def _checksum_header_missing(part: dict[str, Any], data: bytes) -> Attempt:
    headers = {k: v for k, v in part["headers"].items() if k != "x-amz-checksum-crc64nvme"}
    return Attempt(part["url"], headers, data)


def _other_bytes_with_their_checksum(part: dict[str, Any], data: bytes) -> Attempt:
    body = bytes([data[0] ^ 0xFF]) + data[1:]
    headers = {**part["headers"], "x-amz-checksum-crc64nvme": crc64nvme_b64(body)}
    return Attempt(part["url"], headers, body)


PART_TAMPERINGS = [
    ("one_byte_longer", _longer, 403, SIGNATURE),
    ("one_byte_shorter", _shorter, 403, SIGNATURE),
    ("bytes_differ_from_declared_crc", _other_bytes_same_length, 400, "BadDigest"),
    ("checksum_header_missing", _checksum_header_missing, 403, SIGNATURE),
    ("other_bytes_with_their_crc", _other_bytes_with_their_checksum, 403, SIGNATURE),
]


@pytest.mark.parametrize(
    ("make", "status", "code"),
    [pytest.param(make, status, code, id=name) for name, make, status, code in PART_TAMPERINGS],
)
@pytest.mark.parametrize("number", [1, 2], ids=["full-part", "last-part"])
def test_s3_refuses_a_part_other_than_signed(
    signer: Signer,
    number: int,
    make: Callable[[dict[str, Any], bytes], Attempt],
    status: int,
    code: str,
) -> None:
    upload = start_multipart(signer, BIG, declare_whole_crc=True)
    data = part_of(BIG, number)
    part = upload.sign(number, crc64nvme_b64(data))

    refused = put(make(part, data))
    held_after_refusal = call(signer, api_event("GET", PARTS_RESOURCE, upload.import_id))
    accepted = put(Attempt(part["url"], part["headers"], data))

    assert (refused.status, refused.error[0]) == (status, code), (
        f"sent {refused.sent_headers}\n{refused.body}"
    )
    assert held_after_refusal[0] == 200, held_after_refusal
    assert held_after_refusal[1]["parts"] == []  # S3 kept nothing of the refused part
    # Control: the same URL with exactly the signed part is accepted.
    assert accepted.status == 200, accepted.body
    status_code, listed = call(signer, api_event("GET", PARTS_RESOURCE, upload.import_id))
    assert status_code == 200
    assert [(p["part_number"], p["size"]) for p in listed["parts"]] == [(number, len(data))]
    assert call(signer, api_event("DELETE", "/import/{import_id}", upload.import_id))[0] == 204


def test_wrong_whole_object_crc_is_refused_and_the_upload_stays_completable(
    signer: Signer, localstack_s3: S3Client, localstack_bucket: str
) -> None:
    upload = start_multipart(signer, BIG, declare_whole_crc=False)
    etags = {n: upload.upload(BIG, n) for n in (1, 2)}
    wrong = crc64nvme_b64(BIG[:-1] + bytes([BIG[-1] ^ 1]))  # another last byte, always
    assert wrong != crc64nvme_b64(BIG)

    refused = upload.complete(etags, wrong)

    assert refused[0] == 400, refused
    assert refused[1]["error"]["code"] == "BadDigest"
    assert_absent(localstack_s3, localstack_bucket, upload.key)
    status, state = call(signer, api_event("GET", "/import/{import_id}", upload.import_id))
    assert (status, state["status"]) == (200, "uploading"), state

    status, completed = upload.complete(etags, crc64nvme_b64(BIG))

    assert status == 200, completed
    assert completed["status"] == "complete"
    assert completed["size"] == len(BIG)
    # The CRC S3 computed over the assembled object, passed on: what "verified by S3" rests on.
    assert completed["checksum_crc64nvme"] == crc64nvme_b64(BIG)
    stored = localstack_s3.get_object(
        Bucket=localstack_bucket, Key=upload.key, ChecksumMode="ENABLED"
    )
    assert stored["Body"].read() == BIG
    assert stored["ChecksumCRC64NVME"] == crc64nvme_b64(BIG)
    assert stored.get("ChecksumType") == "FULL_OBJECT"
    # Asked again (a client that lost the answer) and the status: the same CRC, from HeadObject.
    assert upload.complete(etags, crc64nvme_b64(BIG)) == (200, completed)
    status, state = call(signer, api_event("GET", "/import/{import_id}", upload.import_id))
    assert (status, state["checksum_crc64nvme"]) == (200, crc64nvme_b64(BIG)), state


def test_completion_without_any_whole_object_crc_is_refused(signer: Signer) -> None:
    upload = start_multipart(signer, BIG, declare_whole_crc=False)
    etags = {n: upload.upload(BIG, n) for n in (1, 2)}

    status, answer = upload.complete(etags, None)

    assert (status, answer["error"]["code"]) == (400, "MissingChecksum"), answer
    assert upload.complete(etags, crc64nvme_b64(BIG))[0] == 200


def test_declared_whole_object_crc_is_checked_by_s3(
    signer: Signer, localstack_s3: S3Client, localstack_bucket: str
) -> None:
    # Declared in POST /import: every part right, but the file declared was another one.
    other = BIG[:-1] + bytes([BIG[-1] ^ 1])
    upload = start_multipart(signer, other, declare_whole_crc=True)
    etags = {n: upload.upload(BIG, n) for n in (1, 2)}

    status, answer = upload.complete(etags, None)

    assert (status, answer["error"]["code"]) == (400, "BadDigest"), answer
    assert_absent(localstack_s3, localstack_bucket, upload.key)


# --- what LocalStack does not check ---------------------------------------------------------


def test_localstack_evaluates_no_bucket_policy(localstack_s3: S3Client) -> None:
    """The module's bucket policy (TLS only, conditional writes) is asserted by terraform test
    alone: LocalStack's community S3 stores an object even under an unconditional Deny. If this
    starts failing, LocalStack evaluates bucket policies and the statements can be tested here."""
    bucket = f"signed-import-policy-{secrets.token_hex(4)}"
    localstack_s3.create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    deny_all_puts = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ],
    }
    localstack_s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(deny_all_puts))

    localstack_s3.put_object(Bucket=bucket, Key="imports/x", Body=b"x")

    assert localstack_s3.get_object(Bucket=bucket, Key="imports/x")["Body"].read() == b"x"
