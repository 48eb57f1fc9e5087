"""DELETE /import/{import_id}: abort a multipart import; S3 frees every part."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError as BotoClientError

from .call import Call, require_multipart, target
from .multipart import live_upload


def abort(call: Call) -> tuple[int, dict[str, Any] | None]:
    """DELETE /import/{import_id}: abort the upload; S3 frees every part."""
    found = target(call)
    require_multipart(found)
    upload = live_upload(call, found)
    try:
        call.s3.abort_multipart_upload(Bucket=call.settings.bucket, Key=found.key, UploadId=upload)
    except BotoClientError as err:
        if err.response.get("Error", {}).get("Code") != "NoSuchUpload":
            raise
        live_upload(call, found)  # completed or aborted meanwhile: 409 or 404
    return 204, None
