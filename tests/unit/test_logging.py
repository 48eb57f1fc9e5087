"""One structured INFO line per request, and never a signed URL in any log record."""

from __future__ import annotations

import json
import logging
import platform
from typing import Any

import botocore
import pytest

from .helpers import (
    CSV_BYTES,
    MAX_UPLOAD_BYTES,
    LoadSigner,
    Response,
    Signer,
    make_event,
    query,
    request_body,
    sha256_b64,
)

SIGNER_LOGGER = "signed_import"


def request_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage() == "import request"]


def rendered(record: logging.LogRecord) -> str:
    """Everything a log line could carry: message, traceback and every extra attribute, much as
    the Lambda JSON log format writes them."""
    return logging.Formatter().format(record) + json.dumps(vars(record), default=str)


def test_success_logs_one_structured_line(signer: Signer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)

    response = signer.invoke(request_body(content_type="text/csv; charset=utf-8"))

    [line] = request_lines(caplog)
    assert line.name == SIGNER_LOGGER
    assert line.levelno == logging.INFO
    fields: dict[str, Any] = vars(line)
    assert fields["import_id"] == response.body["import_id"]
    assert fields["size"] == len(CSV_BYTES)
    assert fields["content_type"] == "text/csv; charset=utf-8"
    assert fields["outcome"] == "ok"
    assert fields["status"] == 201
    assert fields["method"] == "POST"
    assert fields["resource"] == "/import"
    assert "error_code" not in fields


def test_each_call_logs_its_own_line(signer: Signer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)

    ids = [signer.invoke(request_body()).body["import_id"] for _ in range(3)]

    assert [vars(line)["import_id"] for line in request_lines(caplog)] == ids


@pytest.mark.parametrize(
    ("event", "status", "code"),
    [
        pytest.param(make_event({"content_type": "text/csv"}), 400, "MissingSize", id="400"),
        pytest.param(make_event({"size": MAX_UPLOAD_BYTES + 1}), 413, "SizeTooLarge", id="413"),
        pytest.param(
            make_event({"size": 1, "content_type": "text/html"}),
            415,
            "ContentTypeNotAllowed",
            id="415",
        ),
        pytest.param(
            make_event(request_body(), httpMethod="GET"), 405, "MethodNotAllowed", id="405"
        ),
        pytest.param(make_event(request_body(), resource="/nope"), 404, "NotFound", id="404"),
    ],
)
def test_rejection_logs_one_line_with_the_error_code(
    signer: Signer, caplog: pytest.LogCaptureFixture, event: dict[str, Any], status: int, code: str
) -> None:
    caplog.set_level(logging.INFO)

    response = signer.call(event)

    assert response.status == status
    [line] = request_lines(caplog)
    fields: dict[str, Any] = vars(line)
    assert line.levelno == logging.INFO
    assert fields["outcome"] == "rejected"
    assert fields["error_code"] == code
    assert fields["status"] == status
    assert "import_id" not in fields
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_internal_error_logs_the_outcome_and_one_traceback(
    signer: Signer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(*args: object, **kwargs: object) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(signer.module.PRESIGNER, "presign", explode)
    caplog.set_level(logging.INFO)

    signer.invoke(request_body())

    [line] = request_lines(caplog)
    assert vars(line)["outcome"] == "error"
    assert vars(line)["status"] == 500
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in errors] == ["request failed"]
    assert errors[0].exc_info is not None


def _assert_url_not_logged(records: list[logging.LogRecord], response: Response) -> None:
    signature = query(response.url)["X-Amz-Signature"]
    for record in records:
        text = rendered(record)
        assert response.url not in text
        assert "X-Amz-Signature" not in text
        assert signature not in text


FULL_BODY = request_body(
    checksum_sha256=sha256_b64(CSV_BYTES), filename="orders.csv", metadata={"source": "crm"}
)


def test_no_record_at_info_carries_the_signed_url(
    signer: Signer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)

    response = signer.invoke(FULL_BODY)

    assert response.status == 201
    assert request_lines(caplog)
    _assert_url_not_logged(caplog.records, response)


def test_the_signer_never_logs_the_url_even_at_debug(
    signer: Signer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    response = signer.invoke(FULL_BODY)

    ours = [r for r in caplog.records if r.name.split(".")[0] == SIGNER_LOGGER]
    assert ours
    _assert_url_not_logged(ours, response)
    # botocore's own DEBUG lines include the signature value (never the URL or its parameter
    # name): the function must not run botocore at DEBUG in production.
    for record in caplog.records:
        text = rendered(record)
        assert response.url not in text
        assert "X-Amz-Signature" not in text


def test_multipart_routes_log_one_line_each_and_no_url(
    load_signer: LoadSigner, caplog: pytest.LogCaptureFixture
) -> None:
    signer = load_signer(
        MULTIPART_ENABLED="true",
        MULTIPART_THRESHOLD_BYTES=str(5 * 1024**2),
        MAX_UPLOAD_BYTES=str(1024**3),
    )
    caplog.set_level(logging.DEBUG)

    created = signer.invoke({"size": 20 * 1024**2, "part_size": 5 * 1024**2})
    import_id = created.body["import_id"]
    signed = signer.route("POST", "/import/{import_id}/parts", import_id, {"part_numbers": [4]})
    signer.route("GET", "/import/{import_id}/parts", import_id)
    signer.route("DELETE", "/import/{import_id}", import_id)

    lines = request_lines(caplog)
    assert [(vars(r)["resource"], vars(r)["status"]) for r in lines] == [
        ("/import", 201),
        ("/import/{import_id}/parts", 200),
        ("/import/{import_id}/parts", 200),
        ("/import/{import_id}", 204),
    ]
    assert all(vars(r)["import_id"] == import_id for r in lines)
    assert vars(lines[0])["part_count"] == 4
    assert vars(lines[1])["parts_signed"] == 1
    urls = [p["url"] for p in created.upload["parts"]] + [signed.body["parts"][0]["url"]]
    for record in caplog.records:
        text = rendered(record)
        for url in urls:
            assert query(url)["X-Amz-Signature"] not in text


@pytest.mark.parametrize(("version", "multipart"), [("1.44.8", True), ("1.35.99", False)])
def test_init_logs_the_runtimes_botocore_once(
    load_signer: LoadSigner,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    version: str,
    multipart: bool,
) -> None:
    """AWS updates a runtime's botocore without notice: each init says which one it got, and
    whether multipart imports work with it."""
    monkeypatch.setattr(botocore, "__version__", version)
    caplog.set_level(logging.INFO)

    signer = load_signer(MULTIPART_ENABLED="true", MULTIPART_THRESHOLD_BYTES=str(16 * 1024 * 1024))
    signer.invoke(request_body())

    [started] = [r for r in caplog.records if r.getMessage() == "signer started"]
    assert started.name == SIGNER_LOGGER
    fields = vars(started)
    assert (fields["botocore"], fields["multipart"]) == (version, multipart)
    assert fields["python"] == platform.python_version()
