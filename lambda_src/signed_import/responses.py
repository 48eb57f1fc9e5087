"""API Gateway proxy responses in the module's JSON shape."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from .errors import ClientError

_BASE_HEADERS = {
    "Content-Type": "application/json",
    # A response carries a one-time credential: never cache it anywhere.
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


def json_response(
    status: int, body: dict[str, Any] | None, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """A proxy response; `body` None is an empty body (204)."""
    return {
        "statusCode": status,
        "headers": {**_BASE_HEADERS, **(headers or {})},
        "body": "" if body is None else json.dumps(body, separators=(",", ":")),
        "isBase64Encoded": False,
    }


def iso8601(moment: datetime) -> str:
    """UTC, whole seconds, `Z`: how every time in a response is written."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def part_numbers(numbers: list[int], shown: int = 20) -> str:
    """Part numbers for an error message, the first `shown` of them."""
    text = ", ".join(str(n) for n in numbers[:shown])
    return text + (f" and {len(numbers) - shown} more" if len(numbers) > shown else "")


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def client_error(err: ClientError) -> dict[str, Any]:
    return json_response(err.status, error_body(err.code, err.message), err.headers)


def internal_error(request_id: str) -> dict[str, Any]:
    message = f"the request could not be completed; quote request id {request_id or 'unknown'}"
    return json_response(500, error_body("InternalError", message))


# Seconds a caller should wait before asking again when S3 is unavailable or throttling.
RETRY_AFTER_SECONDS = 1


def service_unavailable(request_id: str) -> dict[str, Any]:
    """S3 did not answer in time, or asked to slow down: the caller may simply ask again.
    Whatever S3 did with a call it did not answer (a multipart upload created, a completion
    assembled) is found again by the retry, or left to the bucket's lifecycle rule."""
    message = (
        "S3 is unavailable or slow; nothing is lost: try again in "
        f"{RETRY_AFTER_SECONDS} s (request id {request_id or 'unknown'})"
    )
    return json_response(
        503,
        error_body("ServiceUnavailable", message),
        {"Retry-After": str(RETRY_AFTER_SECONDS)},
    )
