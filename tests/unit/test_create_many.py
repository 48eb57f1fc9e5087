"""POST /imports: many single-PUT imports in one call, each answered or refused on its own, and
a call S3 would take at its largest (a hundred of the largest valid items)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
import requests  # type: ignore[import-untyped]  # no types-requests in the dev group

from signed_import.create_many import MAX_BATCH_BODY_BYTES
from signed_import.request import MAX_METADATA_TOTAL_BYTES

from .helpers import (
    BUCKET,
    CSV_BYTES,
    KEY_PREFIX,
    LambdaContext,
    LoadSigner,
    Response,
    Signer,
    request_body,
    route_event,
    sha256_b64,
    sigv4_accepts,
)

ROUTE = "/imports"
MIB = 1024**2
# Lambda's limit on a synchronous invocation's response payload ("Lambda quotas").
LAMBDA_RESPONSE_LIMIT = 6 * 1024 * 1024


def create_many(signer: Signer, body: object) -> Response:
    return signer.route("POST", ROUTE, body=body)


def results(response: Response) -> list[dict[str, Any]]:
    assert response.status == 200, response.body
    assert set(response.body) == {"results"}
    found: list[dict[str, Any]] = response.body["results"]
    return found


def test_each_item_is_an_import_of_its_own_stored_as_declared(
    signer: Signer, secret_key: str
) -> None:
    items = [request_body(filename=f"part-{n}.csv", metadata={"n": str(n)}) for n in range(3)]

    answers = results(create_many(signer, {"imports": items}))

    assert [answer["status"] for answer in answers] == [201, 201, 201]
    created = [answer["import"] for answer in answers]
    assert len({c["import_id"] for c in created}) == 3
    for n, import_ in enumerate(created):
        # The shape POST /import answers, item by item.
        assert set(import_) == {"import_id", "bucket", "key", "expires_at", "upload", "upload_url"}
        assert import_["key"] == KEY_PREFIX + import_["import_id"]
        upload = import_["upload"]
        assert upload["method"] == "PUT"
        assert upload["headers"]["If-None-Match"] == "*"
        assert sigv4_accepts(upload["url"], upload["headers"], secret_key)
        sent = requests.put(upload["url"], data=CSV_BYTES, headers=upload["headers"], timeout=10)
        assert sent.status_code == 200
        stored = signer.s3.get_object(Bucket=BUCKET, Key=import_["key"])
        assert stored["Body"].read() == CSV_BYTES
        assert stored["Metadata"] == {"n": str(n), "filename": f"part-{n}.csv"}
        status = signer.route("GET", "/import/{import_id}", import_["import_id"])
        assert status.body["status"] == "complete"


def test_a_refused_item_costs_the_others_nothing(load_signer: LoadSigner) -> None:
    signer = load_signer(
        MULTIPART_ENABLED="true",
        MULTIPART_THRESHOLD_BYTES=str(5 * MIB),
        MAX_UPLOAD_BYTES=str(10 * MIB),
    )
    items: list[object] = [
        request_body(),
        request_body(content_type="application/x-msdownload"),
        request_body(size=10 * MIB + 1),
        request_body(colour="blue"),
        "not an object",
        request_body(multipart=True),
        request_body(size=6 * MIB),  # over the multipart threshold
        request_body(filename="../etc/passwd"),
        request_body(omit=["size"]),
        request_body(filename="last.csv"),
    ]

    answers = results(create_many(signer, {"imports": items}))

    assert [(a["status"], a.get("error", {}).get("code")) for a in answers] == [
        (201, None),
        (415, "ContentTypeNotAllowed"),
        (413, "SizeTooLarge"),
        (400, "UnknownField"),
        (400, "InvalidBody"),
        (400, "MultipartNotInBatch"),
        (400, "MultipartNotInBatch"),
        (400, "InvalidFilename"),
        (400, "MissingSize"),
        (201, None),
    ]
    for answer in answers:
        assert ("import" in answer) != ("error" in answer)
        if "error" in answer:
            assert set(answer["error"]) == {"code", "message"}
            assert answer["error"]["message"]
    assert "POST /import" in answers[5]["error"]["message"]
    # Nothing written for any of them: no object, no multipart upload.
    assert signer.object_count() == 0
    assert signer.s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        pytest.param({"imports": []}, 400, "InvalidImports", id="empty"),
        pytest.param({"imports": [request_body()] * 101}, 400, "InvalidImports", id="101-items"),
        pytest.param({"imports": request_body()}, 400, "InvalidImports", id="not-a-list"),
        pytest.param({}, 400, "InvalidImports", id="no-imports"),
        pytest.param(
            {"imports": [request_body()], "size": 3}, 400, "UnknownField", id="unknown-field"
        ),
        pytest.param([request_body()], 400, "InvalidBody", id="a-bare-list"),
        pytest.param(
            {"imports": [request_body(filename="x" * 200)] * 6000},
            413,
            "BodyTooLarge",
            id="over-1-mib",
        ),
        pytest.param('{"imports": [', 400, "MalformedJson", id="malformed"),
    ],
)
def test_a_bad_call_is_refused_whole_and_writes_nothing(
    signer: Signer, body: object, status: int, code: str
) -> None:
    response = create_many(signer, body)

    assert (response.status, response.error_code) == (status, code)
    assert "results" not in response.body
    assert signer.object_count() == 0


def test_the_limit_is_the_deployments(load_signer: LoadSigner) -> None:
    signer = load_signer(MAX_IMPORTS_PER_REQUEST="2")

    assert results(create_many(signer, {"imports": [request_body()] * 2}))
    refused = create_many(signer, {"imports": [request_body()] * 3})
    assert (refused.status, refused.error_code) == (400, "InvalidImports")
    assert "1 to 2" in refused.body["error"]["message"]


def test_a_limit_of_zero_turns_the_route_off(load_signer: LoadSigner) -> None:
    signer = load_signer(MAX_IMPORTS_PER_REQUEST="0")

    response = create_many(signer, {"imports": [request_body()]})

    assert (response.status, response.error_code) == (404, "NotFound")
    assert "POST /import" in response.body["error"]["message"]
    assert signer.route("POST", "/import", body=request_body()).status == 201


def largest_item(n: int) -> dict[str, Any]:
    """An item as long as a valid one can be written: S3's 2 KB of metadata (the filename
    included) spent on values that JSON writes as two-byte escapes, the longest media type and a
    SHA-256."""
    filename = f"f-{n:05d}.csv"
    room = MAX_METADATA_TOTAL_BYTES - len("filename") - len(filename)
    metadata: dict[str, str] = {}
    for k in range(10):
        key = f"{k}" + "k" * 63
        value = ('"\\' * 128)[: max(0, min(256, room - len(key)))]
        if len(value) < 1:
            break
        metadata[key] = value
        room -= len(key) + len(value)
    content_type = ("text/csv; p=" + "v" * 255)[:255]
    return request_body(
        filename=filename,
        metadata=metadata,
        content_type=content_type,
        checksum_sha256=sha256_b64(CSV_BYTES),
    )


def test_a_hundred_of_the_largest_valid_items_fit(signer: Signer, secret_key: str) -> None:
    items = [largest_item(n) for n in range(100)]
    body = json.dumps({"imports": items})
    assert 350_000 < len(body) < MAX_BATCH_BODY_BYTES

    raw = signer.module.handler(route_event("POST", ROUTE, body=body), LambdaContext())

    assert len(raw["body"]) < LAMBDA_RESPONSE_LIMIT
    answers = json.loads(raw["body"])["results"]
    assert [answer["status"] for answer in answers] == [201] * 100
    upload = answers[99]["import"]["upload"]
    assert sigv4_accepts(upload["url"], upload["headers"], secret_key)


def test_one_log_line_counts_the_call(signer: Signer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)

    create_many(signer, {"imports": [request_body(), request_body(size=-1), request_body()]})

    [line] = [r for r in caplog.records if r.getMessage() == "import request"]
    fields = vars(line)
    assert (fields["status"], fields["imports"], fields["refused"]) == (200, 2, 1)
    assert fields["resource"] == ROUTE
    assert "import_id" not in fields
