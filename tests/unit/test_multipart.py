"""Multipart imports on moto: create, sign, list, complete, abort and status, and every refusal.

moto stores parts and enforces If-None-Match, but verifies neither signatures nor checksums:
what a URL lets through is proven with `sigv4_accepts` here and against LocalStack in tests/e2e.
"""

from __future__ import annotations

import base64
import logging
import secrets
import sys
from typing import TYPE_CHECKING, Any

import botocore
import pytest
import requests  # type: ignore[import-untyped]  # no types-requests in the dev group
from botocore.exceptions import ClientError as BotoClientError

from .helpers import (
    BUCKET,
    KEY_PREFIX,
    LoadSigner,
    Response,
    Signer,
    request_body,
    route_event,
    sigv4_accepts,
)

if TYPE_CHECKING:
    from mypy_boto3_s3.type_defs import MultipartUploadTypeDef

MIB = 1024**2
GIB = 1024**3
THRESHOLD = 8 * MIB
PART = 5 * MIB
IMPORT = "/import"
IMPORT_ID = "/import/{import_id}"
PARTS = "/import/{import_id}/parts"
COMPLETE = "/import/{import_id}/complete"
CRC = base64.b64encode(b"\x01" * 8).decode()  # moto does not check CRC values
SHA256 = base64.b64encode(bytes(32)).decode()


MULTIPART_ENV = {
    "MULTIPART_ENABLED": "true",
    "MULTIPART_THRESHOLD_BYTES": str(THRESHOLD),
    "MAX_UPLOAD_BYTES": str(1024 * GIB),
}


@pytest.fixture
def mp(load_signer: LoadSigner) -> Signer:
    """A signer with multipart on: threshold 8 MiB, imports up to 1 TiB."""
    return load_signer(**MULTIPART_ENV)


def create(signer: Signer, **fields: Any) -> Response:
    body = {"content_type": "text/csv", **fields}
    response = signer.invoke(body)
    assert response.status == 201, response.body
    return response


def put_part(part: dict[str, Any], data: bytes) -> requests.Response:
    return requests.put(part["url"], data=data, headers=part["headers"], timeout=10)


def upload_all(signer: Signer, created: Response, data: bytes) -> list[dict[str, Any]]:
    """PUT every part through signed URLs; return the completion list."""
    upload = created.upload
    import_id = created.body["import_id"]
    numbers = list(range(1, upload["part_count"] + 1))
    signed = signer.route("POST", PARTS, import_id, {"part_numbers": numbers})
    assert signed.status == 200, signed.body
    listed = []
    for part in signed.body["parts"]:
        start = (part["part_number"] - 1) * upload["part_size"]
        answer = put_part(part, data[start : start + part["size"]])
        assert answer.status_code == 200, answer.text
        listed.append({"part_number": part["part_number"], "etag": answer.headers["ETag"]})
    return listed


def uploads_for(signer: Signer, key: str) -> list[MultipartUploadTypeDef]:
    listed = signer.s3.list_multipart_uploads(Bucket=BUCKET, Prefix=key)
    return [u for u in listed.get("Uploads", []) if u.get("Key") == key]


