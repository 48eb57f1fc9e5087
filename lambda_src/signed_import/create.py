"""POST /import: a single signed PUT, or a multipart upload with its first part URLs."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

from .call import Call
from .keys import new_multipart_id, new_single_id
from .multipart import create_upload, first_batch, sign_parts
from .planning import plan_parts
from .request import ImportRequest, parse_import_request
from .responses import iso8601
from .signing import sign_put, signed_at


def create_import(call: Call) -> tuple[int, dict[str, Any]]:
    request = parse_import_request(call.event, call.settings)
    call.log.update(size=request.size, content_type=request.content_type)
    if request.multipart:
        return _multipart(call, request)
    created = single_put(call, request)
    call.log.update(import_id=created["import_id"], upload="PUT")
    return 201, created


def single_put(call: Call, request: ImportRequest) -> dict[str, Any]:
    """A new single-PUT import: its id, key and signed URL (no call to S3)."""
    expiry = call.settings.url_expiry_seconds
    import_id = new_single_id(int((signed_at() + timedelta(seconds=expiry)).timestamp()))
    encoded = import_id.encode(call.partition)
    key = call.key(encoded)
    upload = sign_put(call.presigner, call.settings.bucket, key, request, expiry)
    return {
        "import_id": encoded,
        "bucket": call.settings.bucket,
        "key": key,
        "expires_at": iso8601(upload.expires_at),
        "upload": {"method": "PUT", "url": upload.url, "headers": upload.headers},
        "upload_url": upload.url,
    }


def _multipart(call: Call, request: ImportRequest) -> tuple[int, dict[str, Any]]:
    plan = plan_parts(request.size, request.part_size)
    crc = request.checksum_crc64nvme
    import_id = new_multipart_id(
        plan.size,
        plan.part_size,
        verifies_crc64nvme=request.checksum_algorithm is not None,
        crc64nvme=base64.b64decode(crc) if crc is not None else None,
    )
    encoded = import_id.encode(call.partition)
    key = call.key(encoded)
    call.log.update(import_id=encoded, upload="MULTIPART", part_count=plan.part_count)
    upload = create_upload(call, key, request)
    expires_at, parts = sign_parts(call, key, upload, plan, first_batch(request, plan))
    multipart: dict[str, Any] = {
        "method": "MULTIPART",
        "part_size": plan.part_size,
        "part_count": plan.part_count,
    }
    if request.checksum_algorithm is not None:
        multipart["checksum_algorithm"] = request.checksum_algorithm
    multipart["parts"] = parts
    return 201, {
        "import_id": encoded,
        "bucket": call.settings.bucket,
        "key": key,
        "expires_at": iso8601(expires_at),
        "upload": multipart,
    }
