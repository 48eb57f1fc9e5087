"""Lambda entry point: route, run, respond, and log one line per request.

Configuration is read once per container, at import: a function deployed with a bad setting
fails its init loudly instead of answering every request with a 500 (a runtime botocore too old
for multipart imports does not: single PUTs keep working, see s3_client). The S3 client is built on
the first call that needs the S3 API, so that a cold single PUT never pays for it.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import botocore
from botocore.exceptions import ClientError as BotoClientError

from .abort import abort
from .call import Call
from .completion import complete
from .config import load_settings
from .cors import cors_headers
from .create import create_import
from .create_many import create_imports
from .errors import ClientError
from .identity import caller_partition
from .parts import sign_more_parts
from .presign import Presigner
from .responses import (
    client_error,
    error_body,
    internal_error,
    json_response,
    service_unavailable,
)
from .s3_client import LazyS3Client, MultipartUnsupported, multipart_unsupported, s3_unavailable
from .status import import_status, list_parts

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

LOGGER = logging.getLogger("signed_import")
# botocore logs signatures at DEBUG; a signature is half a credential, so never let it through.
logging.getLogger("botocore").setLevel(logging.INFO)
SETTINGS = load_settings(os.environ)
# A runtime whose botocore is too old for multipart imports still signs single PUTs: the
# multipart calls alone answer 501, and the init says why once.
MULTIPART_UNSUPPORTED = multipart_unsupported() if SETTINGS.multipart_enabled else None
# What the runtime brought, once per init: AWS updates a runtime's botocore without notice.
LOGGER.info(
    "signer started",
    extra={
        "python": sys.version.split()[0],
        "botocore": botocore.__version__,
        "multipart": SETTINGS.multipart_enabled and MULTIPART_UNSUPPORTED is None,
    },
)
if MULTIPART_UNSUPPORTED is not None:
    LOGGER.error(MULTIPART_UNSUPPORTED)
PRESIGNER = Presigner(SETTINGS)
S3 = cast("S3Client", LazyS3Client(SETTINGS, MULTIPART_UNSUPPORTED))

Route = Callable[[Call], tuple[int, dict[str, Any] | None]]

# (resource template, method) -> route: the OpenAPI body's paths, one function each.
ROUTES: dict[tuple[str, str], Route] = {
    ("/import", "POST"): create_import,
    ("/imports", "POST"): create_imports,
    ("/import/{import_id}", "GET"): import_status,
    ("/import/{import_id}", "DELETE"): abort,
    ("/import/{import_id}/parts", "POST"): sign_more_parts,
    ("/import/{import_id}/parts", "GET"): list_parts,
    ("/import/{import_id}/complete", "POST"): complete,
}


def _route(event: dict[str, Any]) -> Route:
    resource = event.get("resource") or event.get("path")
    method = event.get("httpMethod")
    route = ROUTES.get((str(resource), str(method)))
    if route is not None:
        return route
    allowed = sorted(m for r, m in ROUTES if r == resource)
    if not allowed:
        raise ClientError(404, "NotFound", f"no such resource: {resource}")
    raise ClientError(
        405,
        "MethodNotAllowed",
        f"use {' or '.join(allowed)} on {resource}",
        {"Allow": ", ".join(allowed)},
    )


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request_id = str(getattr(context, "aws_request_id", ""))
    log: dict[str, Any] = {"method": event.get("httpMethod"), "resource": event.get("resource")}
    try:
        route = _route(event)
        partition = caller_partition(event, SETTINGS.caller_isolation)
        if partition:
            log["caller"] = partition
        status, body = route(Call(event, SETTINGS, S3, PRESIGNER, partition, log))
        response = json_response(status, body)
        log["outcome"] = "ok"
    except ClientError as err:
        response = client_error(err)
        log.update(outcome="rejected", error_code=err.code)
    except MultipartUnsupported as err:
        response = json_response(501, error_body("MultipartUnavailable", str(err)))
        log.update(outcome="unsupported", error_code="MultipartUnavailable")
    except Exception as err:
        if s3_unavailable(err):
            # S3's condition, not a bug: a 503 the caller retries, and a warning without a
            # traceback (the error's class and S3's code say what happened).
            response = service_unavailable(request_id)
            log.update(outcome="unavailable", s3_error=type(err).__name__)
            if isinstance(err, BotoClientError):
                log["s3_error_code"] = err.response.get("Error", {}).get("Code")
        else:
            # The traceback goes to the log; the client gets no detail and no URL.
            LOGGER.exception("request failed", extra={"request_id": request_id})
            response = internal_error(request_id)
            log["outcome"] = "error"
    response["headers"].update(cors_headers(event, SETTINGS.cors_allowed_origins))
    log["status"] = response["statusCode"]
    level = logging.WARNING if log["outcome"] == "unavailable" else logging.INFO
    LOGGER.log(level, "import request", extra=log)
    return response
