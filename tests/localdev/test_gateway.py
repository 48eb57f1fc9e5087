"""The local gateway behaves like the deployed stage: routes, validators, gateway responses,
caller identity, and the Lambda proxy event and response mapping.

The document under test is the module's own template, rendered by `terraform console` with the
variables api.tf passes it: the routes, error statuses and gateway error codes are read from the
module's locals, the security scheme is the one api.tf selects for each authorization type.
`test_template_gets_the_variables_api_tf_passes` fails when api.tf passes anything else.
"""

from __future__ import annotations

import base64
import functools
import importlib
import json
import logging
import os
import re
import subprocess
import sys
import threading
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
TEMPLATE_PATH = ROOT / "templates" / "openapi.json.tftpl"
STAGE = "v1"
MAX_UPLOAD_BYTES = 1024 * 1024
LAMBDA_INVOKE_ARN = (
    "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
    "arn:aws:lambda:us-east-1:123456789012:function:signed-import/invocations"
)
AUTHORIZER_ARN = "arn:aws:lambda:us-east-1:123456789012:function:authorizer"
ERROR_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
VALID_BODY = {"size": 31, "content_type": "text/csv"}
CREATED = {
    "statusCode": 201,
    "headers": {"Content-Type": "application/json", "Cache-Control": "no-store"},
    "body": '{"import_id":"abc"}',
    "isBase64Encoded": False,
}
CALLER_HEADER = "X-Caller"  # the custom authorizer's identity source in these documents

# api.tf's `security` and `security_schemes` for each authorization type (they depend on
# variables, so they are spelt out here; the rest is read from the .tf files).
SECURITY: dict[str, Any] = {
    "AWS_IAM": [{"sigv4": []}],
    "COGNITO_USER_POOLS": [{"cognito": []}],
    "CUSTOM": [{"lambda": []}],
    "NONE": [],
}
SECURITY_SCHEMES: dict[str, Any] = {
    "AWS_IAM": {
        "sigv4": {
            "type": "apiKey",
            "name": "Authorization",
            "in": "header",
            "x-amazon-apigateway-authtype": "awsSigv4",
        }
    },
    "COGNITO_USER_POOLS": {
        "cognito": {
            "type": "apiKey",
            "name": "Authorization",
            "in": "header",
            "x-amazon-apigateway-authtype": "cognito_user_pools",
            "x-amazon-apigateway-authorizer": {
                "type": "cognito_user_pools",
                "providerARNs": ["arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_x"],
            },
        }
    },
    "CUSTOM": {
        "lambda": {
            "type": "apiKey",
            "name": CALLER_HEADER,
            "in": "header",
            "x-amazon-apigateway-authtype": "custom",
            "x-amazon-apigateway-authorizer": {
                "type": "token",
                "authorizerUri": "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
                f"{AUTHORIZER_ARN}/invocations",
                "identitySource": f"method.request.header.{CALLER_HEADER}",
                "authorizerResultTtlInSeconds": 300,
            },
        }
    },
    "NONE": {},
}
# ... and with usage plans, the API key on top of each.
API_KEY_SCHEME = {"api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"}}


def _hcl_key(key: str) -> str:
    return str(json.loads(key)) if key.startswith('"') else key


def _hcl_value(value: Any) -> Any:
    """python-hcl2 keeps string literals quoted ('"201"'): unquote them, recursively; anything
    that is not a literal (an expression) fails."""
    if isinstance(value, str):
        assert value.startswith('"'), f"not a literal: {value}"
        assert value.endswith('"'), f"not a literal: {value}"
        assert "${" not in value, f"not a literal: {value}"
        assert "%{" not in value, f"not a literal: {value}"
        return json.loads(value)
    if isinstance(value, dict):
        return {_hcl_key(k): _hcl_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_hcl_value(v) for v in value]
    return value


@functools.cache
def module_local(name: str) -> Any:
    """The value of `local.<name>`, a literal in one of the module's .tf files."""
    found = [
        block[name]
        for path in sorted(ROOT.glob("*.tf"))
        for block in hcl2.loads(path.read_text()).get("locals", [])
        if name in block
    ]
    assert len(found) == 1, f"local.{name} is defined {len(found)} times"
    return _hcl_value(found[0])