# --- choosing the kind ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "method"),
    [
        pytest.param({"size": THRESHOLD}, "PUT", id="at-threshold"),
        pytest.param({"size": THRESHOLD + 1}, "MULTIPART", id="one-byte-over"),
        pytest.param({"size": 1, "multipart": True}, "MULTIPART", id="asked-for-small"),
        pytest.param({"size": 6 * GIB // 1024, "multipart": False}, "PUT", id="forced-single"),
        pytest.param({"size": 1, "part_size": PART}, "PUT", id="part-size-alone-is-a-hint"),
        pytest.param(
            {"size": 5 * GIB, "checksum_sha256": SHA256}, "PUT", id="sha256-keeps-a-single-put"
        ),
        pytest.param(
            {"size": 5 * GIB + 1, "checksum_algorithm": "CRC64NVME"},
            "MULTIPART",
            id="crc-above-threshold",
        ),
    ],
)
def test_threshold_and_request_choose_the_kind(
    mp: Signer, fields: dict[str, Any], method: str
) -> None:
    assert create(mp, **fields).upload["method"] == method


def test_multipart_false_above_five_gib_is_refused(mp: Signer) -> None:
    response = mp.invoke({"size": 5 * GIB + 1, "multipart": False})

    assert (response.status, response.error_code) == (413, "SizeTooLarge")
    assert "multipart" in response.body["error"]["message"]
    assert mp.s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []


def test_sha256_above_five_gib_says_what_to_use_instead(mp: Signer) -> None:
    response = mp.invoke({"size": 5 * GIB + 1, "checksum_sha256": SHA256})

    assert (response.status, response.error_code) == (400, "InvalidChecksum")
    assert "CRC64NVME" in response.body["error"]["message"]


def test_multipart_is_refused_when_switched_off(signer: Signer) -> None:
    response = signer.invoke({"size": 10, "multipart": True})

    assert (response.status, response.error_code) == (400, "MultipartDisabled")


def test_created_upload_has_the_documented_shape_and_fixed_settings(mp: Signer) -> None:
    created = create(
        mp, size=3 * PART + 7, part_size=PART, filename="big.csv", metadata={"source": "crm"}
    )

    body = created.body
    assert set(body) == {"import_id", "bucket", "key", "expires_at", "upload"}
    assert body["key"] == KEY_PREFIX + body["import_id"]
    upload = created.upload
    assert (upload["method"], upload["part_size"], upload["part_count"]) == ("MULTIPART", PART, 4)
    assert [p["part_number"] for p in upload["parts"]] == [1, 2, 3, 4]
    assert [p["size"] for p in upload["parts"]] == [PART, PART, PART, 7]
    assert [p["headers"] for p in upload["parts"]] == [
        {"Content-Length": str(size)} for size in (PART, PART, PART, 7)
    ]
    [pending] = uploads_for(mp, body["key"])
    assert pending.get("Key") == body["key"]


def test_first_batch_is_at_most_ten_parts(mp: Signer) -> None:
    created = create(mp, size=30 * PART, part_size=PART)

    assert created.upload["part_count"] == 30
    assert [p["part_number"] for p in created.upload["parts"]] == list(range(1, 11))


@pytest.mark.parametrize(
    ("size", "part_size"),
    [
        pytest.param(100 * MIB, 16 * MIB, id="small-file-default"),
        pytest.param(1024 * GIB, 105 * MIB, id="one-tib-needs-bigger-parts"),
    ],
)
def test_server_picks_a_part_size_within_ten_thousand_parts(
    mp: Signer, size: int, part_size: int
) -> None:
    upload = create(mp, size=size).upload

    assert upload["part_size"] == part_size
    assert upload["part_count"] == -(-size // part_size) <= 10_000


@pytest.mark.parametrize(
    "part_size",
    [
        pytest.param(PART - 1, id="below-5-mib"),
        pytest.param(5 * GIB + 1, id="above-5-gib"),
        pytest.param(PART, id="too-many-parts-for-1-tib"),
        pytest.param("5242880", id="string"),
        pytest.param(5242880.0, id="float"),
    ],
)
def test_bad_part_size_is_refused(mp: Signer, part_size: object) -> None:
    response = mp.invoke({"size": 1024 * GIB, "part_size": part_size})

    assert (response.status, response.error_code) == (400, "InvalidPartSize")
    assert mp.s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        pytest.param(
            {"multipart": True, "checksum_sha256": base64.b64encode(bytes(32)).decode()},
            "InvalidChecksum",
            id="sha256-is-single-put-only",
        ),
        pytest.param(
            {"checksum_algorithm": "CRC64NVME", "checksum_sha256": "x" * 43 + "="},
            "InvalidChecksum",
            id="both-checksums",
        ),
        pytest.param({"checksum_crc64nvme": CRC}, "InvalidChecksum", id="crc-without-algorithm"),
        pytest.param({"checksum_algorithm": "SHA256"}, "InvalidChecksumAlgorithm", id="sha256-alg"),
        pytest.param(
            {"checksum_algorithm": "CRC64NVME", "checksum_crc64nvme": "AAAA"},
            "InvalidChecksum",
            id="crc-too-short",
        ),
        pytest.param({"multipart": "yes"}, "InvalidMultipart", id="multipart-not-bool"),
        pytest.param({"multipart": None}, "InvalidMultipart", id="multipart-null"),
    ],
)
def test_inconsistent_multipart_request_is_refused(
    mp: Signer, fields: dict[str, Any], code: str
) -> None:
    response = mp.invoke({"size": THRESHOLD + 1, **fields})

    assert (response.status, response.error_code) == (400, code)
    assert mp.s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []


# --- part URLs -----------------------------------------------------------------------------


