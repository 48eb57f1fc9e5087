"""The local gateway behaves like the deployed stage: routes, validator, gateway responses, and
the Lambda proxy event and response mapping.

Terraform renders the real document, which Python cannot; `build_document` mirrors the template's
structure instead, takes the gateway error codes from api.tf itself, and
`test_fixture_mirrors_the_template` fails when the template drifts from it.
"""

from __future__ import annotations

import base64
import functools
import importlib
import json
import logging
import os
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import hcl2
import pytest
from jsonschema import Draft4Validator

from localdev.gateway import MAX_PAYLOAD_BYTES, Invoke, LocalGateway, LocalResponse

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = (ROOT / "templates" / "openapi.json.tftpl").read_text()
STAGE = "v1"
MAX_UPLOAD_BYTES = 1024 * 1024
# The gateway responses' body template as the .tftpl writes it; Terraform fills in ${code}.
ERROR_TEMPLATE = '{"error":{"code":"${code}","message":$context.error.messageString}}'
ERROR_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
IMPORT_FIELDS = ("size", "content_type", "checksum_sha256", "filename", "metadata")
VALID_BODY = {"size": 31, "content_type": "text/csv"}
CREATED = {
    "statusCode": 201,
    "headers": {"Content-Type": "application/json", "Cache-Control": "no-store"},
    "body": '{"import_id":"abc"}',
    "isBase64Encoded": False,
}


@functools.cache
def gateway_error_codes() -> dict[str, str]:
    """api.tf's map, so the fixture carries every gateway response the module deploys."""
    blocks = hcl2.load((ROOT / "api.tf").open())["locals"]
    codes = next(block["gateway_error_codes"] for block in blocks if "gateway_error_codes" in block)
    return {name: json.loads(code) for name, code in codes.items()}  # hcl2 keeps the quotes


def build_document(
    *, binary_media_types: list[str] | None = None, timeout_ms: int = 29000
) -> dict[str, Any]:
    """The rendered template for authorization_type AWS_IAM, plus GET /import/{import_id}."""
    integration = {
        "type": "aws_proxy",
        "httpMethod": "POST",
        "uri": "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:us-east-1:123456789012:function:signed-import/invocations",
        "passthroughBehavior": "when_no_match",
        "timeoutInMillis": timeout_ms,
    }
    error_content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    document: dict[str, Any] = {
        "openapi": "3.0.1",
        "info": {"title": "signed-import", "version": "1.0"},
        "paths": {
            "/import": {
                "post": {
                    "operationId": "createImport",
                    "security": [{"sigv4": []}],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/ImportRequest"}
                            }
                        },
                    },
                    "responses": {
                        "201": {"description": "Upload signed"},
                        "400": {"description": "Malformed", "content": error_content},
                    },
                    "x-amazon-apigateway-request-validator": "body",
                    "x-amazon-apigateway-integration": integration,
                }
            },
            # Not in the template yet (the multipart issue adds it): exercises path parameters.
            "/import/{import_id}": {
                "get": {
                    "operationId": "getImport",
                    "security": [{"sigv4": []}],
                    "x-amazon-apigateway-request-validator": "body",
                    "x-amazon-apigateway-integration": integration,
                }
            },
        },
        "components": {
            "schemas": {
                "ImportRequest": {
                    "type": "object",
                    "required": ["size"],
                    "additionalProperties": False,
                    "properties": {
                        "size": {"type": "integer", "minimum": 1},
                        "content_type": {"type": "string", "minLength": 3, "maxLength": 255},
                        "checksum_sha256": {"type": "string", "pattern": "^[A-Za-z0-9+/]{43}=$"},
                        "filename": {"type": "string", "minLength": 1, "maxLength": 255},
                        "metadata": {
                            "type": "object",
                            "maxProperties": 10,
                            "additionalProperties": {"type": "string", "maxLength": 256},
                        },
                    },
                },
                "ImportResponse": {
                    "type": "object",
                    "required": [
                        "import_id",
                        "bucket",
                        "key",
                        "expires_at",
                        "upload",
                        "upload_url",
                    ],
                    "properties": {
                        "import_id": {"type": "string"},
                        "bucket": {"type": "string"},
                        "key": {"type": "string"},
                        "expires_at": {"type": "string", "format": "date-time"},
                        "upload": {
                            "type": "object",
                            "required": ["method", "url", "headers"],
                            "properties": {
                                "method": {"type": "string", "enum": ["PUT"]},
                                "url": {"type": "string"},
                                "headers": {
                                    "type": "object",
                                    "additionalProperties": {"type": "string"},
                                },
                            },
                        },
                        "upload_url": {"type": "string"},
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                            },
                        }
                    },
                },
            },
            "securitySchemes": {
                "sigv4": {
                    "type": "apiKey",
                    "name": "Authorization",
                    "in": "header",
                    "x-amazon-apigateway-authtype": "awsSigv4",
                }
            },
        },
        "x-amazon-apigateway-request-validators": {
            "body": {"validateRequestBody": True, "validateRequestParameters": True}
        },
        "x-amazon-apigateway-gateway-responses": {
            response_type: {
                "responseParameters": {
                    f"gatewayresponse.header.{name}": f"'{value}'"
                    for name, value in ERROR_HEADERS.items()
                },
                "responseTemplates": {"application/json": ERROR_TEMPLATE.replace("${code}", code)},
            }
            for response_type, code in gateway_error_codes().items()
        },
    }
    if binary_media_types is not None:
        document["x-amazon-apigateway-binary-media-types"] = binary_media_types
    return document


