"""What every route receives, and how an /import/{import_id} path becomes a key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .config import Settings
from .errors import ClientError
from .keys import ImportId, decode_import_id, object_key
from .presign import Presigner

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

NOT_FOUND = ClientError(404, "NotFound", "no import with this id")


@dataclass(frozen=True)
class Call:
    """One request: the event, the function's settings, S3 client and presigner, the caller's
    partition, and the fields of the request's log line (routes add to it)."""

    event: dict[str, Any]
    settings: Settings
    s3: S3Client
    presigner: Presigner
    partition: str
    log: dict[str, Any]

    def key(self, import_id: str) -> str:
        return object_key(self.settings.key_prefix, self.partition, import_id)


@dataclass(frozen=True)
class Target:
    """The import a path names, as this caller sees it."""

    import_id: str
    decoded: ImportId
    key: str


def target(call: Call) -> Target:
    """The import named by the path, or 404 — the same answer for malformed, unknown and other
    callers' ids, so a 404 never confirms that an id exists."""
    raw = (call.event.get("pathParameters") or {}).get("import_id")
    if not isinstance(raw, str):
        raise NOT_FOUND
    decoded = decode_import_id(raw, call.partition)
    # With multipart off the role may not list uploads: no multipart id can be one of ours.
    if decoded is None or (decoded.multipart and not call.settings.multipart_enabled):
        raise NOT_FOUND
    call.log["import_id"] = raw
    return Target(raw, decoded, call.key(raw))


def require_multipart(found: Target) -> None:
    if not found.decoded.multipart:
        raise ClientError(
            409, "NotMultipart", "this import is a single PUT: it has no parts to sign or list"
        )
