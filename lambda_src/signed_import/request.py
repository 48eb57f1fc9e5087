"""Parse and validate the body of POST /import into an ImportRequest.

Every rule here answers one question: could this value reach S3 or a header in a way the
module did not intend? Anything doubtful is refused with a ClientError naming the field.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from .config import Settings
from .errors import ClientError

MAX_BODY_BYTES = 16 * 1024
MAX_METADATA_ENTRIES = 10
MAX_METADATA_VALUE_CHARS = 256
MAX_METADATA_TOTAL_BYTES = 2048  # S3's limit on user-defined metadata
MAX_FILENAME_CHARS = 255
DEFAULT_CONTENT_TYPE = "application/octet-stream"
FILENAME_METADATA_KEY = "filename"

_FIELDS = frozenset({"size", "content_type", "checksum_sha256", "filename", "metadata"})
_TOKEN_CHARS = r"[A-Za-z0-9!#$&^_.+-]+"  # noqa: S105 (RFC 9110 token, not a secret)
# type/subtype with optional parameters. Matched with fullmatch: `$` would let a final "\n" in.
_MEDIA_TYPE = re.compile(
    rf"({_TOKEN_CHARS})/({_TOKEN_CHARS})"
    rf"((?:[ \t]*;[ \t]*{_TOKEN_CHARS}=(?:{_TOKEN_CHARS}|\"[ !#-\[\]-~]*\"))*)"
)
_METADATA_KEY = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
# Printable ASCII without CR, LF or other controls, and no edge spaces (HTTP trims them).
_METADATA_VALUE = re.compile(r"([!-~]([ -~]*[!-~])?)?")
_FILENAME_FORBIDDEN = re.compile(r"[/\\\x00-\x1f\x7f]")


@dataclass(frozen=True)
class ImportRequest:
    size: int
    content_type: str
    checksum_sha256: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


def _header(event: dict[str, Any], name: str) -> str | None:
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == name:
            return str(value)
    return None


def _load_body(event: dict[str, Any]) -> dict[str, Any]:
    content_type = _header(event, "content-type")
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
    if len(body.encode("utf-8", "surrogatepass")) > MAX_BODY_BYTES:
        raise ClientError(413, "BodyTooLarge", f"the request body is over {MAX_BODY_BYTES} bytes")
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        raise ClientError(400, "MalformedJson", "the request body is not valid JSON") from None
    if not isinstance(parsed, dict):
        raise ClientError(400, "InvalidBody", "the request body must be a JSON object")
    unknown = sorted(set(parsed) - _FIELDS)
    if unknown:
        raise ClientError(400, "UnknownField", f"unknown field(s): {', '.join(unknown)}")
    return parsed


def _size(body: dict[str, Any], settings: Settings) -> int:
    size = body.get("size")
    if size is None:
        raise ClientError(400, "MissingSize", "size (the exact byte count) is required")
    if not isinstance(size, int) or isinstance(size, bool):
        raise ClientError(400, "InvalidSize", "size must be a whole number of bytes")
    if size < 1:
        raise ClientError(400, "InvalidSize", "size must be at least 1")
    if size > settings.max_upload_bytes:
        raise ClientError(
            413, "SizeTooLarge", f"size must not exceed {settings.max_upload_bytes} bytes"
        )
    return size


def _content_type(body: dict[str, Any], settings: Settings) -> str:
    value = body.get("content_type", DEFAULT_CONTENT_TYPE)
    if not isinstance(value, str) or len(value) > 255:
        raise ClientError(400, "InvalidContentType", "content_type must be a media type string")
    match = _MEDIA_TYPE.fullmatch(value)
    if not match:
        raise ClientError(400, "InvalidContentType", "content_type is not a valid media type")
    media_type = f"{match.group(1)}/{match.group(2)}".lower()
    if not settings.allows(media_type):
        allowed = ", ".join(sorted(settings.allowed_content_types))
        raise ClientError(415, "ContentTypeNotAllowed", f"content_type must be one of: {allowed}")
    return value


def _checksum(body: dict[str, Any]) -> str | None:
    if "checksum_sha256" not in body:  # optional fields may be omitted, never null
        return None
    value = body["checksum_sha256"]
    message = "checksum_sha256 must be the base64 encoding of a 32-byte SHA-256 digest"
    if not isinstance(value, str) or len(value) != 44 or not value.isascii():
        raise ClientError(400, "InvalidChecksum", message)
    try:
        digest = base64.b64decode(value, validate=True)
    except binascii.Error:
        raise ClientError(400, "InvalidChecksum", message) from None
    if len(digest) != 32 or base64.b64encode(digest).decode("ascii") != value:
        raise ClientError(400, "InvalidChecksum", message)
    return value


def _filename(body: dict[str, Any]) -> str | None:
    """The client's filename, percent-encoded for a header; it never reaches the key."""
    if "filename" not in body:
        return None
    value = body["filename"]
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_FILENAME_CHARS:
        raise ClientError(
            400, "InvalidFilename", f"filename must be 1 to {MAX_FILENAME_CHARS} characters"
        )
    if _FILENAME_FORBIDDEN.search(value) or value in (".", ".."):
        raise ClientError(
            400, "InvalidFilename", "filename must be a base name without '/', '\\' or controls"
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates are valid JSON but not text
        raise ClientError(400, "InvalidFilename", "filename must be valid Unicode text") from None
    return quote(value, safe="!#$&'()+,;=@[]^`{}~")


def _metadata(body: dict[str, Any], filename: str | None) -> dict[str, str]:
    value = body.get("metadata", {})
    if not isinstance(value, dict):
        raise ClientError(400, "InvalidMetadata", "metadata must be an object of strings")
    if len(value) > MAX_METADATA_ENTRIES:
        raise ClientError(
            400, "InvalidMetadata", f"metadata allows at most {MAX_METADATA_ENTRIES} entries"
        )
    metadata: dict[str, str] = {}
    for key, item in value.items():
        if not _METADATA_KEY.fullmatch(key):
            raise ClientError(
                400, "InvalidMetadata", "metadata keys must be lowercase a-z, 0-9 and '-'"
            )
        if key == FILENAME_METADATA_KEY:
            raise ClientError(400, "InvalidMetadata", "use the filename field, not metadata")
        if not isinstance(item, str) or len(item) > MAX_METADATA_VALUE_CHARS:
            raise ClientError(
                400,
                "InvalidMetadata",
                f"metadata values must be strings of at most {MAX_METADATA_VALUE_CHARS} chars",
            )
        if not _METADATA_VALUE.fullmatch(item):
            raise ClientError(
                400, "InvalidMetadata", "metadata values must be printable ASCII, not space-padded"
            )
        metadata[key] = item
    if filename is not None:
        metadata[FILENAME_METADATA_KEY] = filename
    if sum(len(k) + len(v) for k, v in metadata.items()) > MAX_METADATA_TOTAL_BYTES:
        raise ClientError(
            400, "InvalidMetadata", f"metadata and filename exceed {MAX_METADATA_TOTAL_BYTES} bytes"
        )
    return metadata


def parse_import_request(event: dict[str, Any], settings: Settings) -> ImportRequest:
    body = _load_body(event)
    return ImportRequest(
        size=_size(body, settings),
        content_type=_content_type(body, settings),
        checksum_sha256=_checksum(body),
        metadata=_metadata(body, _filename(body)),
    )
