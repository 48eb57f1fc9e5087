"""POST /import returns the documented 201 body, and S3 stores exactly what it signed for."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import unquote

import pytest
import requests  # type: ignore[import-untyped]  # no types-requests in the dev group

from .helpers import (
    BUCKET,
    CSV_BYTES,
    KEY_PREFIX,
    MAX_UPLOAD_BYTES,
    Response,
    Signer,
    request_body,
    sha256_b64,
)

FILENAME = "Q3 orders (final) ü.csv"
FULL_BODY = request_body(
    checksum_sha256=sha256_b64(CSV_BYTES),
    filename=FILENAME,
    metadata={"source": "crm", "batch-id": "2024-11"},
)


def put(response: Response, data: bytes) -> requests.Response:
    """Upload `data` as a client would: to upload.url with exactly upload.headers."""
    return requests.put(response.url, data=data, headers=response.upload_headers, timeout=10)


def test_response_has_the_documented_shape(signer: Signer) -> None:
    response = signer.invoke(FULL_BODY)

    assert response.status == 201
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    body = response.body
    assert set(body) == {"import_id", "bucket", "key", "expires_at", "upload", "upload_url"}
    assert body["bucket"] == BUCKET
    assert body["key"] == KEY_PREFIX + body["import_id"]
    datetime.strptime(body["expires_at"], "%Y-%m-%dT%H:%M:%SZ")  # raises unless ISO-8601 UTC
    assert set(body["upload"]) == {"method", "url", "headers"}
    assert body["upload"]["method"] == "PUT"
    assert body["upload"]["url"].startswith("https://")
    assert body["upload_url"] == body["upload"]["url"]
    assert body["upload"]["headers"] == {
        "Content-Type": "text/csv",
        "Content-Length": str(len(CSV_BYTES)),
        "If-None-Match": "*",
        "x-amz-checksum-sha256": sha256_b64(CSV_BYTES),
        "x-amz-meta-source": "crm",
        "x-amz-meta-batch-id": "2024-11",
        "x-amz-meta-filename": "Q3%20orders%20(final)%20%C3%BC.csv",
    }


def test_upload_with_the_returned_headers_stores_the_declared_object(signer: Signer) -> None:
    response = signer.invoke(FULL_BODY)

    upload = put(response, CSV_BYTES)

    assert upload.status_code == 200
    assert upload.request.headers["x-amz-checksum-sha256"] == sha256_b64(CSV_BYTES)
    stored = signer.s3.get_object(Bucket=BUCKET, Key=response.body["key"], ChecksumMode="ENABLED")
    data = stored["Body"].read()
    assert data == CSV_BYTES
    assert stored["ContentLength"] == len(CSV_BYTES)
    assert stored["ContentType"] == "text/csv"
    assert stored["Metadata"] == {
        "source": "crm",
        "batch-id": "2024-11",
        "filename": "Q3%20orders%20(final)%20%C3%BC.csv",
    }
    assert unquote(stored["Metadata"]["filename"]) == FILENAME
    # moto 5.2.5 records x-amz-checksum-sha256 only alongside x-amz-sdk-checksum-algorithm, which
    # a presigned PUT does not send, so the stored checksum is compared through the bytes; that
    # S3 refuses other bytes is proven on the signature (test_signature.py).
    assert stored.get("ChecksumSHA256", sha256_b64(data)) == sha256_b64(CSV_BYTES)
    assert [item["Key"] for item in signer.s3.list_objects_v2(Bucket=BUCKET)["Contents"]] == [
        response.body["key"]
    ]


@pytest.mark.parametrize(
    ("fields", "data", "expected_type"),
    [
        pytest.param({"size": 1}, b"x", "application/octet-stream", id="defaults"),
        pytest.param(
            {"size": 4, "content_type": "image/png"}, b"\x89PNG", "image/png", id="wildcard-type"
        ),
        pytest.param(
            {"size": 3, "content_type": "text/csv; charset=utf-8"},
            b"a,b",
            "text/csv; charset=utf-8",
            id="type-with-parameter",
        ),
        pytest.param(
            {"size": 2, "content_type": "Application/JSON"},
            b"{}",
            "Application/JSON",
            id="type-case-insensitive",
        ),
        pytest.param({"size": 2, "metadata": {}}, b"ok", "application/octet-stream", id="no-meta"),
    ],
)
def test_accepted_variants_upload_and_keep_their_content_type(
    signer: Signer, fields: dict[str, Any], data: bytes, expected_type: str
) -> None:
    response = signer.invoke(fields)

    assert response.status == 201
    assert response.upload_headers == {
        "Content-Type": expected_type,
        "Content-Length": str(len(data)),
        "If-None-Match": "*",
    }
    assert put(response, data).status_code == 200
    stored = signer.s3.get_object(Bucket=BUCKET, Key=response.body["key"])
    assert stored["Body"].read() == data
    assert stored["ContentType"] == expected_type
    assert stored["Metadata"] == {}


def test_size_at_the_limit_is_accepted(signer: Signer) -> None:
    response = signer.invoke({"size": MAX_UPLOAD_BYTES})

    assert response.status == 201
    assert response.upload_headers["Content-Length"] == str(MAX_UPLOAD_BYTES)


def test_an_empty_file_is_imported_in_one_put(signer: Signer) -> None:
    empty_crc64nvme = "AAAAAAAAAAA="  # CRC-64/NVME of no bytes: 0
    response = signer.invoke(
        {"size": 0, "checksum_algorithm": "CRC64NVME", "checksum_crc64nvme": empty_crc64nvme}
    )

    assert response.status == 201
    assert response.body["upload"]["method"] == "PUT"
    assert response.upload_headers == {
        "Content-Type": "application/octet-stream",
        "Content-Length": "0",
        "If-None-Match": "*",
        "x-amz-checksum-crc64nvme": empty_crc64nvme,
    }
    assert put(response, b"").status_code == 200
    stored = signer.s3.get_object(Bucket=BUCKET, Key=response.body["key"])
    assert stored["Body"].read() == b""
    status = signer.route("GET", "/import/{import_id}", response.body["import_id"])
    assert (status.status, status.body["status"], status.body["size"]) == (200, "complete", 0)


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Content-Type": "application/json; charset=utf-8"}, id="json-with-charset"),
        pytest.param({"content-type": "application/json"}, id="lowercase-header-name"),
        pytest.param({"Accept": "application/json"}, id="no-content-type"),
        pytest.param(None, id="no-headers"),
    ],
)
def test_json_request_headers_are_accepted(signer: Signer, headers: dict[str, str] | None) -> None:
    assert signer.invoke(request_body(), headers=headers).status == 201