def test_part_url_signs_the_exact_length(mp: Signer, secret_key: str) -> None:
    created = create(mp, size=2 * PART + 3, part_size=PART)
    last = created.upload["parts"][-1]

    assert last["size"] == 3
    assert sigv4_accepts(last["url"], {"Content-Length": "3"}, secret_key)
    assert not sigv4_accepts(last["url"], {"Content-Length": "4"}, secret_key)
    assert not sigv4_accepts(last["url"], {"Content-Length": "2"}, secret_key)
    assert not sigv4_accepts(last["url"], {}, secret_key)


def test_resigned_parts_keep_the_plan(mp: Signer) -> None:
    created = create(mp, size=2 * PART + 3, part_size=PART)
    import_id = created.body["import_id"]

    signed = mp.route("POST", PARTS, import_id, {"part_numbers": [3, 1]})

    assert signed.status == 200, signed.body
    assert set(signed.body) == {"expires_at", "parts"}
    assert [(p["part_number"], p["size"]) for p in signed.body["parts"]] == [(3, 3), (1, PART)]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        pytest.param({"part_numbers": [0]}, "InvalidPartNumber", id="zero"),
        pytest.param({"part_numbers": [-1]}, "InvalidPartNumber", id="negative"),
        pytest.param({"part_numbers": [4]}, "InvalidPartNumber", id="beyond-plan"),
        pytest.param({"part_numbers": [10_001]}, "InvalidPartNumber", id="10001"),
        pytest.param({"part_numbers": [1.0]}, "InvalidPartNumber", id="float"),
        pytest.param({"part_numbers": [True]}, "InvalidPartNumber", id="bool"),
        pytest.param({"part_numbers": [2, 2]}, "DuplicatePartNumber", id="duplicate"),
        pytest.param({"part_numbers": []}, "InvalidBody", id="empty"),
        pytest.param({"part_numbers": list(range(1, 102))}, "InvalidBody", id="over-100"),
        pytest.param({"part_numbers": [1], "parts": []}, "InvalidBody", id="both-forms"),
        pytest.param({"parts": [{"number": 1}]}, "InvalidBody", id="no-part-number"),
        pytest.param({"parts": [{"part_number": 1, "size": 9}]}, "UnknownField", id="size-field"),
        pytest.param(
            {"parts": [{"part_number": 1, "checksum_crc64nvme": CRC}]},
            "InvalidChecksum",
            id="crc-on-plain-import",
        ),
        pytest.param({"size": 1}, "UnknownField", id="unknown-field"),
    ],
)
def test_bad_part_requests_are_refused(mp: Signer, body: dict[str, Any], code: str) -> None:
    import_id = create(mp, size=2 * PART + 3, part_size=PART).body["import_id"]

    response = mp.route("POST", PARTS, import_id, body)

    assert (response.status, response.error_code) == (400, code), response.body


def test_crc_import_signs_each_part_with_its_checksum(mp: Signer, secret_key: str) -> None:
    created = create(mp, size=2 * PART, part_size=PART, checksum_algorithm="CRC64NVME")
    import_id = created.body["import_id"]
    assert created.upload["parts"] == []
    assert created.upload["checksum_algorithm"] == "CRC64NVME"

    plain = mp.route("POST", PARTS, import_id, {"part_numbers": [1]})
    assert (plain.status, plain.error_code) == (400, "MissingChecksum")

    signed = mp.route(
        "POST", PARTS, import_id, {"parts": [{"part_number": 2, "checksum_crc64nvme": CRC}]}
    )
    assert signed.status == 200, signed.body
    [part] = signed.body["parts"]
    assert part["headers"] == {"Content-Length": str(PART), "x-amz-checksum-crc64nvme": CRC}
    assert sigv4_accepts(part["url"], part["headers"], secret_key)
    other = base64.b64encode(b"\x02" * 8).decode()
    tampered = {**part["headers"], "x-amz-checksum-crc64nvme": other}
    assert not sigv4_accepts(part["url"], tampered, secret_key)
    assert not sigv4_accepts(part["url"], {"Content-Length": str(PART)}, secret_key)


# --- the whole flow --------------------------------------------------------------------------


