"""GET /import/{import_id} and GET /import/{import_id}/parts: what S3 holds for an import."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from .call import NOT_FOUND, Call, require_multipart, target
from .config import MAX_EXPIRY_SECONDS
from .errors import ClientError
from .malware_scan import scan_result
from .multipart import plan_of
from .request import CRC64NVME
from .responses import iso8601
from .s3_state import stored_object, upload_parts

# X-Amz-Date is taken a moment after the id's expiry is: allow for the second ticking over.
CLOCK_SLACK_SECONDS = 2


def import_status(call: Call) -> tuple[int, dict[str, Any]]:
    found = target(call)
    base: dict[str, Any] = {
        "import_id": found.import_id,
        "bucket": call.settings.bucket,
        "key": found.key,
        "method": "MULTIPART" if found.decoded.multipart else "PUT",
    }
    stored = stored_object(call.s3, call.settings.bucket, found.key)
    if stored is not None:
        complete = {
            **base,
            "status": "complete",
            "size": stored.size,
            "content_type": stored.content_type,
            "etag": stored.etag,
            "last_modified": iso8601(stored.last_modified),
        }
        if stored.crc64nvme is not None:
            complete["checksum_crc64nvme"] = stored.crc64nvme
        if call.settings.malware_scanning:
            complete["malware_scan"] = scan_result(call.s3, call.settings.bucket, found.key)
        return 200, complete
    if not found.decoded.multipart:
        # Nothing stored: pending while its URL may still be used, unknown afterwards.
        expires_at, now = found.decoded.expires_at, time.time()
        # An expiry no URL could have had (later than the longest lifetime) is a forged id.
        if not now - CLOCK_SLACK_SECONDS <= expires_at <= now + MAX_EXPIRY_SECONDS:
            raise NOT_FOUND
        return 200, {
            **base,
            "status": "pending",
            "expires_at": iso8601(datetime.fromtimestamp(expires_at, UTC)),
        }
    held = upload_parts(call.s3, call.settings.bucket, found.key)
    if held is None:  # aborted, expired by the lifecycle rule, or never created
        raise NOT_FOUND
    plan = plan_of(found)
    body = {
        **base,
        "status": "uploading" if held else "pending",
        "size": plan.size,
        "part_size": plan.part_size,
        "part_count": plan.part_count,
        "parts_uploaded": len(held),
        "bytes_uploaded": sum(part.size for part in held),
    }
    if found.decoded.verifies_crc64nvme:
        body["checksum_algorithm"] = CRC64NVME
    return 200, body


def list_parts(call: Call) -> tuple[int, dict[str, Any]]:
    found = target(call)
    require_multipart(found)
    held = upload_parts(call.s3, call.settings.bucket, found.key)
    if held is None:
        if stored_object(call.s3, call.settings.bucket, found.key) is not None:
            raise ClientError(409, "AlreadyComplete", "this import is complete: it has no parts")
        raise NOT_FOUND
    plan = plan_of(found)
    parts = []
    for part in held:
        entry: dict[str, Any] = {
            "part_number": part.part_number,
            "size": part.size,
            "etag": part.etag,
        }
        if part.crc64nvme is not None:
            entry["checksum_crc64nvme"] = part.crc64nvme
        parts.append(entry)
    return 200, {
        "import_id": found.import_id,
        "size": plan.size,
        "part_size": plan.part_size,
        "part_count": plan.part_count,
        "parts": parts,
    }
