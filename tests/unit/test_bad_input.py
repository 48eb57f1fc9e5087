"""Every bad request from SECURITY.md gets a 4xx JSON error, and nothing is written to S3."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from .helpers import (
    CSV_BYTES,
    MAX_UPLOAD_BYTES,
    Response,
    Signer,
    make_event,
    request_body,
    sha256_b64,
)

CHECKSUM = sha256_b64(CSV_BYTES)
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
# Same 32 bytes once decoded, but the unused low bits of the last character are set.
NON_CANONICAL_CHECKSUM = CHECKSUM[:42] + _B64[_B64.index(CHECKSUM[42]) ^ 1] + "="
URL_SAFE_DIGEST = bytes([0xFB, 0xFF] * 16)  # standard base64 is full of '+' and '/'


def with_size(raw_size: str) -> str:
    """A body whose size is a raw JSON token that json.dumps cannot produce."""
    return '{"size": ' + raw_size + ', "content_type": "text/csv"}'


def assert_rejected(signer: Signer, response: Response, status: int, code: str) -> None:
    assert response.status == status, response.body
    assert response.body == {"error": {"code": code, "message": response.body["error"]["message"]}}
    message = response.body["error"]["message"]
    assert isinstance(message, str)
    assert message
    assert response.headers["Content-Type"] == "application/json"
    assert signer.object_count() == 0


BODY_CASES = [
    # The body as a whole
    pytest.param('{"size": 1', 400, "MalformedJson", id="truncated-json"),
    pytest.param("{size: 1}", 400, "MalformedJson", id="unquoted-key"),
    pytest.param("{'size': 1}", 400, "MalformedJson", id="single-quotes"),
    pytest.param('{"size": 1} {}', 400, "MalformedJson", id="trailing-data"),
    pytest.param("   ", 400, "MalformedJson", id="whitespace-only"),
    pytest.param(
        '{"size": ' + "[" * 5000 + "]" * 5000 + "}", 400, "MalformedJson", id="deeply-nested"
    ),
    pytest.param("[]", 400, "InvalidBody", id="json-array"),
    pytest.param('[{"size": 1}]', 400, "InvalidBody", id="json-array-of-object"),
    pytest.param('"size"', 400, "InvalidBody", id="json-string"),
    pytest.param("42", 400, "InvalidBody", id="json-number"),
    pytest.param("null", 400, "InvalidBody", id="json-null"),
    pytest.param("true", 400, "InvalidBody", id="json-bool"),
    pytest.param("", 400, "EmptyBody", id="empty-body"),
    pytest.param(None, 400, "EmptyBody", id="no-body"),
    pytest.param(request_body(filename="a" * 17000), 413, "BodyTooLarge", id="body-over-16k"),
    pytest.param(request_body(key="../x"), 400, "UnknownField", id="unknown-field-key"),
    pytest.param(request_body(bucket="other"), 400, "UnknownField", id="unknown-field-bucket"),
    pytest.param(request_body(acl="public-read"), 400, "UnknownField", id="unknown-field-acl"),
    pytest.param(request_body(Size=2), 400, "UnknownField", id="unknown-field-case"),
    pytest.param('{"size": 31, "size": 1}', 400, "DuplicateField", id="duplicate-size"),
    pytest.param(
        '{"size": 31, "content_type": "image/png", "content_type": "text/csv"}',
        400,
        "DuplicateField",
        id="duplicate-content-type",
    ),
    pytest.param(
        '{"size": 31, "metadata": {"source": "crm", "source": "x\\r\\ny"}}',
        400,
        "DuplicateField",
        id="duplicate-nested-name",
    ),
    # size
    pytest.param(request_body(omit=["size"]), 400, "MissingSize", id="size-missing"),
    pytest.param(request_body(size=None), 400, "MissingSize", id="size-null"),
    pytest.param(
        request_body(size=0, multipart=True), 400, "EmptyMultipart", id="size-zero-multipart"
    ),
    pytest.param(request_body(size=-1), 400, "InvalidSize", id="size-negative"),
    pytest.param(request_body(size=MAX_UPLOAD_BYTES + 1), 413, "SizeTooLarge", id="size-limit+1"),
    pytest.param(request_body(size=5 * 1024**3 + 1), 413, "SizeTooLarge", id="size-over-5gib"),
    pytest.param(request_body(size=10**30), 413, "SizeTooLarge", id="size-huge"),
    pytest.param(request_body(size=1.5), 400, "InvalidSize", id="size-float"),
    pytest.param(request_body(size=1.0), 400, "InvalidSize", id="size-whole-float"),
    pytest.param(with_size("1e400"), 400, "InvalidSize", id="size-infinity"),
    pytest.param(with_size("NaN"), 400, "InvalidSize", id="size-nan"),
    pytest.param(request_body(size="32"), 400, "InvalidSize", id="size-string"),
    pytest.param(request_body(size=True), 400, "InvalidSize", id="size-true"),
    pytest.param(request_body(size=False), 400, "InvalidSize", id="size-false"),
    pytest.param(request_body(size=[32]), 400, "InvalidSize", id="size-list"),
    pytest.param(request_body(size={"bytes": 32}), 400, "InvalidSize", id="size-object"),
    # content_type
    pytest.param(
        request_body(content_type="application/x-msdownload"),
        415,
        "ContentTypeNotAllowed",
        id="type-not-allowed",
    ),
    pytest.param(request_body(content_type="text/html"), 415, "ContentTypeNotAllowed", id="html"),
    pytest.param(request_body(content_type="video/mp4"), 415, "ContentTypeNotAllowed", id="video"),
    pytest.param(
        request_body(content_type="text/csv\r\nx-amz-acl: public-read"),
        400,
        "InvalidContentType",
        id="type-crlf-injection",
    ),
    pytest.param(
        request_body(content_type="text/csv\nx-amz-acl: public-read"),
        400,
        "InvalidContentType",
        id="type-lf-injection",
    ),
    pytest.param(request_body(content_type="text/csv\r"), 400, "InvalidContentType", id="type-cr"),
    pytest.param(
        request_body(content_type="text/csv\r\n"), 400, "InvalidContentType", id="type-crlf"
    ),
    pytest.param(
        request_body(content_type="text/csv\n"), 400, "InvalidContentType", id="type-trailing-lf"
    ),
    pytest.param(request_body(content_type=7), 400, "InvalidContentType", id="type-number"),
    pytest.param(request_body(content_type=None), 400, "InvalidContentType", id="type-null"),
    pytest.param(request_body(checksum_sha256=None), 400, "InvalidChecksum", id="checksum-null"),
    pytest.param(request_body(filename=None), 400, "InvalidFilename", id="filename-null"),
    pytest.param(request_body(content_type=""), 400, "InvalidContentType", id="type-empty"),
    pytest.param(request_body(content_type="csv"), 400, "InvalidContentType", id="type-no-slash"),
    pytest.param(request_body(content_type="text/*"), 400, "InvalidContentType", id="type-range"),
    pytest.param(
        request_body(content_type="text/csv "), 400, "InvalidContentType", id="type-space"
    ),
    pytest.param(
        request_body(content_type="text/" + "c" * 251), 400, "InvalidContentType", id="type-long"
    ),
    # checksum_sha256
    pytest.param(request_body(checksum_sha256="!" * 44), 400, "InvalidChecksum", id="not-base64"),
    pytest.param(
        request_body(checksum_sha256=CHECKSUM.rstrip("=")),
        400,
        "InvalidChecksum",
        id="missing-padding",
    ),
    pytest.param(
        request_body(checksum_sha256=CHECKSUM + "="), 400, "InvalidChecksum", id="extra-padding"
    ),
    pytest.param(
        request_body(checksum_sha256=CHECKSUM.encode().hex()[:64]),
        400,
        "InvalidChecksum",
        id="hex-instead-of-base64",
    ),
    pytest.param(
        request_body(checksum_sha256=base64.b64encode(bytes(31)).decode()),
        400,
        "InvalidChecksum",
        id="digest-31-bytes",
    ),
    pytest.param(
        request_body(checksum_sha256=base64.b64encode(bytes(33)).decode()),
        400,
        "InvalidChecksum",
        id="digest-33-bytes",
    ),
    pytest.param(
        request_body(checksum_sha256=base64.urlsafe_b64encode(URL_SAFE_DIGEST).decode()),
        400,
        "InvalidChecksum",
        id="url-safe-alphabet",
    ),
    pytest.param(
        request_body(checksum_sha256=CHECKSUM[:10] + " " + CHECKSUM[11:]),
        400,
        "InvalidChecksum",
        id="embedded-space",
    ),
    pytest.param(
        request_body(checksum_sha256=CHECKSUM + "\n"),
        400,
        "InvalidChecksum",
        id="trailing-newline",
    ),
    pytest.param(
        request_body(checksum_sha256=" " + CHECKSUM[:-1]),
        400,
        "InvalidChecksum",
        id="leading-space",
    ),
    pytest.param(
        request_body(checksum_sha256=NON_CANONICAL_CHECKSUM),
        400,
        "InvalidChecksum",
        id="non-canonical-padding-bits",
    ),
    pytest.param(request_body(checksum_sha256=""), 400, "InvalidChecksum", id="checksum-empty"),
    pytest.param(request_body(checksum_sha256=12), 400, "InvalidChecksum", id="checksum-number"),
    pytest.param(
        request_body(checksum_sha256=[CHECKSUM]), 400, "InvalidChecksum", id="checksum-list"
    ),
    pytest.param(
        request_body(checksum_sha256="é" * 44), 400, "InvalidChecksum", id="checksum-non-ascii"
    ),
    # filename
    pytest.param(request_body(filename="../x"), 400, "InvalidFilename", id="parent-dir"),
    pytest.param(
        request_body(filename="../../etc/passwd"), 400, "InvalidFilename", id="parent-traversal"
    ),
    pytest.param(request_body(filename="/etc/passwd"), 400, "InvalidFilename", id="absolute"),
    pytest.param(request_body(filename="dir/x.csv"), 400, "InvalidFilename", id="subdir"),
    pytest.param(request_body(filename="a\\b"), 400, "InvalidFilename", id="backslash"),
    pytest.param(request_body(filename="C:\\x.csv"), 400, "InvalidFilename", id="windows-path"),
    pytest.param(request_body(filename="a\x00b.csv"), 400, "InvalidFilename", id="nul"),
    pytest.param(request_body(filename="a\r\nb.csv"), 400, "InvalidFilename", id="filename-crlf"),
    pytest.param(request_body(filename="a\x7fb.csv"), 400, "InvalidFilename", id="filename-del"),
    pytest.param(request_body(filename=".."), 400, "InvalidFilename", id="dot-dot"),
    pytest.param(request_body(filename="."), 400, "InvalidFilename", id="dot"),
    pytest.param(request_body(filename=""), 400, "InvalidFilename", id="filename-empty"),
    pytest.param(request_body(filename="a" * 256), 400, "InvalidFilename", id="filename-long"),
    pytest.param(request_body(filename=42), 400, "InvalidFilename", id="filename-number"),
    pytest.param(request_body(filename=["x"]), 400, "InvalidFilename", id="filename-list"),
    pytest.param(
        json.dumps(request_body()).replace("}", ', "filename": "\\ud800.csv"}'),
        400,
        "InvalidFilename",
        id="filename-lone-surrogate",
    ),
    # metadata
    pytest.param(request_body(metadata="source=crm"), 400, "InvalidMetadata", id="meta-string"),
    pytest.param(request_body(metadata=[["a", "b"]]), 400, "InvalidMetadata", id="meta-list"),
    pytest.param(request_body(metadata=1), 400, "InvalidMetadata", id="meta-number"),
    pytest.param(request_body(metadata=None), 400, "InvalidMetadata", id="meta-null"),
    pytest.param(
        request_body(metadata={"source": "crm\r\nx-amz-acl: public-read"}),
        400,
        "InvalidMetadata",
        id="meta-value-crlf-injection",
    ),
    pytest.param(
        request_body(metadata={"source": "a\nb"}), 400, "InvalidMetadata", id="meta-value-lf"
    ),
    pytest.param(
        request_body(metadata={"source": "crm\r"}), 400, "InvalidMetadata", id="meta-value-cr"
    ),
    pytest.param(
        request_body(metadata={"source": "crm\n"}),
        400,
        "InvalidMetadata",
        id="meta-value-trailing-lf",
    ),
    pytest.param(
        request_body(metadata={"source\r\nx-amz-acl": "public-read"}),
        400,
        "InvalidMetadata",
        id="meta-key-crlf-injection",
    ),
    pytest.param(
        request_body(metadata={"source\n": "crm"}),
        400,
        "InvalidMetadata",
        id="meta-key-trailing-lf",
    ),
    pytest.param(
        request_body(metadata={"quelle-ü": "crm"}), 400, "InvalidMetadata", id="meta-key-latin1"
    ),
    pytest.param(
        request_body(metadata={"ключ": "crm"}), 400, "InvalidMetadata", id="meta-key-cyrillic"
    ),
    pytest.param(
        request_body(metadata={"\uff53ource": "crm"}),
        400,
        "InvalidMetadata",
        id="meta-key-fullwidth",
    ),
    pytest.param(
        request_body(metadata={"Source": "crm"}), 400, "InvalidMetadata", id="meta-key-upper"
    ),
    pytest.param(
        request_body(metadata={"a b": "crm"}), 400, "InvalidMetadata", id="meta-key-space"
    ),
    pytest.param(request_body(metadata={"": "crm"}), 400, "InvalidMetadata", id="meta-key-empty"),
    pytest.param(
        request_body(metadata={"k" * 65: "crm"}), 400, "InvalidMetadata", id="meta-key-long"
    ),
    pytest.param(
        request_body(metadata={"filename": "x.csv"}),
        400,
        "InvalidMetadata",
        id="meta-key-filename",
    ),
    pytest.param(
        request_body(metadata={"source": "crm ü"}), 400, "InvalidMetadata", id="meta-non-ascii"
    ),
    pytest.param(
        request_body(metadata={"source": " crm"}), 400, "InvalidMetadata", id="meta-space-padded"
    ),
    pytest.param(request_body(metadata={"source": "a\tb"}), 400, "InvalidMetadata", id="meta-tab"),
    pytest.param(
        request_body(metadata={f"k{i}": "v" for i in range(11)}),
        400,
        "InvalidMetadata",
        id="meta-too-many-entries",
    ),
    pytest.param(
        request_body(metadata={"source": "v" * 257}),
        400,
        "InvalidMetadata",
        id="meta-value-too-long",
    ),
    pytest.param(
        request_body(metadata={f"key-{i}": "v" * 250 for i in range(9)}),
        400,
        "InvalidMetadata",
        id="meta-total-too-large",
    ),
    pytest.param(
        request_body(
            filename="é" * 50,  # percent-encoded to 300 characters
            metadata={f"k{i}": "v" * 200 for i in range(9)},
        ),
        400,
        "InvalidMetadata",
        id="meta-total-with-filename-too-large",
    ),
    pytest.param(request_body(metadata={"n": 1}), 400, "InvalidMetadata", id="meta-value-number"),
    pytest.param(request_body(metadata={"b": True}), 400, "InvalidMetadata", id="meta-value-bool"),
    pytest.param(request_body(metadata={"z": None}), 400, "InvalidMetadata", id="meta-value-null"),
    pytest.param(
        request_body(metadata={"o": {"a": "b"}}), 400, "InvalidMetadata", id="meta-value-object"
    ),
    pytest.param(request_body(metadata={"l": ["a"]}), 400, "InvalidMetadata", id="meta-value-list"),
]


@pytest.mark.parametrize(("body", "status", "code"), BODY_CASES)
def test_bad_body_is_rejected(signer: Signer, body: object, status: int, code: str) -> None:
    assert_rejected(signer, signer.invoke(body), status, code)


EVENT_CASES = [
    pytest.param(
        {"headers": {"Content-Type": "text/plain"}}, 415, "UnsupportedMediaType", id="text-plain"
    ),
    pytest.param(
        {"headers": {"content-type": "application/x-www-form-urlencoded"}},
        415,
        "UnsupportedMediaType",
        id="form-urlencoded",
    ),
    pytest.param(
        {"headers": {"Content-Type": "multipart/form-data; boundary=x"}},
        415,
        "UnsupportedMediaType",
        id="multipart",
    ),
    pytest.param(
        {"headers": {"Content-Type": "application/jsonp"}},
        415,
        "UnsupportedMediaType",
        id="json-lookalike",
    ),
    pytest.param(
        {
            "isBase64Encoded": True,
            "body": base64.b64encode(json.dumps(request_body()).encode()).decode(),
        },
        400,
        "InvalidBody",
        id="base64-encoded-body",
    ),
    pytest.param({"isBase64Encoded": True}, 400, "InvalidBody", id="base64-flag-on-json"),
    pytest.param({"resource": "/uploads", "path": "/uploads"}, 404, "NotFound", id="other-path"),
    pytest.param(
        {"resource": "/import/{import_id}"}, 405, "MethodNotAllowed", id="post-on-import-id"
    ),
    pytest.param({"resource": "/", "path": "/"}, 404, "NotFound", id="root"),
    pytest.param({"resource": "/IMPORT", "path": "/IMPORT"}, 404, "NotFound", id="case"),
    pytest.param({"resource": None, "path": None}, 404, "NotFound", id="no-path"),
]


@pytest.mark.parametrize(("overrides", "status", "code"), EVENT_CASES)
def test_bad_request_is_rejected(
    signer: Signer, overrides: dict[str, Any], status: int, code: str
) -> None:
    event = make_event(request_body()) | overrides

    assert_rejected(signer, signer.call(event), status, code)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"])
def test_wrong_method_on_import_is_405_with_allow(signer: Signer, method: str) -> None:
    response = signer.invoke(request_body(), httpMethod=method)

    assert_rejected(signer, response, 405, "MethodNotAllowed")
    assert response.headers["Allow"] == "POST"
