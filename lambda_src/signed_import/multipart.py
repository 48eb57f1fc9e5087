"""Multipart imports: create the upload, sign part URLs, abort.

Everything S3 fixes at creation is fixed here: content type, metadata, and the checksum type
(CRC-64/NVME over the full object, so S3 verifies the whole file at completion, not a checksum
of part checksums). A part URL signs its exact Content-Length (and its CRC when the import has
one): S3 itself refuses a part one byte longer or shorter, so the parts can never add up to more
than the declared size.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError as BotoClientError

from .body import load_json_object, optional_crc64nvme, whole_number
from .errors import ClientError
from .planning import Plan
from .request import CRC64NVME, ImportRequest
from .responses import iso8601, part_numbers
from .routing import NOT_FOUND, Call, Target, require_multipart, target
from .s3_state import stored_object, upload_id
from .signing import sign_part

FIRST_BATCH_PARTS = 10
MAX_PARTS_PER_REQUEST = 100
MAX_BODY_BYTES = 16 * 1024

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


def _part_number(value: object, plan: Plan) -> int:
    if not whole_number(value) or not 1 <= value <= plan.part_count:
        raise ClientError(
            400,
            "InvalidPartNumber",
            f"part numbers are whole numbers from 1 to {plan.part_count} for this import",
        )
    return value


def parse_part_requests(event: dict[str, Any], plan: Plan, with_crc: bool) -> list[PartRequest]:
    """`{"part_numbers": [...]}` or `{"parts": [{"part_number", "checksum_crc64nvme"}]}`;
    the second form, with every part's CRC, for imports verified with CRC-64/NVME."""
    body = load_json_object(event, ("part_numbers", "parts"), MAX_BODY_BYTES)
    if len(body) != 1:
        raise ClientError(400, "InvalidBody", "send either part_numbers or parts")
    entries = body.get("part_numbers", body.get("parts"))
    if not isinstance(entries, list) or not 1 <= len(entries) <= MAX_PARTS_PER_REQUEST:
        raise ClientError(
            400, "InvalidBody", f"list 1 to {MAX_PARTS_PER_REQUEST} parts per request"
        )
    requested: list[PartRequest] = []
    for entry in entries:
        if "part_numbers" in body:
            requested.append((_part_number(entry, plan), None))
            continue
        if not isinstance(entry, dict) or "part_number" not in entry:
            raise ClientError(400, "InvalidBody", "each entry of parts needs a part_number")
        unknown = sorted(set(entry) - {"part_number", "checksum_crc64nvme"})
        if unknown:
            raise ClientError(400, "UnknownField", f"unknown field(s): {', '.join(unknown)}")
        crc = optional_crc64nvme(entry, with_crc)
        requested.append((_part_number(entry["part_number"], plan), crc))
    numbers = [number for number, _ in requested]
    duplicates = sorted({n for n in numbers if numbers.count(n) > 1})
    if duplicates:
        raise ClientError(
            400, "DuplicatePartNumber", f"part numbers listed twice: {part_numbers(duplicates)}"
        )
    missing = [number for number, crc in requested if with_crc and crc is None]
    if missing:
        raise ClientError(
            400,
            "MissingChecksum",
            "this import verifies every part with CRC-64/NVME: send parts with "
            f"checksum_crc64nvme (missing for parts {part_numbers(missing)})",
        )
    return requested


def _live_upload(call: Call, found: Target) -> str:
    """The upload in progress, or 409 once the import is complete, or 404 once it is gone."""
    upload = upload_id(call.s3, call.settings.bucket, found.key)
    if upload is not None:
        return upload
    if stored_object(call.s3, call.settings.bucket, found.key) is not None:
        raise ClientError(409, "AlreadyComplete", "this import is complete")
    raise NOT_FOUND


def sign_more_parts(call: Call) -> tuple[int, dict[str, Any]]:
    """POST /import/{import_id}/parts: fresh URLs for the parts asked for. The plan comes from
    the id, never from the request, so a client cannot change a part's size."""
    found = target(call)
    require_multipart(found)
    plan = plan_of(found)
    parts = parse_part_requests(call.event, plan, found.decoded.verifies_crc64nvme)
    upload = _live_upload(call, found)
    expires_at, signed = sign_parts(call, found.key, upload, plan, parts)
    call.log["parts_signed"] = len(signed)
    return 200, {"expires_at": iso8601(expires_at), "parts": signed}


def abort(call: Call) -> tuple[int, dict[str, Any] | None]:
    """DELETE /import/{import_id}: abort the upload; S3 frees every part."""
    found = target(call)
    require_multipart(found)
    upload = _live_upload(call, found)
    try:
        call.s3.abort_multipart_upload(Bucket=call.settings.bucket, Key=found.key, UploadId=upload)
    except BotoClientError as err:
        if err.response.get("Error", {}).get("Code") != "NoSuchUpload":
            raise
        _live_upload(call, found)  # completed or aborted meanwhile: 409 or 404
    return 204, None