class FakeLambda:
    """Records each (event, context) and answers with a canned result or exception."""

    def __init__(self, result: Any = None, error: Exception | None = None) -> None:
        self.result = CREATED if result is None else result
        self.error = error
        self.calls: list[tuple[dict[str, Any], Any]] = []

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.calls.append((event, context))
        if self.error is not None:
            raise self.error
        return self.result

    @property
    def event(self) -> dict[str, Any]:
        assert len(self.calls) == 1, f"expected one invocation, got {len(self.calls)}"
        return self.calls[0][0]


@pytest.fixture
def fake() -> FakeLambda:
    return FakeLambda()


@pytest.fixture
def gateway(fake: FakeLambda) -> LocalGateway:
    return LocalGateway(build_document(), STAGE, fake)


def post_import(gateway: LocalGateway, body: object = VALID_BODY, **headers: str) -> LocalResponse:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return gateway.handle(
        "POST", "/v1/import", {"Content-Type": "application/json", **headers}, body=data
    )


def assert_gateway_error(response: LocalResponse, status: int, code: str, message: str) -> None:
    assert response.status == status
    assert response.json() == {"error": {"code": code, "message": message}}
    assert response.header("Content-Type") == "application/json"
    for name, value in ERROR_HEADERS.items():
        assert response.header(name) == value


def test_fixture_mirrors_the_template() -> None:
    assert json.dumps(ERROR_TEMPLATE) in TEMPLATE  # HCL escapes this string as JSON does
    for name, value in ERROR_HEADERS.items():
        assert f'"gatewayresponse.header.{name}"' in TEMPLATE
        assert f"\"'{value}'\"" in TEMPLATE
    assert '"$ref" = "#/components/schemas/ImportRequest"' in TEMPLATE
    assert '"x-amazon-apigateway-request-validator" = "body"' in TEMPLATE
    assert "body = { validateRequestBody = true" in TEMPLATE
    assert 'type                = "aws_proxy"' in TEMPLATE
    for field in IMPORT_FIELDS:
        assert f"\n          {field} = {{" in TEMPLATE, f"ImportRequest.{field} moved"
    assert {"MISSING_AUTHENTICATION_TOKEN", "BAD_REQUEST_BODY", "DEFAULT_5XX"} <= set(
        gateway_error_codes()
    )


def test_routes_a_request_under_the_stage_to_the_lambda(
    gateway: LocalGateway, fake: FakeLambda
) -> None:
    response = post_import(gateway)

    assert response.status == 201
    assert response.body == b'{"import_id":"abc"}'
    assert response.header("Cache-Control") == "no-store"
    assert fake.event["resource"] == "/import"
    assert fake.event["path"] == "/import"
    assert fake.event["httpMethod"] == "POST"