def gateway_error_codes() -> dict[str, str]:
    codes: dict[str, str] = module_local("gateway_error_codes")
    return codes


def template_variables(
    authorization_type: str, cors_origins: tuple[str, ...] = (), *, api_keys: bool = False
) -> dict[str, Any]:
    """What api.tf passes to templatefile() for `authorization_type`, cors_allowed_origins and
    usage plans (`api_keys`)."""
    security = SECURITY[authorization_type]
    schemes = SECURITY_SCHEMES[authorization_type]
    if api_keys:
        security = [{**(security[0] if security else {}), "api_key": []}]
        schemes = {**schemes, **API_KEY_SCHEME}
    return {
        "title": "signed-import",
        "routes": {**module_local("import_routes"), **module_local("batch_routes")},
        "lambda_invoke_arn": LAMBDA_INVOKE_ARN,
        "max_upload_bytes": MAX_UPLOAD_BYTES,
        "max_imports": 100,
        "security": security,
        "security_schemes": schemes,
        "api_key_required": api_keys,
        "gateway_error_codes": module_local("gateway_error_codes"),
        "error_statuses": module_local("error_statuses"),
        "cors_origins": list(cors_origins),
        "resource_policy": None,
        "vpc_endpoint_ids": [],
    }


@functools.cache
def _rendered(
    authorization_type: str, cors_origins: tuple[str, ...] = (), *, api_keys: bool = False
) -> str:
    """The template rendered by Terraform itself (templatefile in `terraform console`)."""
    rendered = template_variables(authorization_type, cors_origins, api_keys=api_keys)
    variables = json.dumps(json.dumps(rendered))
    # `${` inside an HCL string literal would start an interpolation.
    variables = variables.replace("${", "$${").replace("%{", "%%{")
    expression = (
        f"base64encode(templatefile({json.dumps(str(TEMPLATE_PATH))}, jsondecode({variables})))"
    )
    result = subprocess.run(
        ["terraform", "console"],
        input=expression,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={**os.environ, "TF_IN_AUTOMATION": "1"},
        cwd=ROOT / "templates",  # no configuration here: console needs no init
    )
    assert result.returncode == 0, result.stderr
    return base64.b64decode(json.loads(result.stdout.strip())).decode()


def build_document(
    *,
    authorization_type: str = "AWS_IAM",
    binary_media_types: list[str] | None = None,
    timeout_ms: int | None = None,
    cors_origins: tuple[str, ...] = (),
    api_keys: bool = False,
) -> dict[str, Any]:
    """A fresh copy of the rendered document, optionally with binary types, another
    integration timeout on every operation, CORS origins, or API keys (usage plans)."""
    document: dict[str, Any] = json.loads(
        _rendered(authorization_type, cors_origins, api_keys=api_keys)
    )
    if timeout_ms is not None:
        for item in document["paths"].values():
            for operation in item.values():
                operation["x-amazon-apigateway-integration"]["timeoutInMillis"] = timeout_ms
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


def test_template_gets_the_variables_api_tf_passes() -> None:
    api_tf = (ROOT / "api.tf").read_text()
    call = re.search(
        r'templatefile\("\$\{path\.module\}/templates/openapi\.json\.tftpl", \{\n(.*?)\n\s*\}\)',
        api_tf,
        re.DOTALL,
    )
    assert call, "api.tf no longer renders templates/openapi.json.tftpl with a literal object"
    passed = dict(re.findall(r"^\s*(\w+)\s*=\s*(.+?)\s*$", call.group(1), re.MULTILINE))
    assert set(passed) == set(template_variables("AWS_IAM"))
    # The ones read from the module's locals are passed as exactly those locals.
    for name, local in [
        ("routes", "api_routes"),
        ("gateway_error_codes", "gateway_error_codes"),
        ("error_statuses", "error_statuses"),
        ("security", "security"),
        ("security_schemes", "security_schemes"),
        ("api_key_required", "api_key_required"),
    ]:
        assert passed[name] == f"local.{local}", name
    assert passed["cors_origins"] == "var.cors_allowed_origins"
    assert passed["max_imports"] == "var.max_imports_per_request"