def test_upload_complete_and_read_back(mp: Signer) -> None:
    data = secrets.token_bytes(2 * PART + 1234)
    created = create(mp, size=len(data), part_size=PART, metadata={"source": "crm"})
    import_id, key = created.body["import_id"], created.body["key"]
    listed = upload_all(mp, created, data)

    status = mp.route("GET", IMPORT_ID, import_id)
    assert status.body["status"] == "uploading"
    assert (status.body["parts_uploaded"], status.body["bytes_uploaded"]) == (3, len(data))

    done = mp.route("POST", COMPLETE, import_id, {"parts": listed})

    assert done.status == 200, done.body
    assert set(done.body) == {"import_id", "bucket", "key", "status", "size", "etag"}
    assert (done.body["status"], done.body["size"], done.body["key"]) == (
        "complete",
        len(data),
        key,
    )
    stored = mp.s3.get_object(Bucket=BUCKET, Key=key)
    assert stored["Body"].read() == data
    assert stored["ContentType"] == "text/csv"
    assert stored["Metadata"] == {"source": "crm"}
    assert uploads_for(mp, key) == []
    final = mp.route("GET", IMPORT_ID, import_id)
    assert final.body["status"] == "complete"
    assert (final.body["size"], final.body["etag"]) == (len(data), done.body["etag"])
    assert final.body["content_type"] == "text/csv"

    again = mp.route("POST", COMPLETE, import_id, {"parts": listed})
    assert (again.status, again.body) == (200, done.body)
    aborted = mp.route("DELETE", IMPORT_ID, import_id)
    assert (aborted.status, aborted.error_code) == (409, "AlreadyComplete")
    parts = mp.route("GET", PARTS, import_id)
    assert (parts.status, parts.error_code) == (409, "AlreadyComplete")


def test_status_is_pending_before_any_part(mp: Signer) -> None:
    created = create(mp, size=2 * PART, part_size=PART)

    status = mp.route("GET", IMPORT_ID, created.body["import_id"])

    assert status.status == 200
    assert status.body == {
        "import_id": created.body["import_id"],
        "bucket": created.body["bucket"],
        "key": created.body["key"],
        "method": "MULTIPART",
        "status": "pending",
        "size": 2 * PART,
        "part_size": PART,
        "part_count": 2,
        "parts_uploaded": 0,
        "bytes_uploaded": 0,
    }


def _started(mp: Signer) -> tuple[Response, bytes, list[dict[str, Any]]]:
    data = secrets.token_bytes(2 * PART + 10)
    created = create(mp, size=len(data), part_size=PART)
    return created, data, upload_all(mp, created, data)


@pytest.mark.parametrize(
    ("change", "status", "code", "names"),
    [
        pytest.param(lambda parts: parts[:2], 409, "MissingPart", "3", id="missing"),
        pytest.param(
            lambda parts: [*parts, {"part_number": 4, "etag": '"x"'}],
            409,
            "ExtraPart",
            "4",
            id="extra",
        ),
        pytest.param(
            lambda parts: [parts[1], parts[0], parts[2]], 400, "PartOrder", "", id="reordered"
        ),
        pytest.param(lambda parts: [parts[0], *parts], 400, "DuplicatePartNumber", "1", id="dup"),
        pytest.param(
            lambda parts: [parts[0], {**parts[1], "etag": '"0123"'}, parts[2]],
            409,
            "ETagMismatch",
            "2",
            id="wrong-etag",
        ),
        pytest.param(
            lambda parts: [{**parts[0], "size": 1}, *parts[1:]],
            400,
            "InvalidBody",
            "",
            id="extra-field",
        ),
    ],
)
def test_completion_refuses_a_list_that_does_not_match(
    mp: Signer, change: Any, status: int, code: str, names: str
) -> None:
    created, _data, listed = _started(mp)
    import_id, key = created.body["import_id"], created.body["key"]

    response = mp.route("POST", COMPLETE, import_id, {"parts": change(listed)})

    assert (response.status, response.error_code) == (status, code), response.body
    assert names in response.body["error"]["message"]
    assert mp.s3.list_objects_v2(Bucket=BUCKET, Prefix=key)["KeyCount"] == 0
    # Still resumable: the right list completes it.
    assert mp.route("POST", COMPLETE, import_id, {"parts": listed}).status == 200


def test_completion_refuses_a_part_that_was_never_uploaded(mp: Signer) -> None:
    data = secrets.token_bytes(2 * PART)
    created = create(mp, size=len(data), part_size=PART)
    import_id = created.body["import_id"]
    first = created.upload["parts"][0]
    etag = put_part(first, data[:PART]).headers["ETag"]

    response = mp.route(
        "POST",
        COMPLETE,
        import_id,
        {"parts": [{"part_number": 1, "etag": etag}, {"part_number": 2, "etag": etag}]},
    )

    assert (response.status, response.error_code) == (409, "MissingPart")
    assert "parts 2 have not been uploaded" in response.body["error"]["message"]