def test_proxy_event_has_the_rest_api_shape(gateway: LocalGateway, fake: FakeLambda) -> None:
    headers = [
        ("Content-Type", "application/json"),
        ("User-Agent", "curl/8.5.0"),
        ("X-Trace", "one"),
        ("x-trace", "two"),
    ]
    body = json.dumps(VALID_BODY)
    before_ms = int(time.time() * 1000)

    response = gateway.handle(
        "post",
        "/v1/import",
        headers,
        query="tag=a&tag=b&empty=&q=x%20y",
        body=body.encode(),
        source_ip="203.0.113.9",
    )

    event = fake.event
    json.dumps(event)  # Lambda receives it as JSON
    assert event["resource"] == "/import"
    assert event["path"] == "/import"
    assert event["httpMethod"] == "POST"
    assert event["headers"] == {
        "Content-Type": "application/json",
        "User-Agent": "curl/8.5.0",
        "X-Trace": "two",
    }
    assert event["multiValueHeaders"] == {
        "Content-Type": ["application/json"],
        "User-Agent": ["curl/8.5.0"],
        "X-Trace": ["one", "two"],
    }
    assert event["queryStringParameters"] == {"tag": "b", "empty": "", "q": "x y"}
    assert event["multiValueQueryStringParameters"] == {
        "tag": ["a", "b"],
        "empty": [""],
        "q": ["x y"],
    }
    assert event["pathParameters"] is None
    assert event["stageVariables"] is None
    assert event["body"] == body
    assert event["isBase64Encoded"] is False

    context = event["requestContext"]
    assert {k: v for k, v in context.items() if k not in ("requestId", "requestTime")} == {
        "accountId": "123456789012",
        "apiId": "local",
        "stage": "v1",
        "resourcePath": "/import",
        "httpMethod": "POST",
        "path": "/v1/import",
        "protocol": "HTTP/1.1",
        "requestTimeEpoch": context["requestTimeEpoch"],
        "identity": context["identity"],
    }
    assert uuid.UUID(context["requestId"]).version == 4
    assert response.header("x-amzn-RequestId") == context["requestId"]
    assert before_ms <= context["requestTimeEpoch"] <= int(time.time() * 1000)
    request_time = datetime.strptime(context["requestTime"], "%d/%b/%Y:%H:%M:%S %z")
    assert abs(request_time.timestamp() * 1000 - context["requestTimeEpoch"]) < 1000
    assert context["identity"]["sourceIp"] == "203.0.113.9"
    assert context["identity"]["userAgent"] == "curl/8.5.0"


def test_lambda_context_carries_request_id_name_and_remaining_time(
    gateway: LocalGateway, fake: FakeLambda
) -> None:
    post_import(gateway)

    _, context = fake.calls[0]
    assert uuid.UUID(context.aws_request_id).version == 4
    assert context.function_name == "signed-import"
    assert 28000 < context.get_remaining_time_in_millis() <= 29000


def test_path_parameters_are_matched_and_decoded(gateway: LocalGateway, fake: FakeLambda) -> None:
    response = gateway.handle("GET", "/v1/import/abc%20def")

    assert response.status == 201
    event = fake.event
    assert event["resource"] == "/import/{import_id}"
    assert event["requestContext"]["resourcePath"] == "/import/{import_id}"
    assert event["path"] == "/import/abc%20def"
    assert event["pathParameters"] == {"import_id": "abc def"}
    # Nothing sent, nothing invented: these are null, as API Gateway sends them.
    for name in ("headers", "multiValueHeaders", "queryStringParameters", "body"):
        assert event[name] is None, name
    assert event["multiValueQueryStringParameters"] is None