def test_rendered_document_has_every_route_of_the_design() -> None:
    document = build_document()
    operations = {
        (method.upper(), path): spec["operationId"]
        for path, item in document["paths"].items()
        for method, spec in item.items()
    }
    assert operations == {
        ("POST", "/import"): "createImport",
        ("GET", "/import/{import_id}"): "getImport",
        ("DELETE", "/import/{import_id}"): "abortImport",
        ("POST", "/import/{import_id}/parts"): "signParts",
        ("GET", "/import/{import_id}/parts"): "listParts",
        ("POST", "/imports"): "createImports",
        ("POST", "/import/{import_id}/complete"): "completeImport",
    }
    for path, item in document["paths"].items():
        for method, spec in item.items():
            assert spec["security"] == [{"sigv4": []}], (method, path)
            body = "requestBody" in spec
            assert spec["x-amazon-apigateway-request-validator"] == (
                "body" if body else "parameters"
            )
    validators = document["x-amazon-apigateway-request-validators"]
    assert validators["parameters"] == {
        "validateRequestBody": False,
        "validateRequestParameters": True,
    }
    responses = document["x-amazon-apigateway-gateway-responses"]
    assert set(responses) == set(gateway_error_codes())
    for response_type, code in gateway_error_codes().items():
        template = responses[response_type]["responseTemplates"]["application/json"]
        assert template == (
            f'{{"error":{{"code":"{code}","message":$context.error.messageString}}}}'
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
        pytest.param("POST", "/v1/uploads", id="unknown-path"),
        pytest.param("POST", "/v1/import/a/b", id="parameter-spans-segments"),
        pytest.param("GET", "/v1/import", id="undefined-method"),
        pytest.param("PUT", "/v1/import/abc", id="undefined-method-on-template"),
        pytest.param("GET", "/v1/import/abc/complete", id="undefined-method-on-nested-template"),
        pytest.param("DELETE", "/v1/import/abc/parts", id="delete-on-parts"),
        pytest.param("POST", "/v1/import/abc/part", id="unknown-nested-path"),
        pytest.param("POST", "/v1/import/abc/parts/1", id="deeper-than-any-route"),
        pytest.param("GET", "/v1/import//parts", id="empty-path-parameter"),
        pytest.param("GET", "/v1/Import/abc", id="paths-are-case-sensitive"),
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
        pytest.param({"size": -1}, id="size-negative"),
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


ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "httpMethod": "$context.httpMethod",
        "resourcePath": "$context.resourcePath",
        "status": "$context.status",
        "protocol": "$context.protocol",
        "integrationStatus": "$context.integration.status",
        "errorType": "$context.error.responseType",
        "errorMessage": "$context.error.message",
        "user": "$context.identity.user",
    }
)


def test_each_request_gets_an_access_log_line_in_the_stages_format(fake: FakeLambda) -> None:
    gateway = LocalGateway(build_document(), STAGE, fake, access_log_format=ACCESS_LOG_FORMAT)

    created = post_import(gateway)
    refused = post_import(gateway, {"size": -1})
    unknown = gateway.handle("GET", "/v1/nowhere")

    lines = [json.loads(line) for line in gateway.access_log]
    assert [line["requestId"] for line in lines] == [
        response.header("x-amzn-RequestId") for response in (created, refused, unknown)
    ]
    assert lines[0] == {
        **lines[0],
        "httpMethod": "POST",
        "resourcePath": "/import",
        "status": "201",
        "protocol": "HTTP/1.1",
        "integrationStatus": "200",  # Lambda's Invoke, not the function's statusCode
        "errorType": "-",
        "user": "-",  # no value: logged as "-"
    }
    assert (lines[1]["status"], lines[1]["errorType"], lines[1]["errorMessage"]) == (
        "400",
        "BAD_REQUEST_BODY",
        "Invalid request body",
    )
    assert lines[1]["integrationStatus"] == "-"
    assert (lines[2]["status"], lines[2]["errorType"], lines[2]["resourcePath"]) == (
        "403",
        "MISSING_AUTHENTICATION_TOKEN",
        "-",
    )


def test_validator_applies_without_content_type(gateway: LocalGateway, fake: FakeLambda) -> None:
    response = gateway.handle("POST", "/v1/import", body=b'{"size": -1}')

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


