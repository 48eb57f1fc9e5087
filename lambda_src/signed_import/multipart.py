"""Multipart imports, the operations their routes share: create the upload, sign part URLs,
find the upload in progress.

Everything S3 fixes at creation is fixed here: content type, metadata, and the checksum type
(CRC-64/NVME over the full object, so S3 verifies the whole file at completion, not a checksum
of part checksums). A part URL signs its exact Content-Length (and its CRC when the import has
one): S3 itself refuses a part one byte longer or shorter, so the parts can never add up to more
than the declared size.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .call import NOT_FOUND, Call, Target
from .errors import ClientError
from .planning import Plan
from .request import CRC64NVME, ImportRequest
from .s3_state import stored_object, upload_id
from .signing import sign_part

FIRST_BATCH_PARTS = 10

PartRequest = tuple[int, str | None]  # part number, its CRC-64/NVME (base64) when declared


def create_upload(call: Call, key: str, request: ImportRequest) -> str:
    params: dict[str, Any] = {
        "Bucket": call.settings.bucket,
        "Key": key,
        "ContentType": request.content_type,
        "Metadata": request.metadata,
    }
    if request.checksum_algorithm == CRC64NVME:
        params.update(ChecksumAlgorithm=CRC64NVME, ChecksumType="FULL_OBJECT")
    return call.s3.create_multipart_upload(**params)["UploadId"]


def sign_parts(
    call: Call, key: str, upload: str, plan: Plan, parts: list[PartRequest]
) -> tuple[datetime, list[dict[str, Any]]]:
    """Signed URLs for `parts`, each with the headers its PUT must send, and when the first of
    them expires (now + url_expiry_seconds, or sooner when the credentials expire sooner)."""
    batch = call.presigner.batch(call.settings.url_expiry_seconds)
    part_urls = batch.part_urls(call.settings.bucket, key, upload)
    signed = []
    for number, crc in parts:
        length = plan.part_length(number)
        part = sign_part(part_urls, part_number=number, length=length, crc64nvme=crc)
        signed.append(
            {"part_number": number, "size": length, "url": part.url, "headers": part.headers}
        )
    return batch.expires_at, signed


def first_batch(request: ImportRequest, plan: Plan) -> list[PartRequest]:
    """The parts signed with POST /import: none when each part URL needs the part's CRC."""
    if request.checksum_algorithm is not None:
        return []
    return [(n, None) for n in range(1, min(FIRST_BATCH_PARTS, plan.part_count) + 1)]


def plan_of(found: Target) -> Plan:
    return Plan(found.decoded.size, found.decoded.part_size)


def live_upload(call: Call, found: Target) -> str:
    """The upload in progress, or 409 once the import is complete, or 404 once it is gone."""
    upload = upload_id(call.s3, call.settings.bucket, found.key)
    if upload is not None:
        return upload
    if stored_object(call.s3, call.settings.bucket, found.key) is not None:
        raise ClientError(409, "AlreadyComplete", "this import is complete")
    raise NOT_FOUND