@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param("POST", "/import", id="missing-stage"),
        pytest.param("POST", "/v2/import", id="other-stage"),
        pytest.param("POST", "/v1", id="stage-root"),
        pytest.param("POST", "/v1/imports", id="unknown-path"),
        pytest.param("POST", "/v1/import/a/b", id="parameter-spans-segments"),
        pytest.param("GET", "/v1/import", id="undefined-method"),
        pytest.param("DELETE", "/v1/import/abc", id="undefined-method-on-template"),
    ],
)
def test_unroutable_requests_get_missing_authentication_token(
    gateway: LocalGateway, fake: FakeLambda, method: str, path: str
) -> None:
    response = gateway.handle(method, path, {"Content-Type": "application/json"}, body=b"{}")

    assert_gateway_error(response, 403, "MissingAuthentication", "Missing Authentication Token")
    assert fake.calls == []


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({}, id="missing-size"),
        pytest.param({"size": 0}, id="size-zero"),
        pytest.param({"size": "31"}, id="size-as-string"),
        pytest.param({"size": 31.5}, id="size-fraction"),
        pytest.param({"size": 31, "bucket": "other"}, id="unknown-field"),
        pytest.param({"size": 31, "checksum_sha256": "not-base64"}, id="checksum-pattern"),
        pytest.param({"size": 31, "metadata": {"a": 1}}, id="metadata-not-string"),
        pytest.param([VALID_BODY], id="array"),
        pytest.param(b'{"size": 31', id="malformed-json"),
        pytest.param(b'{"size": NaN}', id="nan"),
        pytest.param(b"", id="empty"),
    ],
)
def test_request_validator_refuses_bodies_off_the_schema(
    gateway: LocalGateway, fake: FakeLambda, body: object
) -> None:
    response = post_import(gateway, body)

    assert_gateway_error(response, 400, "InvalidBody", "Invalid request body")
    assert fake.calls == []


def test_validator_applies_without_content_type(gateway: LocalGateway, fake: FakeLambda) -> None:
    response = gateway.handle("POST", "/v1/import", body=b'{"size": 0}')

    assert response.status == 400
    assert fake.calls == []


def test_non_json_bodies_reach_the_lambda_as_text(gateway: LocalGateway, fake: FakeLambda) -> None:
    # The document models application/json only, so API Gateway validates nothing else, and
    # without binary media types a REST API hands every body over as text.
    response = post_import(gateway, b"a,b\n1,2\n", **{"Content-Type": "text/csv"})

    assert response.status == 201
    assert fake.event["body"] == "a,b\n1,2\n"
    assert fake.event["isBase64Encoded"] is False


def test_binary_media_types_arrive_base64_encoded(fake: FakeLambda) -> None:
    gateway = LocalGateway(build_document(binary_media_types=["image/*"]), STAGE, fake)
    png = b"\x89PNG\r\n\x1a\n\x00\xff"

    gateway.handle("POST", "/v1/import", {"Content-Type": "image/png"}, body=png)

    assert fake.event["isBase64Encoded"] is True
    assert base64.b64decode(fake.event["body"]) == png


def test_body_over_the_payload_limit_is_refused(gateway: LocalGateway, fake: FakeLambda) -> None:
    response = post_import(gateway, b" " * (MAX_PAYLOAD_BYTES + 1))

    assert_gateway_error(response, 413, "BodyTooLarge", "Request Too Long")
    assert fake.calls == []


def test_lambda_exception_becomes_502(
    gateway: LocalGateway, fake: FakeLambda, caplog: pytest.LogCaptureFixture
) -> None:
    fake.error = RuntimeError("boom")

    response = post_import(gateway)

    # DEFAULT_5XX gives API Gateway's "Internal server error" the module's error shape.
    assert_gateway_error(response, 502, "InternalError", "Internal server error")
    failures = [r for r in caplog.records if r.exc_info and r.levelno >= logging.ERROR]
    assert [str(r.exc_info[1]) for r in failures if r.exc_info] == ["boom"]


@pytest.mark.parametrize(
    "result",
    [
        pytest.param({"body": "{}"}, id="no-status"),
        pytest.param({"statusCode": "OK", "body": "{}"}, id="status-not-a-number"),
        pytest.param({"statusCode": 700, "body": "{}"}, id="status-out-of-range"),
        pytest.param({"statusCode": 201, "body": {"a": 1}}, id="body-not-string"),
        pytest.param({"statusCode": 201, "body": b"{}"}, id="body-bytes-not-json"),
        pytest.param({"statusCode": 201, "cookies": ["a=1"]}, id="unknown-field"),
        pytest.param({"statusCode": 201, "headers": {"X": ["a"]}}, id="header-list"),
        pytest.param({"statusCode": 201, "headers": {"X": "a\r\nY: b"}}, id="header-injection"),
        pytest.param({"statusCode": 201, "multiValueHeaders": {"X": "a"}}, id="multi-not-list"),
        pytest.param({"statusCode": 201, "isBase64Encoded": "yes"}, id="flag-not-bool"),
        pytest.param("OK", id="string"),
    ],
)
def test_malformed_lambda_response_becomes_502(gateway: LocalGateway, result: object) -> None:
    gateway = LocalGateway(build_document(), STAGE, FakeLambda(result))

    response = post_import(gateway)

    assert_gateway_error(response, 502, "InternalError", "Internal server error")


