"""The fast presigner yields byte for byte the URL boto3's `generate_presigned_url` yields.

With the clock fixed, every combination of region (three partitions), endpoint override, bucket
(virtual-hosted and dotted), request (types, checksums, metadata, a non-ASCII filename, parts)
and credentials (with and without a session token) is signed both ways and compared.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import boto3
import botocore.auth
import pytest
from botocore.config import Config
from botocore.credentials import Credentials, RefreshableCredentials

from signed_import.config import Settings
from signed_import.presign import Presigner, dns_suffix
from signed_import.request import ImportRequest
from signed_import.signing import sign_part, sign_put

from .helpers import query

FIXED_NOW = datetime(2026, 11, 25, 12, 34, 56)
EXPIRES_IN = 900
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2", "cn-north-1", "us-gov-west-1"]
ENDPOINTS = [None, "http://127.0.0.1:4566"]
BUCKETS = ["signed-import-bucket", "dotted.bucket-name"]
KEYS = ["imports/ab2cd3", "imports/h5k/tenant!*'()~ü/x y"]
TOKENS = [None, "IQoJb3JpZ2luX2VjE//session+token/="]
SHA256 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
CRC = "AAECAwQFBgc="
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
PUTS = {
    "minimal": ImportRequest(size=1, content_type="application/octet-stream"),
    "csv-sha256-metadata-filename": ImportRequest(
        size=123456789,
        content_type="text/csv; charset=utf-8",
        checksum_sha256=SHA256,
        metadata={"source": "crm", "batch-id": "2026-11", "filename": "Q3%20orders%20%C3%BC.csv"},
    ),
    "crc64nvme": ImportRequest(
        size=5 * 1024**3, content_type="application/json", checksum_crc64nvme=CRC
    ),
}
PARTS = {"part-1": (1, None), "part-10000-crc": (10_000, CRC)}


def freeze_clocks(monkeypatch: pytest.MonkeyPatch, now: datetime) -> None:
    """botocore's signing clock (for the reference URLs) and the signer's own, both at `now`."""
    if hasattr(botocore.auth, "get_current_datetime"):
        monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *args, **kwargs: now)
    else:  # older botocore (1.36) reads datetime.datetime.utcnow() itself

        class Frozen(datetime):
            @classmethod
            def utcnow(cls) -> datetime:  # type: ignore[override]
                return now

        clock = SimpleNamespace(datetime=Frozen, timezone=timezone, timedelta=timedelta)
        monkeypatch.setattr(botocore.auth, "datetime", clock)
    monkeypatch.setattr("signed_import.presign.utc_now", lambda: now)


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze_clocks(monkeypatch, FIXED_NOW)


def settings_for(region: str, endpoint: str | None) -> Settings:
    return Settings(
        bucket="unused",
        key_prefix="imports/",
        allowed_content_types=frozenset({"text/csv"}),
        max_upload_bytes=5 * 1024**3,
        url_expiry_seconds=EXPIRES_IN,
        region=region,
        endpoint_url=endpoint,
    )


# One session for every reference client: its parsed models are reused, and each client gets
# its credentials explicitly.
_SESSION = boto3.Session()


def reference_client(
    region: str, endpoint: str | None, token: str | None, secret: str = SECRET
) -> Any:
    """The client the signer used before: SigV4, regional, path style behind an endpoint."""
    return _SESSION.client(
        "s3",
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key=secret,
        aws_session_token=token,
        config=Config(
            signature_version="s3v4",
            s3={
                "addressing_style": "path" if endpoint else "virtual",
                "us_east_1_regional_endpoint": "regional",
            },
            request_checksum_calculation="when_required",
        ),
    )


def put_params(bucket: str, key: str, request: ImportRequest) -> dict[str, Any]:
    params: dict[str, Any] = {
        "Bucket": bucket,
        "Key": key,
        "ContentType": request.content_type,
        "ContentLength": request.size,
        "IfNoneMatch": "*",
        "Metadata": request.metadata,
    }
    if request.checksum_sha256:
        params["ChecksumSHA256"] = request.checksum_sha256
    if request.checksum_crc64nvme:
        params["ChecksumCRC64NVME"] = request.checksum_crc64nvme
    return params


MATRIX = list(itertools.product(REGIONS, ENDPOINTS, BUCKETS, KEYS, TOKENS))


@pytest.mark.parametrize(("region", "endpoint", "bucket", "key", "token"), MATRIX)
def test_fast_path_equals_generate_presigned_url(
    region: str, endpoint: str | None, bucket: str, key: str, token: str | None
) -> None:
    client = reference_client(region, endpoint, token)
    presigner = Presigner(
        settings_for(region, endpoint),
        Credentials("AKIDEXAMPLE", SECRET, token),
    )
    compared = 0
    for request in PUTS.values():
        expected = client.generate_presigned_url(
            "put_object", Params=put_params(bucket, key, request), ExpiresIn=EXPIRES_IN
        )
        assert sign_put(presigner, bucket, key, request, EXPIRES_IN).url == expected
        compared += 1
    for number, crc in PARTS.values():
        params: dict[str, Any] = {
            "Bucket": bucket,
            "Key": key,
            "UploadId": "VXBsb2FkIElE.for_6~a-b",
            "PartNumber": number,
            "ContentLength": 5 * 1024**2,
        }
        if crc:
            params["ChecksumCRC64NVME"] = crc
        expected = client.generate_presigned_url("upload_part", Params=params, ExpiresIn=EXPIRES_IN)
        part_urls = presigner.batch(EXPIRES_IN).part_urls(bucket, key, "VXBsb2FkIElE.for_6~a-b")
        signed = sign_part(part_urls, part_number=number, length=5 * 1024**2, crc64nvme=crc)
        assert signed.url == expected
        compared += 1
    assert compared == len(PUTS) + len(PARTS)


def test_the_signing_key_follows_the_date_and_the_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """The derived signing key is kept between URLs: one Presigner signing across midnight and
    across a credential rotation still yields, each time, the client's URL for that moment."""
    credentials = Credentials("AKIDEXAMPLE", SECRET, None)
    presigner = Presigner(settings_for("eu-west-1", None), credentials)
    request = PUTS["minimal"]
    moments = [
        (
            FIXED_NOW.replace(hour=23, minute=59, second=59),
            SECRET,
        ),
        (
            FIXED_NOW.replace(hour=23, minute=59, second=59) + timedelta(seconds=1),
            SECRET,
        ),
        (FIXED_NOW.replace(day=26, hour=0, minute=5), "rotated/secret+key"),
    ]
    signatures = set()
    for now, secret in moments:
        freeze_clocks(monkeypatch, now)
        credentials.secret_key = secret
        client = reference_client("eu-west-1", None, None, secret)
        expected = client.generate_presigned_url(
            "put_object", Params=put_params("bucket", "imports/x", request), ExpiresIn=EXPIRES_IN
        )
        signed = sign_put(presigner, "bucket", "imports/x", request, EXPIRES_IN).url
        assert signed == expected
        signatures.add(query(signed)["X-Amz-Signature"])
    assert len(signatures) == len(moments)


