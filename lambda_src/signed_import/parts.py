"""POST /import/{import_id}/parts: sign (or sign again) the part URLs a client asks for."""

from __future__ import annotations

from typing import Any

from .body import load_json_object, optional_crc64nvme, whole_number
from .call import Call, require_multipart, target
from .errors import ClientError
from .multipart import PartRequest, live_upload, plan_of, sign_parts
from .planning import Plan
from .responses import iso8601, part_numbers

MAX_PARTS_PER_REQUEST = 100
MAX_BODY_BYTES = 16 * 1024


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


def sign_more_parts(call: Call) -> tuple[int, dict[str, Any]]:
    """POST /import/{import_id}/parts: fresh URLs for the parts asked for. The plan comes from
    the id, never from the request, so a client cannot change a part's size."""
    found = target(call)
    require_multipart(found)
    plan = plan_of(found)
    parts = parse_part_requests(call.event, plan, found.decoded.verifies_crc64nvme)
    upload = live_upload(call, found)
    expires_at, signed = sign_parts(call, found.key, upload, plan, parts)
    call.log["parts_signed"] = len(signed)
    return 200, {"expires_at": iso8601(expires_at), "parts": signed}