def test_numeric_string_status_is_accepted(fake: FakeLambda) -> None:
    fake.result = {"statusCode": "202", "body": "queued"}
    gateway = LocalGateway(build_document(), STAGE, fake)

    response = post_import(gateway)

    assert (response.status, response.body) == (202, b"queued")
    assert response.header("Content-Type") == "application/json"


def test_api_gateway_defaults_without_gateway_responses(fake: FakeLambda) -> None:
    document = build_document()
    del document["x-amazon-apigateway-gateway-responses"]
    gateway = LocalGateway(document, STAGE, fake)

    missing = gateway.handle("GET", "/v1/nowhere")
    fake.error = RuntimeError("boom")
    failed = post_import(gateway)

    assert (missing.status, missing.json()) == (403, {"message": "Missing Authentication Token"})
    assert (failed.status, failed.json()) == (502, {"message": "Internal server error"})
    assert missing.header("Cache-Control") is None


def test_response_headers_merge_single_and_multi_values(fake: FakeLambda) -> None:
    fake.result = {
        "statusCode": 200,
        "headers": {"X-One": "a", "Set-Cookie": "a=1", "X-Count": 3, "Content-Length": "999"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
        "body": "ok",
    }
    gateway = LocalGateway(build_document(), STAGE, fake)

    response = post_import(gateway)

    assert response.status == 200
    assert response.body == b"ok"
    pairs = [(k, v) for k, v in response.headers if k != "x-amzn-RequestId"]
    # A pair in both appears once; API Gateway frames the body and defaults the type to JSON.
    assert pairs == [
        ("X-One", "a"),
        ("X-Count", "3"),
        ("Set-Cookie", "a=1"),
        ("Set-Cookie", "b=2"),
        ("Content-Type", "application/json"),
    ]


@pytest.mark.parametrize(
    ("binary_media_types", "decoded"),
    [
        pytest.param(["image/png"], True, id="accepted-binary-type"),
        pytest.param(None, False, id="no-binary-types"),
    ],
)
def test_base64_response_bodies_are_decoded_for_binary_types(
    fake: FakeLambda, binary_media_types: list[str] | None, decoded: bool
) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\xff"
    encoded = base64.b64encode(png).decode()
    fake.result = {
        "statusCode": 200,
        "headers": {"Content-Type": "image/png"},
        "body": encoded,
        "isBase64Encoded": True,
    }
    document = build_document(binary_media_types=binary_media_types)
    gateway = LocalGateway(document, STAGE, fake)

    response = gateway.handle("GET", "/v1/import/abc", {"Accept": "image/png"})

    assert response.status == 200
    assert response.body == (png if decoded else encoded.encode())


def test_slow_lambda_times_out_at_the_integration_timeout() -> None:
    def slow(event: dict[str, Any], context: Any) -> dict[str, Any]:
        time.sleep(0.08)
        return CREATED

    gateway = LocalGateway(build_document(timeout_ms=50), STAGE, slow)

    response = post_import(gateway)

    assert_gateway_error(response, 504, "Timeout", "Endpoint request timed out")


def test_access_log_has_one_line_per_request(
    gateway: LocalGateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="localdev.gateway.access")

    post_import(gateway)
    gateway.handle("GET", "/v1/nowhere")

    lines = [r.getMessage() for r in caplog.records if r.name == "localdev.gateway.access"]
    assert len(lines) == 2
    assert lines[0].startswith("POST /v1/import 201 ")
    assert lines[1].startswith("GET /v1/nowhere 403 ")
    assert all(line.split()[3].endswith("ms") for line in lines)


def test_auth_note_names_the_requirement_it_does_not_enforce(gateway: LocalGateway) -> None:
    assert "NOT enforced locally" in gateway.auth_note
    assert "POST /import requires sigv4 (awsSigv4)" in gateway.auth_note
    assert "GET /import/{import_id} requires sigv4 (awsSigv4)" in gateway.auth_note


def test_documents_with_other_integrations_are_refused(fake: FakeLambda) -> None:
    document = build_document()
    document["paths"]["/import"]["post"]["x-amazon-apigateway-integration"]["type"] = "mock"

    with pytest.raises(ValueError, match="only aws_proxy"):
        LocalGateway(document, STAGE, fake)


def test_serves_http_until_closed(gateway: LocalGateway, fake: FakeLambda) -> None:
    with gateway:
        gateway.serve(port=0)
        assert gateway.invoke_url == f"{gateway.url}/v1"
        request = urllib.request.Request(
            f"{gateway.invoke_url}/import?x=1",
            data=json.dumps(VALID_BODY).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 201
            assert response.headers["Cache-Control"] == "no-store"
            assert response.headers["Content-Type"] == "application/json"
            assert response.read() == b'{"import_id":"abc"}'
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{gateway.url}/v1/nowhere", timeout=5)
        assert refused.value.code == 403
        assert json.loads(refused.value.read())["error"]["code"] == "MissingAuthentication"
        url = gateway.url

    event = fake.event
    assert event["queryStringParameters"] == {"x": "1"}
    assert event["requestContext"]["identity"]["sourceIp"] == "127.0.0.1"
    assert event["requestContext"]["identity"]["userAgent"].startswith("Python-urllib/")
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{url}/v1/import", timeout=5)


def test_http_body_over_the_limit_is_refused(gateway: LocalGateway, fake: FakeLambda) -> None:
    with gateway:
        gateway.serve()
        request = urllib.request.Request(
            f"{gateway.invoke_url}/import", data=b" " * (MAX_PAYLOAD_BYTES + 1), method="POST"
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 413
    assert fake.calls == []


# --- the real signer behind the gateway ------------------------------------------------------

SIGNER_ENV = {
    "BUCKET_NAME": "signed-import-local",
    "KEY_PREFIX": "imports/",
    "ALLOWED_CONTENT_TYPES": "text/csv,application/json",
    "MAX_UPLOAD_BYTES": str(MAX_UPLOAD_BYTES),
    "URL_EXPIRY_SECONDS": "900",
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_EC2_METADATA_DISABLED": "true",
}


@pytest.fixture
def signer(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Invoke]:
    """signed_import.handler imported afresh under the test settings. Presigning is local, so
    no S3 (real or mocked) is needed; the modules found before are restored afterwards."""
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    for name, value in SIGNER_ENV.items():
        monkeypatch.setenv(name, value)
    for name in [name for name in sys.modules if name.startswith("signed_import")]:
        monkeypatch.delitem(sys.modules, name)
    yield importlib.import_module("signed_import.handler").handler
    for name in [name for name in sys.modules if name.startswith("signed_import")]:
        del sys.modules[name]


def schema(name: str) -> Draft4Validator:
    return Draft4Validator(build_document()["components"]["schemas"][name])


def test_real_signer_signs_through_the_gateway(signer: Invoke) -> None:
    gateway = LocalGateway(build_document(), STAGE, signer)

    response = post_import(gateway, {"size": 31, "content_type": "text/csv"})

    assert response.status == 201, response.body
    assert response.header("Cache-Control") == "no-store"
    answer = response.json()
    schema("ImportResponse").validate(answer)
    assert answer["bucket"] == "signed-import-local"
    assert answer["key"] == f"imports/{answer['import_id']}"
    assert answer["upload"]["headers"] == {"Content-Type": "text/csv", "Content-Length": "31"}
    assert answer["upload_url"] == answer["upload"]["url"]
    assert urlsplit(answer["upload_url"]).netloc.startswith("signed-import-local.s3.")
    expires_at = datetime.strptime(answer["expires_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert 0 < (expires_at - datetime.now(UTC)).total_seconds() <= 900


def test_lambda_refusals_pass_through_unchanged(signer: Invoke) -> None:
    gateway = LocalGateway(build_document(), STAGE, signer)

    # Valid for the schema, refused by the signer's allowlist.
    response = post_import(gateway, {"size": 31, "content_type": "image/png"})

    assert response.status == 415
    answer = response.json()
    schema("Error").validate(answer)
    assert answer["error"]["code"] == "ContentTypeNotAllowed"
    assert response.header("X-Content-Type-Options") == "nosniff"
