"""CORS through the local gateway, from the module's rendered document: the preflight is the
document's MOCK integration (its VTL run by localdev.gateway.mock), gateway responses map
the request's Origin as the document says, and nothing reaches the Lambda on a preflight."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from localdev.gateway import LocalGateway, LocalResponse
from localdev.gateway.mock import respond

if TYPE_CHECKING:
    from tests.localdev.test_gateway import STAGE, FakeLambda, build_document
else:  # rootdir-less "prepend" import mode puts this directory on sys.path
    from test_gateway import STAGE, FakeLambda, build_document

APP = "https://app.example.com"
LOCAL_PAGE = "http://127.0.0.1:8001"
ROUTE_METHODS = {
    "/import": "POST,OPTIONS",
    "/import/{import_id}": "DELETE,GET,OPTIONS",
    "/import/{import_id}/parts": "GET,POST,OPTIONS",
    "/import/{import_id}/complete": "POST,OPTIONS",
}


def cors_gateway(
    fake: FakeLambda, *origins: str, authorization_type: str = "AWS_IAM"
) -> LocalGateway:
    document = build_document(authorization_type=authorization_type, cors_origins=origins)
    return LocalGateway(document, STAGE, fake)


def preflight(gateway: LocalGateway, path: str, origin: str, name: str = "Origin") -> LocalResponse:
    headers = {name: origin, "Access-Control-Request-Method": "POST"}
    return gateway.handle("OPTIONS", f"/{STAGE}{path.replace('{import_id}', 'x' * 40)}", headers)


@pytest.mark.parametrize(("path", "methods"), ROUTE_METHODS.items())
def test_every_route_answers_a_preflight_for_a_listed_origin(path: str, methods: str) -> None:
    fake = FakeLambda()
    gateway = cors_gateway(fake, APP, LOCAL_PAGE)

    response = preflight(gateway, path, APP)

    assert response.status == 204
    assert response.header("Access-Control-Allow-Origin") == APP
    assert response.header("Access-Control-Allow-Methods") == methods
    assert set(str(response.header("Access-Control-Allow-Headers")).split(",")) == {
        "Content-Type",
        "Authorization",
        "X-Amz-Content-Sha256",
        "X-Amz-Date",
        "X-Amz-Security-Token",
    }
    assert response.header("Vary") == "Origin"
    assert response.header("Access-Control-Allow-Credentials") is None
    assert fake.calls == []  # API Gateway answers it; the function never runs


def test_the_origin_header_is_found_whatever_its_case() -> None:
    response = preflight(
        cors_gateway(FakeLambda(), APP, LOCAL_PAGE), "/import", LOCAL_PAGE, "origin"
    )

    assert response.header("Access-Control-Allow-Origin") == LOCAL_PAGE


@pytest.mark.parametrize("origin", ["https://evil.example", f"{APP}.evil.example", "null"])
def test_an_unlisted_origin_gets_a_preflight_without_allow_origin(origin: str) -> None:
    response = preflight(cors_gateway(FakeLambda(), APP, LOCAL_PAGE), "/import", origin)

    assert response.status == 204
    assert response.header("Access-Control-Allow-Origin") is None


def test_a_bearer_deployment_allows_its_own_header() -> None:
    custom = preflight(cors_gateway(FakeLambda(), APP, authorization_type="CUSTOM"), "/import", APP)
    cognito = preflight(
        cors_gateway(FakeLambda(), APP, authorization_type="COGNITO_USER_POOLS"), "/import", APP
    )

    assert custom.header("Access-Control-Allow-Headers") == "Content-Type,X-Caller"
    assert cognito.header("Access-Control-Allow-Headers") == "Content-Type,Authorization"


def test_any_origin_is_a_static_star() -> None:
    response = preflight(cors_gateway(FakeLambda(), "*"), "/import", "https://anyone.example")

    assert response.header("Access-Control-Allow-Origin") == "*"


def test_preflights_are_the_only_unauthorized_methods() -> None:
    document = build_document(cors_origins=(APP,))

    for path, item in document["paths"].items():
        assert item["options"]["security"] == [], path
        assert item["options"]["x-amazon-apigateway-integration"]["type"] == "mock", path
        for method, operation in item.items():
            if method != "options":
                assert operation["security"] == [{"sigv4": []}], (method, path)


def test_without_origins_there_is_no_preflight_and_no_cors_header() -> None:
    fake = FakeLambda()
    gateway = cors_gateway(fake)

    response = preflight(gateway, "/import", APP)

    assert all("options" not in item for item in build_document()["paths"].values())
    assert response.status == 403  # no OPTIONS method: Missing Authentication Token
    assert response.header("Access-Control-Allow-Origin") is None
    assert fake.calls == []


@pytest.mark.parametrize(
    ("origins", "request_origin", "expected"),
    [
        ((APP,), "https://evil.example", APP),  # one origin: sent as is
        ((APP, LOCAL_PAGE), LOCAL_PAGE, "*"),  # several: `*` (no mapping reads both cases)
        (("*",), "https://anyone.example", "*"),
    ],
)
def test_gateway_errors_carry_the_cors_headers(
    origins: tuple[str, ...], request_origin: str, expected: str
) -> None:
    fake = FakeLambda()
    gateway = cors_gateway(fake, *origins)

    response = gateway.handle(
        "POST",
        f"/{STAGE}/import",
        {"Origin": request_origin, "Content-Type": "application/json"},
        body=b"{not json",
    )

    assert response.status == 400
    assert response.json()["error"]["code"] == "InvalidBody"
    assert response.header("Access-Control-Allow-Origin") == expected
    assert response.header("Vary") == "Origin"
    assert fake.calls == []


@pytest.mark.parametrize(
    "template",
    [
        "#foreach($x in $list)#end",
        "#set($a = $input.body)",
        '#if($a != "b")#end',
        '#if($a == "b")',
        "#end",
        "#set($context.requestOverride.header.X = $a)",
    ],
)
def test_vtl_the_emulator_does_not_know_is_refused(template: str) -> None:
    integration = {
        "responses": {
            "default": {"statusCode": "204", "responseTemplates": {"application/json": template}}
        }
    }

    with pytest.raises(ValueError, match=r"VTL|#end|#if|not emulated"):
        respond(integration, ())
