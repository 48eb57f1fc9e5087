"""A single-PUT import: written once (If-None-Match), and its status from pending to complete."""

from __future__ import annotations

import base64
import sys
import time
from types import SimpleNamespace

import pytest
import requests  # type: ignore[import-untyped]  # no types-requests in the dev group

from .helpers import BUCKET, CSV_BYTES, URL_EXPIRY_SECONDS, Signer, request_body, sigv4_accepts

IMPORT_ID = "/import/{import_id}"


def test_a_replayed_url_cannot_overwrite_the_object(signer: Signer, secret_key: str) -> None:
    created = signer.invoke(request_body())
    key = created.body["key"]
    assert created.upload_headers["If-None-Match"] == "*"
    without = {k: v for k, v in created.upload_headers.items() if k != "If-None-Match"}
    assert not sigv4_accepts(created.url, without, secret_key), "the header must be signed"

    first = requests.put(created.url, data=CSV_BYTES, headers=created.upload_headers, timeout=10)
    other = b"X" * len(CSV_BYTES)
    replay = requests.put(created.url, data=other, headers=created.upload_headers, timeout=10)

    assert first.status_code == 200
    assert replay.status_code == 412
    assert signer.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == CSV_BYTES
    versions = signer.s3.list_object_versions(Bucket=BUCKET, Prefix=key).get("Versions", [])
    assert len(versions) <= 1


def test_status_goes_from_pending_to_complete(signer: Signer) -> None:
    created = signer.invoke(request_body())
    import_id, key = created.body["import_id"], created.body["key"]

    pending = signer.route("GET", IMPORT_ID, import_id)

    assert pending.status == 200
    assert pending.body == {
        "import_id": import_id,
        "bucket": created.body["bucket"],
        "key": key,
        "method": "PUT",
        "status": "pending",
        "expires_at": created.body["expires_at"],
    }

    requests.put(created.url, data=CSV_BYTES, headers=created.upload_headers, timeout=10)
    complete = signer.route("GET", IMPORT_ID, import_id)

    assert complete.status == 200
    assert complete.body["status"] == "complete"
    assert complete.body["size"] == len(CSV_BYTES)
    assert complete.body["content_type"] == "text/csv"
    assert complete.body["etag"].strip('"')
    assert complete.body["last_modified"].endswith("Z")


def test_a_single_put_id_is_unknown_once_its_url_expired_unused(
    signer: Signer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_id = signer.invoke(request_body()).body["import_id"]
    later = time.time() + URL_EXPIRY_SECONDS + 60
    # Only the status module's clock moves on; botocore keeps the real one.
    monkeypatch.setattr(
        sys.modules["signed_import.status"], "time", SimpleNamespace(time=lambda: later)
    )

    response = signer.route("GET", IMPORT_ID, import_id)

    assert (response.status, response.error_code) == (404, "NotFound")


def test_unknown_route_and_method(signer: Signer) -> None:
    assert signer.route("PUT", IMPORT_ID, "x").status == 405
    wrong = signer.route("GET", "/import")
    assert (wrong.status, wrong.error_code, wrong.headers["Allow"]) == (
        405,
        "MethodNotAllowed",
        "POST",
    )
    assert signer.route("GET", "/imports/{import_id}", "x").status == 404


def test_an_id_with_an_expiry_no_url_could_have_is_unknown(signer: Signer) -> None:
    """Ids are not secret MACs: one forged with a far-future expiry must not read as pending."""
    keys = sys.modules["signed_import.keys"]
    forged = keys.new_single_id(int(time.time()) + 30 * 86400).encode("")

    response = signer.route("GET", IMPORT_ID, forged)

    assert (response.status, response.error_code) == (404, "NotFound")
    genuine = keys.new_single_id(int(time.time()) + URL_EXPIRY_SECONDS).encode("")
    assert signer.route("GET", IMPORT_ID, genuine).body["status"] == "pending"


def test_single_put_can_declare_a_crc64nvme_instead(signer: Signer, secret_key: str) -> None:
    crc = base64.b64encode(bytes(range(8))).decode()
    created = signer.invoke(request_body(checksum_algorithm="CRC64NVME", checksum_crc64nvme=crc))

    assert created.status == 201, created.body
    assert created.upload_headers["x-amz-checksum-crc64nvme"] == crc
    assert sigv4_accepts(created.url, created.upload_headers, secret_key)
    other = {**created.upload_headers, "x-amz-checksum-crc64nvme": "A" * 11 + "="}
    assert not sigv4_accepts(created.url, other, secret_key)
    missing = signer.invoke(request_body(checksum_algorithm="CRC64NVME"))
    assert (missing.status, missing.error_code) == (400, "MissingChecksum")