def test_body_over_the_payload_limit_gets_api_gateways_own_413(
    gateway: LocalGateway, fake: FakeLambda
) -> None:
    # REQUEST_TOO_LARGE cannot be customized: even with a DEFAULT_4XX in the module's shape,
    # API Gateway answers its own body, and none of the document's headers.
    document = build_document(cors_origins=("https://app.example.com",))
    assert "DEFAULT_4XX" in document["x-amazon-apigateway-gateway-responses"]
    gateway = LocalGateway(document, STAGE, fake)

    response = post_import(gateway, b" " * (MAX_PAYLOAD_BYTES + 1))

    assert response.status == 413
    assert response.json() == {"message": "Request Too Long"}
    assert response.header("Access-Control-Allow-Origin") is None
    assert fake.calls == []


def test_a_mapping_expression_names_a_header_case_sensitively(fake: FakeLambda) -> None:
    # What a browser sends: `Origin` over HTTP/1.1, `origin` over HTTP/2.
    document = build_document()
    responses = document["x-amazon-apigateway-gateway-responses"]
    responses["BAD_REQUEST_BODY"]["responseParameters"]["gatewayresponse.header.X-Seen"] = (
        "method.request.header.Origin"
    )
    gateway = LocalGateway(document, STAGE, fake)

    for sent, seen in (("Origin", "https://a.example"), ("origin", None)):
        response = post_import(gateway, b"{not json", **{sent: "https://a.example"})
        assert response.status == 400
        assert response.header("X-Seen") == seen, sent


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


def test_the_timeout_is_answered_at_its_deadline_while_the_lambda_runs_on() -> None:
    finished = threading.Event()

    def hanging(event: dict[str, Any], context: Any) -> dict[str, Any]:
        time.sleep(1.5)
        finished.set()
        return CREATED

    gateway = LocalGateway(build_document(timeout_ms=100), STAGE, hanging)

    started = time.monotonic()
    response = post_import(gateway)

    assert time.monotonic() - started < 1.0
    assert_gateway_error(response, 504, "Timeout", "Endpoint request timed out")
    assert not finished.is_set()  # API Gateway does not wait for the function to end
    assert finished.wait(5)


def test_a_function_timeout_before_the_integration_timeout_is_a_502(
    caplog: pytest.LogCaptureFixture,
) -> None:
    contexts: list[Any] = []

    def slow(event: dict[str, Any], context: Any) -> dict[str, Any]:
        contexts.append(context)
        time.sleep(0.5)
        return CREATED

    gateway = LocalGateway(build_document(), STAGE, slow, function_timeout_ms=100)
    caplog.set_level(logging.ERROR, logger="localdev.gateway")

    started = time.monotonic()
    response = post_import(gateway)

    assert time.monotonic() - started < 0.4
    # Lambda stops the function ("Task timed out"); API Gateway answers as for any failure.
    assert_gateway_error(response, 502, "InternalError", "Internal server error")
    assert "Task timed out after 0.10 seconds" in caplog.text
    assert 0 <= contexts[0].get_remaining_time_in_millis() <= 100


def test_a_burst_of_connections_is_answered(fake: FakeLambda) -> None:
    """Fifty consumers connecting at once all get their answer (socketserver's default
    backlog of 5 reset some of them)."""
    statuses: list[int | str] = []

    def call(url: str) -> None:
        request = urllib.request.Request(
            f"{url}/v1/import",
            data=json.dumps(VALID_BODY).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                statuses.append(response.status)
        except OSError as err:
            statuses.append(type(err).__name__)

    with LocalGateway(build_document(), STAGE, fake) as gateway:
        gateway.serve()
        threads = [threading.Thread(target=call, args=(gateway.url,)) for _ in range(150)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert statuses == [201] * 150


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
    assert "derived from the request without verification" in gateway.auth_note
    assert "POST /import requires sigv4 (awsSigv4)" in gateway.auth_note
    assert "GET /import/{import_id} requires sigv4 (awsSigv4)" in gateway.auth_note


def test_documents_with_other_integrations_are_refused(fake: FakeLambda) -> None:
    document = build_document()
    document["paths"]["/import"]["post"]["x-amazon-apigateway-integration"]["type"] = "http_proxy"

    with pytest.raises(ValueError, match="only aws_proxy and mock"):
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


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "PURGE"])
def test_http_methods_no_route_defines_get_the_gateway_response(
    gateway: LocalGateway, fake: FakeLambda, method: str
) -> None:
    with gateway:
        gateway.serve()
        request = urllib.request.Request(f"{gateway.invoke_url}/import", method=method)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 403
    assert refused.value.headers["Content-Type"] == "application/json"
    assert json.loads(refused.value.read()) == {
        "error": {"code": "MissingAuthentication", "message": "Missing Authentication Token"}
    }
    assert fake.calls == []


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


