"""POST /imports: many small files' imports in one call, each answered or refused on its own.

A batch creates single-PUT imports only: signing one is arithmetic (no call to S3, ~80 µs), so a
call of a hundred stays short, and a refused item costs the others nothing. A multipart
import is one call among the many its parts make anyway: it is created with POST /import.
"""

from __future__ import annotations

from typing import Any

from .body import load_json_object
from .call import Call
from .create import single_put
from .errors import ClientError
from .request import MAX_BODY_BYTES, import_item
from .responses import error_body

# A hundred items as long as a valid one can be written (~4.5 KB: S3's 2 KB of metadata in
# two-byte JSON escapes, the longest media type) fit; their answers stay far below Lambda's 6 MB.
MAX_BATCH_BODY_BYTES = 64 * MAX_BODY_BYTES  # 1 MiB


def create_imports(call: Call) -> tuple[int, dict[str, Any]]:
    limit = call.settings.max_imports_per_request
    if limit == 0:
        raise ClientError(404, "NotFound", "this API creates one import a call: use POST /import")
    body = load_json_object(call.event, ("imports",), MAX_BATCH_BODY_BYTES)
    items = body.get("imports")
    if not isinstance(items, list) or not 1 <= len(items) <= limit:
        raise ClientError(
            400, "InvalidImports", f"imports must be a list of 1 to {limit} import requests"
        )
    results = [_create(call, item) for item in items]
    refused = sum(1 for result in results if "error" in result)
    call.log.update(imports=len(results) - refused, refused=refused, upload="PUT")
    return 200, {"results": results}


def _create(call: Call, item: object) -> dict[str, Any]:
    """One item's answer: {"status": 201, "import": …} or {"status": 4xx, "error": …}."""
    try:
        request = import_item(item, call.settings)
        if request.multipart:
            raise ClientError(
                400,
                "MultipartNotInBatch",
                f"an import over {call.settings.multipart_threshold_bytes} bytes, or with "
                "multipart: true, is a multipart upload: create it with POST /import",
            )
        return {"status": 201, "import": single_put(call, request)}
    except ClientError as err:
        return {"status": err.status, **error_body(err.code, err.message)}