def test_matrix_size() -> None:
    """What the equivalence covers: 80 combinations, 5 URLs each, 400 URLs compared."""
    assert len(MATRIX) * (len(PUTS) + len(PARTS)) == 400


@pytest.mark.parametrize(
    ("region", "suffix"),
    [
        ("eu-central-2", "amazonaws.com"),
        ("cn-northwest-1", "amazonaws.com.cn"),
        ("us-gov-east-1", "amazonaws.com"),
        ("us-iso-east-1", "c2s.ic.gov"),
    ],
)
def test_dns_suffix_comes_from_botocores_partitions(region: str, suffix: str) -> None:
    assert dns_suffix(region) == suffix


def _expiring_credentials(expires_at: datetime) -> RefreshableCredentials:
    metadata = {
        "access_key": "ASIAEXAMPLE",
        "secret_key": "secret",
        "token": "token",
        "expiry_time": expires_at.isoformat(),
    }
    return RefreshableCredentials.create_from_metadata(
        metadata=metadata, refresh_using=lambda: metadata, method="test"
    )


def test_a_url_never_outlives_its_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Role credentials with 12 minutes left: a 15-minute URL would promise 3 minutes S3 will
    not honour, so the URL is cut to the credentials' life and says so."""
    monkeypatch.undo()  # the real clock: credentials and URL are compared in real time
    expiry = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=12)
    presigner = Presigner(settings_for("eu-west-1", None), _expiring_credentials(expiry))

    signed = sign_put(presigner, "bucket", "imports/x", PUTS["minimal"], EXPIRES_IN)

    lifetime = int(query(signed.url)["X-Amz-Expires"])
    assert 600 <= lifetime <= 720
    assert signed.expires_at <= expiry
    assert query(signed.url)["X-Amz-Security-Token"] == "token"


def test_credentials_with_time_to_spare_keep_the_configured_lifetime(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.undo()
    expiry = datetime.now(UTC) + timedelta(hours=6)
    presigner = Presigner(settings_for("eu-west-1", None), _expiring_credentials(expiry))

    signed = sign_put(presigner, "bucket", "imports/x", PUTS["minimal"], EXPIRES_IN)

    assert query(signed.url)["X-Amz-Expires"] == str(EXPIRES_IN)
