"""JSON request bodies: the checks every route with a body shares."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Collection
from typing import Any, TypeGuard

from .errors import ClientError

CRC64NVME_BYTES = 8


def header(event: dict[str, Any], name: str) -> str | None:
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == name:
            return str(value)
    return None


def _unique_names(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refused when a name repeats: parsers disagree on which value counts
    (Python's keeps the last), so what a validator in front checked need not be what is signed."""
    parsed = dict(pairs)
    if len(parsed) != len(pairs):
        raise ClientError(400, "DuplicateField", "a field name appears twice in the request body")
    return parsed


def load_json_object(
    event: dict[str, Any], fields: Collection[str], max_bytes: int
) -> dict[str, Any]:
    """The body as a JSON object with no field outside `fields`, or a ClientError."""
    content_type = header(event, "content-type")
    if (
        content_type is not None
        and content_type.split(";")[0].strip().lower() != "application/json"
    ):
        raise ClientError(415, "UnsupportedMediaType", "send the request body as application/json")
    if event.get("isBase64Encoded"):
        raise ClientError(400, "InvalidBody", "the request body must be JSON text, not base64")
    body = event.get("body")
    if not body:
        raise ClientError(400, "EmptyBody", "the request body must be a JSON object")
    if len(body.encode("utf-8", "surrogatepass")) > max_bytes:
        raise ClientError(413, "BodyTooLarge", f"the request body is over {max_bytes} bytes")
    try:
        parsed = json.loads(body, object_pairs_hook=_unique_names)
    except (ValueError, RecursionError):
        raise ClientError(400, "MalformedJson", "the request body is not valid JSON") from None
    if not isinstance(parsed, dict):
        raise ClientError(400, "InvalidBody", "the request body must be a JSON object")
    refuse_unknown_fields(parsed, fields)
    return parsed


def refuse_unknown_fields(parsed: dict[str, Any], fields: Collection[str]) -> None:
    unknown = sorted(set(parsed) - set(fields))
    if unknown:
        raise ClientError(400, "UnknownField", f"unknown field(s): {', '.join(unknown)}")


def whole_number(value: object) -> TypeGuard[int]:
    """JSON integers only: no booleans, no floats (1.0 included)."""
    return isinstance(value, int) and not isinstance(value, bool)


def base64_digest(value: object, length: int, field: str) -> bytes:
    """Decode the canonical base64 of a `length`-byte digest, or refuse naming `field`."""
    message = f"{field} must be the base64 encoding of a {length}-byte checksum"
    if not isinstance(value, str) or not value.isascii() or len(value) != 4 * -(-length // 3):
        raise ClientError(400, "InvalidChecksum", message)
    try:
        digest = base64.b64decode(value, validate=True)
    except binascii.Error:
        raise ClientError(400, "InvalidChecksum", message) from None
    if len(digest) != length or base64.b64encode(digest).decode("ascii") != value:
        raise ClientError(400, "InvalidChecksum", message)
    return digest


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


def optional_crc64nvme(fields: dict[str, Any], verifies_crc64nvme: bool) -> str | None:
    """`checksum_crc64nvme` from `fields` (canonical base64), only on imports verified with it."""
    if "checksum_crc64nvme" not in fields:
        return None
    crc = b64(base64_digest(fields["checksum_crc64nvme"], CRC64NVME_BYTES, "checksum_crc64nvme"))
    if not verifies_crc64nvme:
        raise ClientError(
            400, "InvalidChecksum", "this import was created without checksum_algorithm"
        )
    return crc
