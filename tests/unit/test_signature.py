"""The upload URL is a SigV4 presign on the right endpoint that covers every returned header."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest

from .helpers import (
    BUCKET,
    CSV_BYTES,
    URL_EXPIRY_SECONDS,
    LoadSigner,
    Signer,
    query,
    request_body,
    sha256_b64,
    sigv4_accepts,
)

FULL_BODY = request_body(
    checksum_sha256=sha256_b64(CSV_BYTES), filename="orders.csv", metadata={"source": "crm"}
)
BODIES = [
    pytest.param({"size": 1}, id="minimal"),
    pytest.param(FULL_BODY, id="checksum-filename-metadata"),
]
ENDPOINT = "http://127.0.0.1:4566"


@pytest.mark.parametrize("body", BODIES)
def test_url_is_sigv4_never_sigv2(signer: Signer, body: dict[str, Any]) -> None:
    params = query(signer.invoke(body).url)

    assert params["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert re.fullmatch(r"[^/]+/\d{8}/us-east-1/s3/aws4_request", params["X-Amz-Credential"])
    assert re.fullmatch(r"\d{8}T\d{6}Z", params["X-Amz-Date"])
    assert re.fullmatch(r"[0-9a-f]{64}", params["X-Amz-Signature"])
    assert params["X-Amz-Expires"] == str(URL_EXPIRY_SECONDS)
    assert not {"AWSAccessKeyId", "Signature", "Expires"} & set(params)


@pytest.mark.parametrize("body", BODIES)
def test_signed_headers_are_exactly_the_returned_headers_and_host(
    signer: Signer, body: dict[str, Any]
) -> None:
    response = signer.invoke(body)

    signed = query(response.url)["X-Amz-SignedHeaders"].split(";")
    assert signed == sorted([name.lower() for name in response.upload_headers] + ["host"])


@pytest.mark.parametrize("expiry", [60, 900, 3600])
def test_expiry_is_the_configured_one(load_signer: LoadSigner, expiry: int) -> None:
    signer = load_signer(URL_EXPIRY_SECONDS=str(expiry))

    response = signer.invoke(request_body())
    now = datetime.now(UTC)

    params = query(response.url)
    assert params["X-Amz-Expires"] == str(expiry)
    expires_at = datetime.strptime(response.body["expires_at"], "%Y-%m-%dT%H:%M:%SZ")
    expires_at = expires_at.replace(tzinfo=UTC)
    window = now + timedelta(seconds=expiry)
    assert window - timedelta(seconds=2) <= expires_at <= window + timedelta(seconds=1)
    # Never later than the moment S3 stops honouring the URL.
    signed_at = datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert expires_at <= signed_at + timedelta(seconds=expiry)


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
def test_host_is_virtual_hosted_and_regional(load_signer: LoadSigner, region: str) -> None:
    signer = load_signer(AWS_REGION=region)

    response = signer.invoke(request_body())

    url = urlsplit(response.url)
    assert url.scheme == "https"
    assert url.netloc == f"{BUCKET}.s3.{region}.amazonaws.com"
    assert url.path == "/" + response.body["key"]
    assert query(response.url)["X-Amz-Credential"].endswith(f"/{region}/s3/aws4_request")


@pytest.mark.parametrize("variable", ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"])
def test_endpoint_override_gives_a_path_style_sigv4_url(
    load_signer: LoadSigner, variable: str
) -> None:
    signer = load_signer(**{variable: ENDPOINT})

    response = signer.invoke(request_body())

    assert response.url.startswith(f"{ENDPOINT}/{BUCKET}/{response.body['key']}?")
    params = query(response.url)
    assert params["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert "AWSAccessKeyId" not in params


def test_s3_specific_endpoint_wins_over_the_generic_one(load_signer: LoadSigner) -> None:
    signer = load_signer(AWS_ENDPOINT_URL="http://127.0.0.1:9", AWS_ENDPOINT_URL_S3=ENDPOINT)

    assert signer.invoke(request_body()).url.startswith(f"{ENDPOINT}/{BUCKET}/")


# An S3 interface VPC endpoint's bucket name (AWS PrivateLink for Amazon S3): the URLs address
# the bucket path-style under it (a TLS wildcard covers one label only).
VPC_ENDPOINT = "https://bucket.vpce-0123456789abcdef0-abcd1234.s3.eu-west-1.vpce.amazonaws.com"


@pytest.mark.parametrize("s3_endpoint", [None, ENDPOINT], ids=["aws", "emulator"])
def test_an_upload_endpoint_is_what_the_urls_name_and_sign(
    load_signer: LoadSigner, secret_key: str, s3_endpoint: str | None
) -> None:
    signer = load_signer(
        AWS_REGION="eu-west-1", UPLOAD_ENDPOINT_URL=VPC_ENDPOINT, AWS_ENDPOINT_URL_S3=s3_endpoint
    )

    response = signer.invoke(FULL_BODY)

    assert response.url.startswith(f"{VPC_ENDPOINT}/{BUCKET}/{response.body['key']}?")
    assert sigv4_accepts(response.url, response.upload_headers, secret_key)
    # The Host is signed: the same URL sent to S3's public endpoint is refused.
    public = response.url.replace(VPC_ENDPOINT, f"https://{BUCKET}.s3.eu-west-1.amazonaws.com")
    assert not sigv4_accepts(public, response.upload_headers, secret_key)
    # The signer's own S3 client keeps its endpoint (S3's own, or the emulator's).
    assert signer.module.S3.meta.endpoint_url == (
        s3_endpoint or "https://s3.eu-west-1.amazonaws.com"
    )


@pytest.mark.parametrize("endpoint", [None, ENDPOINT], ids=["aws", "emulator"])
def test_s3_accepts_exactly_the_returned_headers(
    load_signer: LoadSigner, secret_key: str, endpoint: str | None
) -> None:
    response = load_signer(AWS_ENDPOINT_URL_S3=endpoint).invoke(FULL_BODY)

    assert sigv4_accepts(response.url, response.upload_headers, secret_key)
    # Header names are case-insensitive on the wire.
    lowered = {name.lower(): value for name, value in response.upload_headers.items()}
    assert sigv4_accepts(response.url, lowered, secret_key)


@pytest.mark.parametrize(
    ("header", "value"),
    [
        pytest.param("Content-Length", str(len(CSV_BYTES) + 1), id="longer-body"),
        pytest.param("Content-Length", None, id="no-content-length"),
        pytest.param("Content-Type", "text/html", id="other-content-type"),
        pytest.param("x-amz-checksum-sha256", sha256_b64(b"evil"), id="other-bytes"),
        pytest.param("x-amz-checksum-sha256", None, id="no-checksum"),
        pytest.param("x-amz-meta-source", "forged", id="other-metadata"),
        pytest.param("x-amz-meta-filename", None, id="no-filename"),
        pytest.param("x-amz-meta-extra", "x", id="extra-metadata"),
        pytest.param("x-amz-acl", "public-read", id="public-acl"),
    ],
)
def test_s3_refuses_any_other_request(
    signer: Signer, secret_key: str, header: str, value: str | None
) -> None:
    response = signer.invoke(FULL_BODY)
    headers = dict(response.upload_headers)
    if value is None:
        del headers[header]
    else:
        headers[header] = value

    assert not sigv4_accepts(response.url, headers, secret_key)


def test_two_signatures_never_repeat(signer: Signer) -> None:
    first, second = (signer.invoke(request_body()) for _ in range(2))

    assert first.url != second.url
    assert query(first.url)["X-Amz-Signature"] != query(second.url)["X-Amz-Signature"]
