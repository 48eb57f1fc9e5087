"""Lambda entry point: route, validate, sign, respond, and log one line per request.

Configuration and the S3 client are built once per container, at import: a function deployed
with a bad setting fails its init loudly instead of answering every request with a 500.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from .config import load_settings
from .errors import ClientError
from .keys import new_import_id, object_key
from .request import parse_import_request
from .responses import client_error, internal_error, json_response
from .signing import make_s3_client, sign_put

LOGGER = logging.getLogger("signed_import")
# botocore logs signatures at DEBUG; a signature is half a credential, so never let it through.
logging.getLogger("botocore").setLevel(logging.INFO)
SETTINGS = load_settings(os.environ)
S3 = make_s3_client(SETTINGS)

IMPORT_RESOURCE = "/import"


def _route(event: dict[str, Any]) -> None:
    resource = event.get("resource") or event.get("path")
    if resource != IMPORT_RESOURCE:
        raise ClientError(404, "NotFound", f"no such resource: {resource}")
    if event.get("httpMethod") != "POST":
        raise ClientError(405, "MethodNotAllowed", "use POST /import", {"Allow": "POST"})


def _create_import(event: dict[str, Any], log: dict[str, Any]) -> dict[str, Any]:
    request = parse_import_request(event, SETTINGS)
    import_id = new_import_id()
    key = object_key(SETTINGS.key_prefix, import_id)
    log.update(import_id=import_id, size=request.size, content_type=request.content_type)
    upload = sign_put(S3, SETTINGS.bucket, key, request, SETTINGS.url_expiry_seconds)
    return json_response(
        201,
        {
            "import_id": import_id,
            "bucket": SETTINGS.bucket,
            "key": key,
            "expires_at": upload.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "upload": {"method": "PUT", "url": upload.url, "headers": upload.headers},
            "upload_url": upload.url,
        },
    )


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request_id = str(getattr(context, "aws_request_id", ""))
    log: dict[str, Any] = {"method": event.get("httpMethod"), "resource": event.get("resource")}
    try:
        _route(event)
        response = _create_import(event, log)
        log["outcome"] = "signed"
    except ClientError as err:
        response = client_error(err)
        log.update(outcome="rejected", error_code=err.code)
    except Exception:
        # The traceback goes to the log; the client gets no detail. No URL exists yet here.
        LOGGER.exception("signing failed", extra={"request_id": request_id})
        response = internal_error(request_id)
        log["outcome"] = "error"
    log["status"] = response["statusCode"]
    LOGGER.info("import request", extra=log)
    return response