# --- the multipart routes ----------------------------------------------------------------------

CRC = "AAAAAAAAAAA="  # a well-formed base64 CRC-64/NVME


@pytest.mark.parametrize(
    ("method", "path", "resource", "body"),
    [
        pytest.param("GET", "/v1/import/abc123", "/import/{import_id}", None, id="get-import"),
        pytest.param("DELETE", "/v1/import/abc123", "/import/{import_id}", None, id="abort"),
        pytest.param(
            "POST",
            "/v1/import/abc123/parts",
            "/import/{import_id}/parts",
            {"part_numbers": [2, 3]},
            id="sign-parts",
        ),
        pytest.param(
            "GET", "/v1/import/abc123/parts", "/import/{import_id}/parts", None, id="list-parts"
        ),
        pytest.param(
            "POST",
            "/v1/import/abc123/complete",
            "/import/{import_id}/complete",
            {"parts": [{"part_number": 1, "etag": '"e1"'}], "checksum_crc64nvme": CRC},
            id="complete",
        ),
    ],
)
def test_import_routes_reach_the_lambda_with_their_path_parameter(  # noqa: PLR0917
    gateway: LocalGateway, fake: FakeLambda, method: str, path: str, resource: str, body: object
) -> None:
    data = None if body is None else json.dumps(body).encode()
    headers = {} if data is None else {"Content-Type": "application/json"}

    response = gateway.handle(method, path, headers, body=data or b"")

    assert response.status == 201  # whatever the Lambda answers
    event = fake.event
    assert event["httpMethod"] == method
    assert event["resource"] == resource
    assert event["requestContext"]["resourcePath"] == resource
    assert event["path"] == path.removeprefix("/v1")
    assert event["requestContext"]["path"] == path
    assert event["pathParameters"] == {"import_id": "abc123"}
    if data is None:
        assert event["body"] is None
        assert event["headers"] is None
    else:
        assert json.loads(event["body"]) == body


@pytest.mark.parametrize(
    ("path", "body"),
    [
        pytest.param("parts", {"part_numbers": [0]}, id="part-number-zero"),
        pytest.param("parts", {"part_numbers": [10001]}, id="part-number-over-10000"),
        pytest.param("parts", {"part_numbers": ["1"]}, id="part-number-string"),
        pytest.param("parts", {"part_numbers": [1], "size": 5}, id="parts-unknown-field"),
        pytest.param("parts", {"parts": [{"checksum_crc64nvme": CRC}]}, id="part-without-number"),
        pytest.param(
            "parts",
            {"parts": [{"part_number": 1, "checksum_crc64nvme": "AAAA"}]},
            id="part-checksum-pattern",
        ),
        pytest.param(
            "parts", {"parts": [{"part_number": 1, "etag": "x"}]}, id="part-unknown-field"
        ),
        pytest.param("complete", {}, id="complete-without-parts"),
        pytest.param("complete", {"parts": [{"part_number": 1}]}, id="complete-without-etag"),
        pytest.param(
            "complete", {"parts": [{"part_number": 1, "etag": ""}]}, id="complete-empty-etag"
        ),
        pytest.param(
            "complete",
            {"parts": [{"part_number": 1, "etag": "x"}], "checksum_crc64nvme": "x"},
            id="complete-checksum-pattern",
        ),
        pytest.param("complete", b"[", id="complete-malformed-json"),
    ],
)
def test_validator_checks_the_multipart_request_models(
    gateway: LocalGateway, fake: FakeLambda, path: str, body: object
) -> None:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()

    response = gateway.handle(
        "POST", f"/v1/import/abc/{path}", {"Content-Type": "application/json"}, body=data
    )

    assert_gateway_error(response, 400, "InvalidBody", "Invalid request body")
    assert fake.calls == []