def test_completion_refuses_a_part_of_the_wrong_size(mp: Signer) -> None:
    """A part only a signed URL can write has the planned size; one written otherwise is caught."""
    created = create(mp, size=2 * PART, part_size=PART)
    import_id, key = created.body["import_id"], created.body["key"]
    [upload] = uploads_for(mp, key)
    etags = [
        mp.s3.upload_part(
            Bucket=BUCKET, Key=key, UploadId=upload["UploadId"], PartNumber=n, Body=b"x" * size
        )["ETag"]
        for n, size in ((1, PART), (2, PART - 1))
    ]

    response = mp.route(
        "POST",
        COMPLETE,
        import_id,
        {"parts": [{"part_number": n, "etag": etag} for n, etag in enumerate(etags, 1)]},
    )

    assert (response.status, response.error_code) == (409, "PartSizeMismatch")
    assert "parts 2 differ" in response.body["error"]["message"]


def test_crc_import_needs_the_whole_checksum_at_the_latest_on_completion(mp: Signer) -> None:
    created = create(mp, size=PART, multipart=True, part_size=PART, checksum_algorithm="CRC64NVME")
    import_id = created.body["import_id"]
    [part] = mp.route(
        "POST", PARTS, import_id, {"parts": [{"part_number": 1, "checksum_crc64nvme": CRC}]}
    ).body["parts"]
    etag = put_part(part, b"y" * PART).headers["ETag"]
    parts = [{"part_number": 1, "etag": etag}]

    missing = mp.route("POST", COMPLETE, import_id, {"parts": parts})
    assert (missing.status, missing.error_code) == (400, "MissingChecksum")

    done = mp.route("POST", COMPLETE, import_id, {"parts": parts, "checksum_crc64nvme": CRC})
    assert done.status == 200, done.body


def test_crc_declared_up_front_cannot_be_replaced_on_completion(mp: Signer) -> None:
    created = create(
        mp,
        size=PART,
        multipart=True,
        part_size=PART,
        checksum_algorithm="CRC64NVME",
        checksum_crc64nvme=CRC,
    )
    other = base64.b64encode(b"\x07" * 8).decode()

    response = mp.route(
        "POST",
        COMPLETE,
        created.body["import_id"],
        {"parts": [{"part_number": 1, "etag": '"x"'}], "checksum_crc64nvme": other},
    )

    assert (response.status, response.error_code) == (400, "ChecksumMismatch")


# --- listing and aborting ------------------------------------------------------------------


def test_listing_returns_every_page_of_parts(mp: Signer) -> None:
    """S3 returns 1,000 parts a page; 1,001 parts need two pages. moto lets the test write tiny
    parts directly (no minimum part size before completion)."""
    created = create(mp, size=1001 * PART, part_size=PART)
    import_id, key = created.body["import_id"], created.body["key"]
    [upload] = uploads_for(mp, key)
    for number in range(1, 1002):
        mp.s3.upload_part(
            Bucket=BUCKET, Key=key, UploadId=upload["UploadId"], PartNumber=number, Body=b"z"
        )

    listed = mp.route("GET", PARTS, import_id)

    assert listed.status == 200
    assert [p["part_number"] for p in listed.body["parts"]] == list(range(1, 1002))
    assert all(p["size"] == 1 and p["etag"] for p in listed.body["parts"])
    assert (listed.body["part_count"], listed.body["size"]) == (1001, 1001 * PART)


def test_abort_frees_the_parts_and_forgets_the_import(mp: Signer) -> None:
    created, _data, listed = _started(mp)
    import_id, key = created.body["import_id"], created.body["key"]

    aborted = mp.route("DELETE", IMPORT_ID, import_id)

    assert (aborted.status, aborted.body) == (204, {})
    assert uploads_for(mp, key) == []
    assert mp.s3.list_objects_v2(Bucket=BUCKET, Prefix=key)["KeyCount"] == 0
    for method, resource, body in [
        ("GET", IMPORT_ID, None),
        ("DELETE", IMPORT_ID, None),
        ("GET", PARTS, None),
        ("POST", PARTS, {"part_numbers": [1]}),
        ("POST", COMPLETE, {"parts": listed}),
    ]:
        response = mp.route(method, resource, import_id, body)
        assert (response.status, response.error_code) == (404, "NotFound"), (method, resource)


