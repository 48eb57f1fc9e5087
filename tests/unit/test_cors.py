"""Every signer response names a listed page origin (errors too), and no other."""

from __future__ import annotations

import pytest

from signed_import.config import ConfigError, load_settings

from .helpers import FUNCTION_ENV, LoadSigner, Signer, make_event, request_body, route_event

APP = "https://app.example.com"
OTHER_APP = "http://127.0.0.1:8080"
ORIGINS = f"{APP}, {OTHER_APP}"


def from_origin(origin: str, name: str = "Origin", **overrides: object) -> dict[str, object]:
    return make_event(
        request_body(), headers={"Content-Type": "application/json", name: origin}, **overrides
    )


@pytest.fixture
def cors_signer(load_signer: LoadSigner) -> Signer:
    return load_signer(CORS_ALLOWED_ORIGINS=ORIGINS)


@pytest.mark.parametrize("origin", [APP, OTHER_APP])
def test_a_listed_origin_is_echoed_on_success(cors_signer: Signer, origin: str) -> None:
    response = cors_signer.call(from_origin(origin))

    assert response.status == 201
    assert response.headers["Access-Control-Allow-Origin"] == origin
    assert response.headers["Vary"] == "Origin"
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_errors_name_the_origin_too_or_the_page_never_reads_them(cors_signer: Signer) -> None:
    unsupported = make_event(
        request_body(content_type="application/x-msdownload"),
        headers={"Content-Type": "application/json", "Origin": APP},
    )
    unknown = route_event("GET", "/import/{import_id}", import_id="a" * 40)
    unknown["headers"] = {"origin": APP}  # HTTP/2 clients send header names lowercase

    for event, status in [(unsupported, 415), (unknown, 404)]:
        response = cors_signer.call(event)
        assert response.status == status
        assert response.headers["Access-Control-Allow-Origin"] == APP
        assert "error" in response.body


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "https://app.example.com.evil.example", "null", ""]
)
def test_an_unlisted_origin_gets_no_allow_origin(cors_signer: Signer, origin: str) -> None:
    response = cors_signer.call(from_origin(origin))

    assert response.status == 201  # the request itself is the API's business, not CORS's
    assert "Access-Control-Allow-Origin" not in response.headers
    assert response.headers["Vary"] == "Origin"


def test_without_origins_no_cors_header_at_all(signer: Signer) -> None:
    response = signer.call(from_origin(APP))

    assert response.status == 201
    assert not {name for name in response.headers if name.startswith("Access-Control-")}
    assert "Vary" not in response.headers


def test_any_origin(load_signer: LoadSigner) -> None:
    response = load_signer(CORS_ALLOWED_ORIGINS="*").call(from_origin("https://anyone.example"))

    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers


@pytest.mark.parametrize(
    "value", ["https://app.example.com/upload", "app.example.com", "ftp://x.example"]
)
def test_an_origin_that_is_not_one_fails_init(value: str) -> None:
    env = {**FUNCTION_ENV, "AWS_REGION": "eu-west-1", "CORS_ALLOWED_ORIGINS": value}

    with pytest.raises(ConfigError, match="CORS_ALLOWED_ORIGINS"):
        load_settings(env)