@pytest.mark.parametrize(
    ("path", "body"),
    [
        pytest.param("parts", {"part_numbers": []}, id="parts-empty-list"),
        pytest.param("parts", {"part_numbers": list(range(1, 102))}, id="over-100-parts"),
        pytest.param("complete", {"parts": []}, id="complete-empty-parts"),
    ],
)
def test_item_counts_are_left_to_the_function(
    gateway: LocalGateway, fake: FakeLambda, path: str, body: object
) -> None:
    """API Gateway's validator leaves out minItems and maxItems ("not included in simple request
    validation"): such bodies reach the function, which must refuse them itself."""
    response = gateway.handle(
        "POST",
        f"/v1/import/abc/{path}",
        {"Content-Type": "application/json"},
        body=json.dumps(body).encode(),
    )

    assert response.status == 201  # the fake function's answer: the gateway let it through
    assert json.loads(fake.event["body"]) == body


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"size": 31, "multipart": "yes"}, id="multipart-not-boolean"),
        pytest.param({"size": 31, "part_size": 1024}, id="part-size-under-5-mib"),
        pytest.param({"size": 31, "part_size": 5 * 2**30 + 1}, id="part-size-over-5-gib"),
        pytest.param({"size": 31, "checksum_algorithm": "CRC32"}, id="other-algorithm"),
        pytest.param({"size": 31, "checksum_crc64nvme": "AAAA"}, id="crc-pattern"),
    ],
)
def test_validator_checks_the_multipart_import_fields(
    gateway: LocalGateway, fake: FakeLambda, body: object
) -> None:
    assert_gateway_error(post_import(gateway, body), 400, "InvalidBody", "Invalid request body")
    assert fake.calls == []


def test_multipart_import_fields_pass_the_validator(
    gateway: LocalGateway, fake: FakeLambda
) -> None:
    body = {
        "size": 64 * 2**20,
        "multipart": True,
        "part_size": 8 * 2**20,
        "checksum_algorithm": "CRC64NVME",
        "checksum_crc64nvme": CRC,
    }

    assert post_import(gateway, body).status == 201
    assert json.loads(fake.event["body"]) == body


def test_routes_without_a_model_validate_no_body(gateway: LocalGateway, fake: FakeLambda) -> None:
    # The "parameters" validator checks parameters only: a body on GET or DELETE passes as is.
    response = gateway.handle(
        "DELETE", "/v1/import/abc", {"Content-Type": "application/json"}, body=b"not json"
    )

    assert response.status == 201
    assert fake.event["body"] == "not json"


def test_missing_required_parameters_are_refused(fake: FakeLambda) -> None:
    document = build_document()
    operation = document["paths"]["/import/{import_id}/parts"]["get"]
    operation["parameters"] = [
        *operation["parameters"],
        {"name": "X-Tenant", "in": "header", "required": True, "schema": {"type": "string"}},
        {"name": "page", "in": "query", "required": True, "schema": {"type": "string"}},
        {"name": "sort", "in": "query", "required": False, "schema": {"type": "string"}},
    ]
    gateway = LocalGateway(document, STAGE, fake)

    refused = gateway.handle("GET", "/v1/import/abc/parts", query="sort=asc")
    accepted = gateway.handle("GET", "/v1/import/abc/parts", {"x-tenant": "t"}, query="page=2")

    assert_gateway_error(
        refused, 400, "InvalidParameters", "Missing required request parameters: [X-Tenant, page]"
    )
    assert accepted.status == 201
    assert fake.event["queryStringParameters"] == {"page": "2"}


# --- caller identity, derived without verification ---------------------------------------------

SIGV4_EMPTY_IDENTITY = {
    "accountId": None,
    "caller": None,
    "user": None,
    "userArn": None,
    "accessKey": None,
}


def sigv4_authorization(access_key: str) -> str:
    return (
        f"AWS4-HMAC-SHA256 Credential={access_key}/20261125/us-east-1/execute-api/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64
    )