def test_single_put_import_has_no_parts(mp: Signer) -> None:
    import_id = create(mp, size=10).body["import_id"]

    for method, resource, body in [
        ("GET", PARTS, None),
        ("POST", PARTS, {"part_numbers": [1]}),
        ("POST", COMPLETE, {"parts": [{"part_number": 1, "etag": '"x"'}]}),
        ("DELETE", IMPORT_ID, None),
    ]:
        response = mp.route(method, resource, import_id, body)
        assert (response.status, response.error_code) == (409, "NotMultipart"), resource


# --- ids that do not name an import of this caller -------------------------------------------


def _altered(import_id: str) -> str:
    """The same id with its plan changed: a bigger declared size."""
    raw = bytearray(base64.b32decode(import_id.upper() + "=" * (-len(import_id) % 8)))
    raw[17 + 5] ^= 0x01
    return base64.b32encode(bytes(raw)).decode().rstrip("=").lower()


@pytest.mark.parametrize(
    "make_id",
    [
        pytest.param(lambda real: "a" * len(real), id="unknown-well-formed"),
        pytest.param(lambda real: real[:-1], id="truncated"),
        pytest.param(lambda real: real.upper(), id="upper-case"),
        pytest.param(lambda real: "../" + real, id="path-trick"),
        pytest.param(lambda real: real + "%00", id="nul"),
        pytest.param(lambda real: "", id="empty"),
        pytest.param(_altered, id="plan-altered"),
    ],
)
def test_unknown_or_malformed_ids_are_404_on_every_route(mp: Signer, make_id: Any) -> None:
    real = create(mp, size=2 * PART, part_size=PART).body["import_id"]
    import_id = make_id(real)

    for method, resource, body in [
        ("GET", IMPORT_ID, None),
        ("DELETE", IMPORT_ID, None),
        ("GET", PARTS, None),
        ("POST", PARTS, {"part_numbers": [1]}),
        ("POST", COMPLETE, {"parts": [{"part_number": 1, "etag": '"x"'}]}),
    ]:
        response = mp.route(method, resource, import_id, body)
        assert response.status == 404, (method, resource, response.body)
        assert response.body == {"error": {"code": "NotFound", "message": "no import with this id"}}


@pytest.mark.parametrize("resource", [PARTS, COMPLETE])
@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        pytest.param({"body": "{"}, 400, "MalformedJson", id="malformed-json"),
        pytest.param({"body": "[1]"}, 400, "InvalidBody", id="not-an-object"),
        pytest.param({"body": ""}, 400, "EmptyBody", id="empty"),
        pytest.param({"body": None}, 400, "EmptyBody", id="no-body"),
        pytest.param({"isBase64Encoded": True}, 400, "InvalidBody", id="base64"),
        pytest.param(
            {"headers": {"Content-Type": "text/plain"}}, 415, "UnsupportedMediaType", id="text"
        ),
        pytest.param({"body": "[" * 600_000 + "]" * 600_000}, 413, "BodyTooLarge", id="huge"),
    ],
)
def test_bad_bodies_on_part_routes_write_nothing(
    mp: Signer, resource: str, overrides: dict[str, Any], status: int, code: str
) -> None:
    created = create(mp, size=2 * PART, part_size=PART)
    import_id, key = created.body["import_id"], created.body["key"]
    event = route_event("POST", resource, import_id=import_id, body={"parts": []})
    event.update(overrides)

    response = mp.call(event)

    assert (response.status, response.error_code) == (status, code), response.body
    assert mp.s3.list_objects_v2(Bucket=BUCKET, Prefix=key)["KeyCount"] == 0
    [upload] = uploads_for(mp, key)
    held = mp.s3.list_parts(Bucket=BUCKET, Key=key, UploadId=upload["UploadId"])
    assert held.get("Parts", []) == []


