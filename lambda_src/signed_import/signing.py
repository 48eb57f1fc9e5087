"""Presigned S3 requests: SigV4, regional endpoint, and every header that matters signed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import boto3
import botocore
from botocore.config import Config

from .config import ConfigError, Settings
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


# Request members multipart imports rely on, newer than some botocore a runtime may ship.
MULTIPART_MEMBERS = {
    "CreateMultipartUpload": ("ChecksumAlgorithm", "ChecksumType"),
    "CompleteMultipartUpload": ("IfNoneMatch", "MpuObjectSize", "ChecksumCRC64NVME"),
    "UploadPart": ("ChecksumCRC64NVME",),
}


def require_multipart_api(client: S3Client) -> None:
    """Fail the init, not every completion, when the runtime's botocore predates a member
    multipart imports send (botocore would refuse the unknown parameter on each call)."""
    model = client.meta.service_model
    missing = []
    for operation, members in MULTIPART_MEMBERS.items():
        shape = model.operation_model(operation).input_shape
        known = shape.members if shape is not None else {}
        missing += [f"{operation}.{member}" for member in members if member not in known]
    if missing:
        raise ConfigError(
            f"multipart imports need a newer botocore than {botocore.__version__} "
            f"(missing {', '.join(missing)}); use a current Lambda runtime"
        )


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
    client: S3Client, bucket: str, key: str, request: ImportRequest, expires_in: int
) -> SignedUpload:
    params: dict[str, Any] = {
        "Bucket": bucket,
        "Key": key,
        "ContentType": request.content_type,
        "ContentLength": request.size,
        "IfNoneMatch": "*",
        "Metadata": request.metadata,
    }
    if request.checksum_sha256 is not None:
        params["ChecksumSHA256"] = request.checksum_sha256
    if request.checksum_crc64nvme is not None:
        params["ChecksumCRC64NVME"] = request.checksum_crc64nvme
    started = signed_at()
    url = client.generate_presigned_url("put_object", Params=params, ExpiresIn=expires_in)
    return SignedUpload(
        url=url,
        headers=upload_headers(request),
        expires_at=started + timedelta(seconds=expires_in),
    )


def sign_part(
    client: S3Client,
    *,
    bucket: str,
    key: str,
    upload_id: str,
    part_number: int,
    length: int,
    crc64nvme: str | None,
    expires_in: int,
) -> tuple[str, dict[str, str]]:
    """A part URL bound to its exact Content-Length (and CRC): S3 refuses any other body."""
    params: dict[str, Any] = {
        "Bucket": bucket,
        "Key": key,
        "UploadId": upload_id,
        "PartNumber": part_number,
        "ContentLength": length,
    }
    headers = {"Content-Length": str(length)}
    if crc64nvme is not None:
        params["ChecksumCRC64NVME"] = crc64nvme
        headers["x-amz-checksum-crc64nvme"] = crc64nvme
    url = client.generate_presigned_url("upload_part", Params=params, ExpiresIn=expires_in)
    return url, headers