def jwt(claims: dict[str, Any]) -> str:
    def segment(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{segment({'alg': 'RS256', 'kid': 'k'})}.{segment(claims)}.c2lnbmF0dXJl"


def identity_of(event: dict[str, Any]) -> dict[str, Any]:
    identity = event["requestContext"]["identity"]
    return {name: identity[name] for name in SIGV4_EMPTY_IDENTITY}


def test_sigv4_identity_is_the_access_key_of_the_authorization_header(
    gateway: LocalGateway, fake: FakeLambda
) -> None:
    gateway.handle("GET", "/v1/import/abc", {"Authorization": sigv4_authorization("AKIAAAAA1")})
    gateway.handle("GET", "/v1/import/abc", {"authorization": sigv4_authorization("AKIABBBB2")})

    first, second = (identity_of(event) for event, _ in fake.calls)
    assert first == {
        "accountId": "123456789012",
        "caller": "AKIAAAAA1",
        "user": "AKIAAAAA1",
        "userArn": "arn:aws:iam::123456789012:user/AKIAAAAA1",
        "accessKey": "AKIAAAAA1",
    }
    assert second["userArn"] == "arn:aws:iam::123456789012:user/AKIABBBB2"
    assert "authorizer" not in fake.calls[0][0]["requestContext"]


def test_signature_of_a_real_sigv4_client_yields_its_access_key(
    gateway: LocalGateway, fake: FakeLambda
) -> None:
    from signed_import_client.auth import SigV4  # noqa: PLC0415 (botocore only for this test)

    headers = SigV4.from_keys("AKIDEXAMPLE", "secret").headers(
        "GET", "http://127.0.0.1/v1/import/abc", {}, b""
    )

    gateway.handle("GET", "/v1/import/abc", headers)

    assert identity_of(fake.event)["accessKey"] == "AKIDEXAMPLE"


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-authorization"),
        pytest.param({"Authorization": "Bearer abc"}, id="not-sigv4"),
        pytest.param({"Authorization": "AWS4-HMAC-SHA256 Signature=00"}, id="no-credential"),
        pytest.param({"Authorization": sigv4_authorization("../../x")}, id="not-a-key-id"),
    ],
)
def test_sigv4_without_a_readable_credential_is_the_local_user(
    gateway: LocalGateway, fake: FakeLambda, headers: dict[str, str]
) -> None:
    gateway.handle("GET", "/v1/import/abc", headers)

    assert identity_of(fake.event) == {
        "accountId": "123456789012",
        "caller": "local",
        "user": "local",
        "userArn": "arn:aws:iam::123456789012:user/local",
        "accessKey": None,
    }


def test_cognito_claims_are_the_unverified_jwt_payload(fake: FakeLambda) -> None:
    gateway = LocalGateway(build_document(authorization_type="COGNITO_USER_POOLS"), STAGE, fake)
    claims = {
        "sub": "3f1c-user",
        "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_x",
        "email_verified": True,
        "auth_time": 1764072000,
        "cognito:groups": ["admin", "ops"],
    }

    gateway.handle("GET", "/v1/import/abc", {"Authorization": f"Bearer {jwt(claims)}"})
    gateway.handle("GET", "/v1/import/abc", {"Authorization": jwt({"sub": "other"})})

    first, second = (event["requestContext"] for event, _ in fake.calls)
    # API Gateway hands a REST integration every claim as a string.
    assert first["authorizer"] == {
        "claims": {
            "sub": "3f1c-user",
            "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_x",
            "email_verified": "true",
            "auth_time": "1764072000",
            "cognito:groups": '["admin","ops"]',
        }
    }
    assert second["authorizer"] == {"claims": {"sub": "other"}}
    assert first["identity"]["userArn"] is None


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-authorization"),
        pytest.param({"Authorization": "Bearer not-a-jwt"}, id="not-a-jwt"),
        pytest.param({"Authorization": "Bearer a.!!!.c"}, id="payload-not-base64"),
        pytest.param({"Authorization": "a.W10.c"}, id="payload-not-an-object"),
    ],
)
def test_cognito_without_a_readable_token_is_the_local_user(
    fake: FakeLambda, headers: dict[str, str]
) -> None:
    gateway = LocalGateway(build_document(authorization_type="COGNITO_USER_POOLS"), STAGE, fake)

    gateway.handle("GET", "/v1/import/abc", headers)

    assert fake.event["requestContext"]["authorizer"] == {
        "claims": {"sub": "local-user", "iss": "local"}
    }


