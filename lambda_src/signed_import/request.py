"""Parse and validate the body of POST /import into an ImportRequest.

Every rule here answers one question: could this value reach S3 or a header in a way the
module did not intend? Anything doubtful is refused with a ClientError naming the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from .body import (
    CRC64NVME_BYTES,
    b64,
    base64_digest,
    load_json_object,
    refuse_unknown_fields,
    whole_number,
)
from .config import MAX_PART_SIZE, MIN_PART_SIZE, S3_SINGLE_PUT_LIMIT, Settings
from .errors import ClientError

MAX_BODY_BYTES = 16 * 1024
MAX_METADATA_ENTRIES = 10
MAX_METADATA_VALUE_CHARS = 256
MAX_METADATA_TOTAL_BYTES = 2048  # S3's limit on user-defined metadata
MAX_FILENAME_CHARS = 255
DEFAULT_CONTENT_TYPE = "application/octet-stream"
FILENAME_METADATA_KEY = "filename"
CRC64NVME = "CRC64NVME"

_FIELDS = frozenset(
    {
        "size",
        "content_type",
        "checksum_sha256",
        "filename",
        "metadata",
        "multipart",
        "part_size",
        "checksum_algorithm",
        "checksum_crc64nvme",
    }
)
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
    multipart: bool = False
    part_size: int | None = None  # the client's wish; the plan decides
    checksum_algorithm: str | None = None
    checksum_crc64nvme: str | None = None  # the whole object's


def _size(body: dict[str, Any], settings: Settings) -> int:
    size = body.get("size")
    if size is None:
        raise ClientError(400, "MissingSize", "size (the exact byte count) is required")
    if not whole_number(size):
        raise ClientError(400, "InvalidSize", "size must be a whole number of bytes")
    if size < 0:
        raise ClientError(400, "InvalidSize", "size must be 0 (an empty file) or more")
    if size > settings.max_upload_bytes:
        raise ClientError(
            413, "SizeTooLarge", f"size must not exceed {settings.max_upload_bytes} bytes"
        )
    return size


def _multipart(body: dict[str, Any], size: int, settings: Settings) -> bool:
    """Multipart above the threshold or on request; `multipart: false` forces one PUT. A declared
    SHA-256 also keeps one PUT up to 5 GiB: only a single PUT can verify a whole-file SHA-256,
    and clients written for the single PUT keep working above the threshold."""
    requested = body.get("multipart")
    if "multipart" in body and not isinstance(requested, bool):
        raise ClientError(400, "InvalidMultipart", "multipart must be true or false")
    if requested and size == 0:
        # A plan for no bytes has no parts, and S3 completes an upload from one part or more.
        raise ClientError(
            400,
            "EmptyMultipart",
            "an empty file (size 0) is imported in one PUT: omit multipart or set it to false",
        )
    if requested and not settings.multipart_enabled:
        raise ClientError(400, "MultipartDisabled", "this API signs single PUTs only")
    if isinstance(requested, bool):
        multipart = requested
    else:
        wants_sha256 = "checksum_sha256" in body and size <= S3_SINGLE_PUT_LIMIT
        multipart = (
            settings.multipart_enabled
            and size > settings.multipart_threshold_bytes
            and not wants_sha256
        )
    if not multipart and size > S3_SINGLE_PUT_LIMIT:
        raise ClientError(
            413,
            "SizeTooLarge",
            f"a single PUT holds at most {S3_SINGLE_PUT_LIMIT} bytes; drop multipart: false",
        )
    return multipart


def _part_size(body: dict[str, Any]) -> int | None:
    if "part_size" not in body:
        return None
    value = body["part_size"]
    if not whole_number(value) or not MIN_PART_SIZE <= value <= MAX_PART_SIZE:
        raise ClientError(
            400,
            "InvalidPartSize",
            f"part_size must be a whole number from {MIN_PART_SIZE} to {MAX_PART_SIZE} bytes",
        )
    return value


def _media_type(body: dict[str, Any], settings: Settings) -> str:
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


def _checksums(body: dict[str, Any], multipart: bool) -> tuple[str | None, str | None, str | None]:
    """(checksum_sha256, checksum_algorithm, checksum_crc64nvme), consistent with the kind.

    Optional fields may be omitted, never null. A multipart object's SHA-256 is a checksum of
    part checksums, never the file's digest, so multipart integrity is CRC-64/NVME only."""
    sha256 = None
    if "checksum_sha256" in body:
        sha256 = b64(base64_digest(body["checksum_sha256"], 32, "checksum_sha256"))
    algorithm = None
    if "checksum_algorithm" in body:
        algorithm = body["checksum_algorithm"]
        if algorithm != CRC64NVME:
            raise ClientError(
                400, "InvalidChecksumAlgorithm", f"checksum_algorithm must be {CRC64NVME}"
            )
    crc = None
    if "checksum_crc64nvme" in body:
        crc = b64(base64_digest(body["checksum_crc64nvme"], CRC64NVME_BYTES, "checksum_crc64nvme"))
        if algorithm is None:
            raise ClientError(
                400, "InvalidChecksum", f"checksum_crc64nvme needs checksum_algorithm {CRC64NVME}"
            )
    if sha256 is not None and algorithm is not None:
        raise ClientError(
            400, "InvalidChecksum", "declare checksum_sha256 or checksum_algorithm, not both"
        )
    if sha256 is not None and multipart:
        raise ClientError(
            400,
            "InvalidChecksum",
            "checksum_sha256 covers a single PUT only; for a multipart import use "
            f"checksum_algorithm {CRC64NVME} (or multipart: false up to 5 GiB)",
        )
    if algorithm is not None and not multipart and crc is None:
        raise ClientError(
            400, "MissingChecksum", "a single PUT with checksum_algorithm needs checksum_crc64nvme"
        )
    return sha256, algorithm, crc


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
    return _checked_request(load_json_object(event, _FIELDS, MAX_BODY_BYTES), settings)


def import_item(item: object, settings: Settings) -> ImportRequest:
    """An item of a POST /imports list: an object of POST /import's fields, checked alike."""
    if not isinstance(item, dict):
        raise ClientError(400, "InvalidBody", "an import request must be a JSON object")
    refuse_unknown_fields(item, _FIELDS)
    return _checked_request(item, settings)


def _checked_request(body: dict[str, Any], settings: Settings) -> ImportRequest:
    """An import request's fields (no others among them), checked."""
    size = _size(body, settings)
    multipart = _multipart(body, size, settings)
    content_type = _media_type(body, settings)
    part_size = _part_size(body)
    sha256, algorithm, crc = _checksums(body, multipart)
    return ImportRequest(
        size=size,
        content_type=content_type,
        checksum_sha256=sha256,
        metadata=_metadata(body, _filename(body)),
        multipart=multipart,
        part_size=part_size,
        checksum_algorithm=algorithm,
        checksum_crc64nvme=crc,
    )