def test_multipart_ids_are_unknown_when_multipart_is_off(
    signer: Signer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The role then lacks the multipart listing actions: answer 404 before calling S3."""

    def denied(**params: Any) -> None:
        raise AssertionError("s3:ListBucketMultipartUploads is not granted without multipart")

    monkeypatch.setattr(signer.module.S3, "list_multipart_uploads", denied)
    keys = sys.modules["signed_import.keys"]
    forged = keys.new_multipart_id(2 * PART, PART, verifies_crc64nvme=False, crc64nvme=None).encode(
        ""
    )

    for method, resource in [("GET", IMPORT_ID), ("DELETE", IMPORT_ID), ("GET", PARTS)]:
        response = signer.route(method, resource, forged)
        assert (response.status, response.error_code) == (404, "NotFound"), resource


# --- forged ids: anyone can tag an id for their own partition ---------------------------------


def _forged(keys: Any, size: int, part_size: int, kind: int | None = None) -> str:
    """A multipart id with a valid tag for the default (isolation off) partition."""
    forged = keys.ImportId(
        kind or keys.MULTIPART, secrets.token_bytes(16), size=size, part_size=part_size
    )
    return str(forged.encode(""))


@pytest.mark.parametrize(
    ("size", "part_size"),
    [
        pytest.param(2 * PART, 0, id="part-size-zero"),
        pytest.param(2 * PART, PART - 1, id="part-size-below-5-mib"),
        pytest.param(0, PART, id="size-zero"),
        pytest.param(10_001 * PART, PART, id="over-10000-parts"),
        pytest.param(2 * PART, PART, id="valid-plan-no-upload"),
    ],
)
def test_forged_ids_are_404_on_every_route(mp: Signer, size: int, part_size: int) -> None:
    import_id = _forged(sys.modules["signed_import.keys"], size, part_size)

    for method, resource, body in ROUTES_WITH_ID:
        response = mp.route(method, resource, import_id, body)
        assert (response.status, response.error_code) == (404, "NotFound"), (resource, response)


def test_a_real_import_with_its_plan_altered_and_retagged_is_404(mp: Signer) -> None:
    """The key derives from the whole id: another size names a key with no upload."""
    created = create(mp, size=2 * PART, part_size=PART)
    keys = sys.modules["signed_import.keys"]
    real = keys.decode_import_id(created.body["import_id"], "")
    altered = keys.ImportId(real.kind, real.nonce, size=3 * PART, part_size=PART).encode("")

    for method, resource, body in ROUTES_WITH_ID:
        response = mp.route(method, resource, altered, body)
        assert (response.status, response.error_code) == (404, "NotFound"), resource
    assert mp.route("GET", IMPORT_ID, created.body["import_id"]).status == 200


ROUTES_WITH_ID = [
    ("GET", IMPORT_ID, None),
    ("DELETE", IMPORT_ID, None),
    ("GET", PARTS, None),
    ("POST", PARTS, {"part_numbers": [1]}),
    ("POST", COMPLETE, {"parts": [{"part_number": 1, "etag": '"x"'}]}),
]


# --- what S3 itself may answer ---------------------------------------------------------------


def test_an_etag_with_control_characters_is_refused_not_passed_to_s3(mp: Signer) -> None:
    created, _data, listed = _started(mp)
    import_id = created.body["import_id"]
    tampered = [{**listed[0], "etag": "\x0b" + listed[0]["etag"]}, *listed[1:]]

    response = mp.route("POST", COMPLETE, import_id, {"parts": tampered})

    assert (response.status, response.error_code) == (409, "ETagMismatch")
    assert mp.route("POST", COMPLETE, import_id, {"parts": listed}).status == 200


def _s3_error(code: str, status: int) -> BotoClientError:
    response: Any = {
        "Error": {"Code": code, "Message": code},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return BotoClientError(response, "CompleteMultipartUpload")


def test_a_conflict_while_another_completion_runs_is_a_retryable_409(
    mp: Signer, monkeypatch: pytest.MonkeyPatch
) -> None:
    created, _data, listed = _started(mp)

    def in_progress(**params: Any) -> None:
        raise _s3_error("ConditionalRequestConflict", 409)

    monkeypatch.setattr(mp.module.S3, "complete_multipart_upload", in_progress)
    response = mp.route("POST", COMPLETE, created.body["import_id"], {"parts": listed})

    # The upload is still there: asking again completes it or finds the object.
    assert (response.status, response.error_code) == (409, "CompletionInProgress")
    assert uploads_for(mp, created.body["key"]) != []


def test_a_conflict_lost_to_a_completion_that_succeeded_answers_its_object(
    mp: Signer, monkeypatch: pytest.MonkeyPatch
) -> None:
    created, data, listed = _started(mp)
    real_complete = mp.module.S3.complete_multipart_upload

    def lost(**params: Any) -> None:
        real_complete(**params)  # the other request completes the import meanwhile
        raise _s3_error("ConditionalRequestConflict", 409)

    monkeypatch.setattr(mp.module.S3, "complete_multipart_upload", lost)
    response = mp.route("POST", COMPLETE, created.body["import_id"], {"parts": listed})

    assert response.status == 200, response.body
    assert (response.body["status"], response.body["size"]) == ("complete", len(data))


def test_a_conflict_that_leaves_no_upload_says_to_start_again(
    mp: Signer, monkeypatch: pytest.MonkeyPatch
) -> None:
    created, _data, listed = _started(mp)
    key = created.body["key"]
    real_abort = mp.module.S3.abort_multipart_upload

    def gone(**params: Any) -> None:
        # S3: "On a 409 failure you should re-initiate the multipart upload": none is left.
        [upload] = uploads_for(mp, key)
        real_abort(Bucket=params["Bucket"], Key=key, UploadId=upload["UploadId"])
        raise _s3_error("ConditionalRequestConflict", 409)

    monkeypatch.setattr(mp.module.S3, "complete_multipart_upload", gone)
    response = mp.route("POST", COMPLETE, created.body["import_id"], {"parts": listed})

    assert (response.status, response.error_code) == (409, "UploadLost")
    assert "Start a new import" in response.body["error"]["message"]
    status = mp.route("GET", IMPORT_ID, created.body["import_id"])
    assert (status.status, status.error_code) == (404, "NotFound")  # the client starts anew


def test_an_unforeseen_s3_error_is_an_opaque_500(
    mp: Signer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Anything S3 refuses that the signer did not foresee is a logged 500, never a leak (S3
    unavailable or throttling is a 503: test_s3_unavailable.py)."""
    created, _data, listed = _started(mp)

    def broken(**params: Any) -> None:
        raise _s3_error("AccessDenied", 403)  # e.g. a KMS key the role may not use

    monkeypatch.setattr(mp.module.S3, "complete_multipart_upload", broken)
    response = mp.route("POST", COMPLETE, created.body["import_id"], {"parts": listed})

    assert (response.status, response.error_code) == (500, "InternalError")
    assert "AccessDenied" not in response.body["error"]["message"]


def test_an_abort_racing_another_is_answered_from_s3s_state(
    mp: Signer, monkeypatch: pytest.MonkeyPatch
) -> None:
    created, _data, _listed = _started(mp)
    import_id, key = created.body["import_id"], created.body["key"]
    [upload] = uploads_for(mp, key)
    real_abort = mp.module.S3.abort_multipart_upload

    def raced(**params: Any) -> None:
        real_abort(**params)  # the other DELETE wins
        raise _s3_error("NoSuchUpload", 404)

    monkeypatch.setattr(mp.module.S3, "abort_multipart_upload", raced)
    response = mp.route("DELETE", IMPORT_ID, import_id)

    assert (response.status, response.error_code) == (404, "NotFound")
    assert upload["UploadId"] not in [u.get("UploadId") for u in uploads_for(mp, key)]


def test_a_botocore_too_old_for_multipart_keeps_single_puts_working(
    load_signer: LoadSigner, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A runtime whose botocore predates MpuObjectSize (1.36) fails the multipart calls alone,
    with a 501 that says why, instead of failing the init and with it every single PUT."""
    monkeypatch.setattr(botocore, "__version__", "1.35.99")
    with caplog.at_level(logging.ERROR, logger="signed_import"):
        old = load_signer(**MULTIPART_ENV)
    assert any("botocore >= 1.36.0" in r.getMessage() for r in caplog.records)

    single = old.invoke(request_body(size=THRESHOLD))
    assert (single.status, single.body["upload"]["method"]) == (201, "PUT")
    assert requests.put(
        single.url, data=b"x" * THRESHOLD, headers=single.upload_headers, timeout=10
    ).ok

    refused = old.invoke(request_body(size=THRESHOLD + 1))
    assert (refused.status, refused.error_code) == (501, "MultipartUnavailable")
    assert "1.35.99" in refused.body["error"]["message"]
    assert '"multipart": false' in refused.body["error"]["message"]
    assert old.s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []

    monkeypatch.setattr(botocore, "__version__", "1.36.0")  # the first that sends them
    current = load_signer(**MULTIPART_ENV)
    assert current.invoke(request_body(size=THRESHOLD + 1)).body["upload"]["method"] == "MULTIPART"