def test_custom_principal_is_the_identity_source_header(fake: FakeLambda) -> None:
    gateway = LocalGateway(build_document(authorization_type="CUSTOM"), STAGE, fake)

    gateway.handle("GET", "/v1/import/abc", {CALLER_HEADER.lower(): "tenant-7"})
    gateway.handle("GET", "/v1/import/abc", {"Authorization": "tenant-8"})

    first, second = (event["requestContext"]["authorizer"] for event, _ in fake.calls)
    assert first == {"principalId": "tenant-7"}
    assert second == {"principalId": "local-user"}  # not the identity source: ignored


def test_no_security_means_no_identity(fake: FakeLambda) -> None:
    gateway = LocalGateway(build_document(authorization_type="NONE"), STAGE, fake)

    gateway.handle("GET", "/v1/import/abc", {"Authorization": sigv4_authorization("AKIAAAAA1")})

    context = fake.event["requestContext"]
    assert identity_of(fake.event) == SIGV4_EMPTY_IDENTITY
    assert "authorizer" not in context
    assert "no authorization" in gateway.auth_note


# --- the real signer behind the gateway ------------------------------------------------------

SIGNER_ENV = {
    "BUCKET_NAME": "signed-import-local",
    "KEY_PREFIX": "imports/",
    "ALLOWED_CONTENT_TYPES": "text/csv,application/json",
    "MAX_UPLOAD_BYTES": str(MAX_UPLOAD_BYTES),
    "URL_EXPIRY_SECONDS": "900",
    "MULTIPART_ENABLED": "true",
    "MULTIPART_THRESHOLD_BYTES": str(5 * 2**20),
    "CALLER_ISOLATION": "iam",
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
    alice = {"Authorization": sigv4_authorization("AKIAALICE0000001")}

    response = post_import(gateway, {"size": 31, "content_type": "text/csv"}, **alice)

    assert response.status == 201, response.body
    assert response.header("Cache-Control") == "no-store"
    answer = response.json()
    schema("ImportResponse").validate(answer)
    assert answer["bucket"] == "signed-import-local"
    assert re.fullmatch(rf"imports/[a-z2-7]{{26}}/{re.escape(answer['import_id'])}", answer["key"])
    assert answer["upload"]["headers"] == {
        "Content-Type": "text/csv",
        "Content-Length": "31",
        "If-None-Match": "*",
    }
    assert answer["upload_url"] == answer["upload"]["url"]
    assert urlsplit(answer["upload_url"]).netloc.startswith("signed-import-local.s3.")
    expires_at = datetime.strptime(answer["expires_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert 0 < (expires_at - datetime.now(UTC)).total_seconds() <= 900


def test_real_signer_isolates_callers_by_the_derived_identity(signer: Invoke) -> None:
    gateway = LocalGateway(build_document(), STAGE, signer)
    alice = {"Authorization": sigv4_authorization("AKIAALICE0000001")}
    bob = {"Authorization": sigv4_authorization("AKIABOB000000002")}

    keys = [
        post_import(gateway, VALID_BODY, **caller).json()["key"] for caller in (alice, alice, bob)
    ]
    import_id = keys[0].rsplit("/", 1)[1]
    foreign = gateway.handle("GET", f"/v1/import/{import_id}", bob)
    malformed = gateway.handle("GET", "/v1/import/not-an-import-id", alice)

    partitions = [key.split("/")[1] for key in keys]
    assert partitions[0] == partitions[1] != partitions[2]
    for response in (foreign, malformed):
        assert response.status == 404
        assert response.json() == {
            "error": {"code": "NotFound", "message": "no import with this id"}
        }


def test_lambda_refusals_pass_through_unchanged(signer: Invoke) -> None:
    gateway = LocalGateway(build_document(), STAGE, signer)

    # Valid for the schema, refused by the signer's allowlist.
    response = post_import(gateway, {"size": 31, "content_type": "image/png"})

    assert response.status == 415
    answer = response.json()
    schema("Error").validate(answer)
    assert answer["error"]["code"] == "ContentTypeNotAllowed"
    assert response.header("X-Content-Type-Options") == "nosniff"
