"""Sign a single PUT of exactly the declared object: SigV4, regional endpoint, signed headers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from .config import Settings
from .request import ImportRequest

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


@dataclass(frozen=True)
class SignedUpload:
    url: str
    headers: dict[str, str]
    expires_at: datetime


def make_s3_client(settings: Settings) -> S3Client:
    """One client per container. SigV4 always: botocore falls back to SigV2 presigns with a
    custom endpoint otherwise. In AWS the host is regional and virtual-hosted (never the global
    s3.amazonaws.com); emulators behind AWS_ENDPOINT_URL(_S3) get path style."""
    config = Config(
        signature_version="s3v4",
        s3={
            "addressing_style": "path" if settings.endpoint_url else "virtual",
            "us_east_1_regional_endpoint": "regional",
        },
    )
    return boto3.client(
        "s3", region_name=settings.region, endpoint_url=settings.endpoint_url, config=config
    )


def upload_headers(request: ImportRequest) -> dict[str, str]:
    """Every header the signature covers besides Host; the client must send each one as is."""
    headers = {
        "Content-Type": request.content_type,
        "Content-Length": str(request.size),
    }
    if request.checksum_sha256 is not None:
        headers["x-amz-checksum-sha256"] = request.checksum_sha256
    for key, value in request.metadata.items():
        headers[f"x-amz-meta-{key}"] = value
    return headers


def sign_put(
    client: S3Client, bucket: str, key: str, request: ImportRequest, expires_in: int
) -> SignedUpload:
    params: dict[str, Any] = {
        "Bucket": bucket,
        "Key": key,
        "ContentType": request.content_type,
        "ContentLength": request.size,
        "Metadata": request.metadata,
    }
    if request.checksum_sha256 is not None:
        params["ChecksumSHA256"] = request.checksum_sha256
    # X-Amz-Date has one-second resolution: take the floor so expires_at is never late.
    signed_at = datetime.now(UTC).replace(microsecond=0)
    url = client.generate_presigned_url("put_object", Params=params, ExpiresIn=expires_in)
    return SignedUpload(
        url=url,
        headers=upload_headers(request),
        expires_at=signed_at + timedelta(seconds=expires_in),
    )
