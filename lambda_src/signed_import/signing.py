"""What is signed for an upload: every header that matters, and the URLs that bind them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from .presign import PartUrls, Presigner
from .request import ImportRequest


@dataclass(frozen=True)
class SignedUpload:
    url: str
    headers: dict[str, str]
    expires_at: datetime


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
    part_urls: PartUrls, *, part_number: int, length: int, crc64nvme: str | None
) -> SignedUpload:
    """A part URL bound to its exact Content-Length (and CRC): S3 refuses any other body."""
    headers = {"Content-Length": str(length)}
    if crc64nvme is not None:
        headers["x-amz-checksum-crc64nvme"] = crc64nvme
    signed = part_urls.sign(part_number, length, crc64nvme)
    return SignedUpload(url=signed.url, headers=headers, expires_at=signed.expires_at)
