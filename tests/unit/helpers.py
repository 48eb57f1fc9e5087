"""Shared helpers: API Gateway events, handler invocation, URL parsing and SigV4 checks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib
import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qs, parse_qsl, quote, urlsplit

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

BUCKET = "signed-import-test"
KEY_PREFIX = "imports/"
MAX_UPLOAD_BYTES = 1024 * 1024
URL_EXPIRY_SECONDS = 900
ALLOWED_CONTENT_TYPES = "application/octet-stream,text/csv,application/json,image/*"

FUNCTION_ENV = {
    "BUCKET_NAME": BUCKET,
    "KEY_PREFIX": KEY_PREFIX,
    "ALLOWED_CONTENT_TYPES": ALLOWED_CONTENT_TYPES,
    "MAX_UPLOAD_BYTES": str(MAX_UPLOAD_BYTES),
    "URL_EXPIRY_SECONDS": str(URL_EXPIRY_SECONDS),
}

HANDLER_MODULE = "signed_import.handler"

CSV_BYTES = b"order_id,amount\n1,9.99\n2,15.00\n"


def import_handler() -> ModuleType:
    """Import signed_import.handler afresh: it reads settings and builds its client at import."""
    sys.modules.pop(HANDLER_MODULE, None)
    return importlib.import_module(HANDLER_MODULE)


def sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def request_body(*, omit: Iterable[str] = (), **fields: Any) -> dict[str, Any]:
    """A valid POST /import body for CSV_BYTES, with `fields` changed and `omit` removed."""
    body: dict[str, Any] = {"size": len(CSV_BYTES), "content_type": "text/csv", **fields}
    for name in omit:
        body.pop(name, None)
    return body


def make_event(body: object, **overrides: Any) -> dict[str, Any]:
    """An API Gateway REST proxy event for POST /import.

    `body` is sent verbatim when it is a string or None, and JSON-encoded otherwise;
    `overrides` replace top-level event fields (httpMethod, headers, isBase64Encoded, ...).
    """
    raw = body if body is None or isinstance(body, str) else json.dumps(body)
    event: dict[str, Any] = {
        "resource": "/import",
        "path": "/import",
        "httpMethod": "POST",
        "headers": {"Content-Type": "application/json"},
        "queryStringParameters": None,
        "pathParameters": None,
        "requestContext": {"resourcePath": "/import", "httpMethod": "POST", "stage": "v1"},
        "body": raw,
        "isBase64Encoded": False,
    }
    event.update(overrides)
    return event


def route_event(
    method: str,
    resource: str,
    *,
    import_id: str | None = None,
    body: object = None,
    identity: Mapping[str, Any] | None = None,
    authorizer: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A REST proxy event for any route; `resource` is the template, e.g. /import/{import_id}."""
    event = make_event(body, httpMethod=method, resource=resource)
    event["path"] = resource.replace("{import_id}", import_id or "")
    event["pathParameters"] = None if import_id is None else {"import_id": import_id}
    context: dict[str, Any] = {"resourcePath": resource, "httpMethod": method, "stage": "v1"}
    if identity is not None:
        context["identity"] = dict(identity)
    if authorizer is not None:
        context["authorizer"] = dict(authorizer)
    event["requestContext"] = context
    if body is None:
        event["headers"] = {}
    return event


@dataclass(frozen=True)
class LambdaContext:
    aws_request_id: str = "11111111-2222-3333-4444-555555555555"


@dataclass(frozen=True)
class Response:
    """A proxy response with its JSON body decoded."""

    status: int
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def error_code(self) -> str:
        return str(self.body["error"]["code"])

    @property
    def upload(self) -> dict[str, Any]:
        upload: dict[str, Any] = self.body["upload"]
        return upload

    @property
    def url(self) -> str:
        return str(self.upload["url"])

    @property
    def upload_headers(self) -> dict[str, str]:
        headers: dict[str, str] = self.upload["headers"]
        return headers


@dataclass(frozen=True)
class Signer:
    """A freshly imported `signed_import.handler` module and an S3 client to inspect its bucket."""

    module: ModuleType
    s3: S3Client
    bucket: str

    def invoke(self, body: object, *, context: object = None, **overrides: Any) -> Response:
        """Call the handler with `make_event(body, **overrides)`."""
        return self.call(make_event(body, **overrides), context)

    def call(self, event: dict[str, Any], context: object = None) -> Response:
        raw = self.module.handler(event, LambdaContext() if context is None else context)
        assert set(raw) == {"statusCode", "headers", "body", "isBase64Encoded"}
        assert raw["isBase64Encoded"] is False
        return Response(raw["statusCode"], raw["headers"], json.loads(raw["body"]))

    def route(
        self, method: str, resource: str, import_id: str | None = None, body: object = None
    ) -> Response:
        """Call any route, e.g. `route("POST", "/import/{import_id}/parts", id, {...})`."""
        raw = self.module.handler(
            route_event(method, resource, import_id=import_id, body=body), LambdaContext()
        )
        decoded = json.loads(raw["body"]) if raw["body"] else {}
        return Response(raw["statusCode"], raw["headers"], decoded)

    def object_count(self) -> int:
        return self.s3.list_objects_v2(Bucket=self.bucket)["KeyCount"]


class LoadSigner(Protocol):
    """The `load_signer` fixture."""

    def __call__(self, **env: str | None) -> Signer:
        """Apply `env` (None unsets a variable), create the bucket, import the handler."""
        ...


def query(url: str) -> dict[str, str]:
    """The URL's query parameters; fails on a repeated parameter."""
    params = parse_qs(urlsplit(url).query, keep_blank_values=True, strict_parsing=True)
    assert all(len(values) == 1 for values in params.values()), params
    return {name: values[0] for name, values in params.items()}


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def sigv4_accepts(url: str, sent_headers: Mapping[str, str], secret_key: str) -> bool:
    """Verify a presigned PUT the way S3 does: recompute the SigV4 query signature from the
    URL and the headers a client actually sends. moto does not check signatures, so this is
    how the tests prove which requests S3 would accept or refuse."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    params = dict(pairs)
    signed_names = params["X-Amz-SignedHeaders"].split(";")
    sent = {name.lower(): value for name, value in sent_headers.items()}
    sent["host"] = parts.netloc
    if any(name not in sent for name in signed_names):
        return False
    # S3 refuses x-amz-* headers that the signature does not cover.
    if any(name.startswith("x-amz-") and name not in signed_names for name in sent):
        return False
    canonical_query = "&".join(
        f"{quote(name, safe='-_.~')}={quote(value, safe='-_.~')}"
        for name, value in sorted(pairs)
        if name != "X-Amz-Signature"
    )
    canonical_headers = "".join(f"{name}:{' '.join(sent[name].split())}\n" for name in signed_names)
    canonical_request = "\n".join(
        [
            "PUT",
            parts.path,
            canonical_query,
            canonical_headers,
            ";".join(signed_names),
            "UNSIGNED-PAYLOAD",
        ]
    )
    _access_key, scope = params["X-Amz-Credential"].split("/", 1)
    date, region, service, terminator = scope.split("/")
    string_to_sign = "\n".join(
        [
            "AWS4-HMAC-SHA256",
            params["X-Amz-Date"],
            scope,
            hashlib.sha256(canonical_request.encode("utf-8")).hexdigest(),
        ]
    )
    key = ("AWS4" + secret_key).encode("utf-8")
    for part in (date, region, service, terminator):
        key = _hmac(key, part)
    expected = hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, params["X-Amz-Signature"])
