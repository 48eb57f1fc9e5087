"""What is signed for an upload (every header that matters), and the S3 API client."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import botocore

from .config import ConfigError, Settings
from .presign import Presigner
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
    s3.amazonaws.com); emulators behind AWS_ENDPOINT_URL(_S3) get path style. Checksums only
    when an operation requires one: botocore would otherwise give every new multipart upload a
    CRC32 algorithm that the presigned part URLs do not carry."""
    import boto3  # noqa: PLC0415 (deferred: single-PUT signing never needs the client)
    from botocore.config import Config  # noqa: PLC0415

    config = Config(
        signature_version="s3v4",
        s3={
            "addressing_style": "path" if settings.endpoint_url else "virtual",
            "us_east_1_regional_endpoint": "regional",
        },
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    return boto3.client(
        "s3", region_name=settings.region, endpoint_url=settings.endpoint_url, config=config
    )


# botocore learnt MpuObjectSize, ChecksumType and ChecksumCRC64NVME in 1.36.0; multipart
# imports send them, and an older botocore refuses unknown parameters on every call.
MULTIPART_BOTOCORE = (1, 36, 0)


def require_multipart_api(version: str | None = None) -> None:
    """Fail the init, not every completion, when the runtime's botocore is too old."""
    version = version or botocore.__version__
    numbers = tuple(int(part) for part in re.findall(r"\d+", version)[:3])
    if numbers < MULTIPART_BOTOCORE:
        needed = ".".join(str(n) for n in MULTIPART_BOTOCORE)
        raise ConfigError(
            f"multipart imports need botocore >= {needed} (MpuObjectSize, ChecksumType), "
            f"the runtime has {version}; use a current Lambda runtime"
        )


class LazyS3Client:
    """The S3 client, built on first use: only the multipart routes call the S3 API, so a
    container that signs single PUTs never pays for loading the service model."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._client: S3Client | None = None

    def __getattr__(self, name: str) -> Any:
        if self._client is None:
            self._client = make_s3_client(self._settings)
        return getattr(self._client, name)


def signed_at() -> datetime:
    """X-Amz-Date has one-second resolution: take the floor so expires_at is never late."""
    return datetime.now(UTC).replace(microsecond=0)


def upload_headers(request: ImportRequest) -> dict[str, str]:
    """Every header the single PUT's signature covers besides Host; sent exactly as given.
    `If-None-Match: *` makes S3 refuse the PUT (412) once the key exists: a replayed URL can
    never overwrite the import."""
    headers = {
        "Content-Type": request.content_type,
        "Content-Length": str(request.size),
        "If-None-Match": "*",
    }
    if request.checksum_sha256 is not None:
        headers["x-amz-checksum-sha256"] = request.checksum_sha256
    if request.checksum_crc64nvme is not None:
        headers["x-amz-checksum-crc64nvme"] = request.checksum_crc64nvme
    for key, value in request.metadata.items():
        headers[f"x-amz-meta-{key}"] = value
    return headers


def sign_put(
    presigner: Presigner, bucket: str, key: str, request: ImportRequest, expires_in: int
) -> SignedUpload:
    headers = upload_headers(request)
    signed = presigner.presign("PUT", bucket, key, headers=headers, expires_in=expires_in)
    return SignedUpload(url=signed.url, headers=headers, expires_at=signed.expires_at)


def sign_part(
    presigner: Presigner,
    *,
    bucket: str,
    key: str,
    upload_id: str,
    part_number: int,
    length: int,
    crc64nvme: str | None,
    expires_in: int,
) -> SignedUpload:
    """A part URL bound to its exact Content-Length (and CRC): S3 refuses any other body."""
    headers = {"Content-Length": str(length)}
    if crc64nvme is not None:
        headers["x-amz-checksum-crc64nvme"] = crc64nvme
    signed = presigner.presign(
        "PUT",
        bucket,
        key,
        headers=headers,
        params={"uploadId": upload_id, "partNumber": str(part_number)},  # the client's order
        expires_in=expires_in,
    )
    return SignedUpload(url=signed.url, headers=headers, expires_at=signed.expires_at)
