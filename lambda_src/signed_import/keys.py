"""Import ids and object keys: everything later requests need, without a database.

An import id is lowercase base32 (no padding) of:

    kind (1 byte) | 128 random bits | the plan | tag (4 bytes)

- single PUT:  the plan is the URL's expiry (uint32 epoch seconds), so GET /import/{id} can tell
  "pending" (a URL may still be in use) from "unknown" without any stored state;
- multipart:   the plan is the declared size (6 bytes), the part size (5 bytes) and, when the
  client declared it up front, the whole object's CRC-64/NVME (8 bytes). A multipart import
  verified with CRC-64/NVME is a kind of its own: every part URL must then sign a part CRC.

The tag is a truncated SHA-256 over the caller partition and the bytes before it. It is not a
secret MAC and does not need to be one: S3 is the authority. The key is derived from the id and
the caller, so an altered id (another size, another part size), even with a recomputed tag,
names a key for which no upload and no object exist, and answers 404; a plan outside S3's bounds
is refused at decoding. The tag only turns ids issued to another caller (or mistyped) into a 404
before any S3 call. A caller who forges an id can only reach keys in their own partition.

Key layout: key_prefix + [caller partition + "/"] + import_id.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
from dataclasses import dataclass

from .config import MAX_PART_COUNT, MAX_PART_SIZE, MIN_PART_SIZE, S3_OBJECT_LIMIT

SINGLE = 0x53  # "S"
MULTIPART = 0x4D  # "M"
MULTIPART_CRC64NVME = 0x43  # "C"
_RANDOM_BYTES = 16
_TAG_BYTES = 4
_SIZE_BYTES = 6  # 2**48 > S3's largest object
_PART_SIZE_BYTES = 5  # 2**40 > 5 GiB
_CRC_BYTES = 8
_ID_CHARS = re.compile(r"[a-z2-7]{40,80}")


@dataclass(frozen=True)
class ImportId:
    """The decoded id: which kind of upload, and the plan it was issued with."""

    kind: int
    nonce: bytes
    expires_at: int = 0  # single PUT: epoch seconds when its URL expires
    size: int = 0  # multipart
    part_size: int = 0  # multipart
    crc64nvme: bytes | None = None  # multipart: the whole object's, when declared up front

    @property
    def multipart(self) -> bool:
        return self.kind in (MULTIPART, MULTIPART_CRC64NVME)

    @property
    def verifies_crc64nvme(self) -> bool:
        return self.kind == MULTIPART_CRC64NVME

    def _body(self) -> bytes:
        if self.kind == SINGLE:
            plan = self.expires_at.to_bytes(4, "big")
        else:
            plan = self.size.to_bytes(_SIZE_BYTES, "big")
            plan += self.part_size.to_bytes(_PART_SIZE_BYTES, "big")
            plan += self.crc64nvme or b""
        return bytes([self.kind]) + self.nonce + plan

    def encode(self, partition: str) -> str:
        body = self._body()
        raw = body + _tag(partition, body)
        return base64.b32encode(raw).decode("ascii").rstrip("=").lower()


def _tag(partition: str, body: bytes) -> bytes:
    return hashlib.sha256(partition.encode("ascii") + b"\0" + body).digest()[:_TAG_BYTES]


def new_single_id(expires_at: int) -> ImportId:
    return ImportId(SINGLE, secrets.token_bytes(_RANDOM_BYTES), expires_at=expires_at)


def new_multipart_id(
    size: int, part_size: int, *, verifies_crc64nvme: bool, crc64nvme: bytes | None
) -> ImportId:
    return ImportId(
        MULTIPART_CRC64NVME if verifies_crc64nvme else MULTIPART,
        secrets.token_bytes(_RANDOM_BYTES),
        size=size,
        part_size=part_size,
        crc64nvme=crc64nvme,
    )


def _tagged_body(text: str, partition: str) -> bytes | None:
    """The bytes before the tag when `text` is base32 and tagged for `partition`."""
    if not _ID_CHARS.fullmatch(text):
        return None
    try:
        raw = base64.b32decode(text.upper() + "=" * (-len(text) % 8))
    except binascii.Error:
        return None
    body, tag = raw[:-_TAG_BYTES], raw[-_TAG_BYTES:]
    if len(body) < 1 + _RANDOM_BYTES or not secrets.compare_digest(tag, _tag(partition, body)):
        return None
    return body


def _multipart_plan(kind: int, nonce: bytes, plan: bytes) -> ImportId | None:
    planned = _SIZE_BYTES + _PART_SIZE_BYTES
    lengths = (planned,) if kind == MULTIPART else (planned, planned + _CRC_BYTES)
    if len(plan) not in lengths:
        return None
    size = int.from_bytes(plan[:_SIZE_BYTES], "big")
    part_size = int.from_bytes(plan[_SIZE_BYTES:planned], "big")
    # Anyone can compute a tag for their own partition: only a plan S3 could hold is an id.
    if not (
        1 <= size <= S3_OBJECT_LIMIT
        and MIN_PART_SIZE <= part_size <= MAX_PART_SIZE
        and -(-size // part_size) <= MAX_PART_COUNT
    ):
        return None
    return ImportId(kind, nonce, size=size, part_size=part_size, crc64nvme=plan[planned:] or None)


def decode_import_id(text: str, partition: str) -> ImportId | None:
    """The id issued to this caller, or None for anything else (malformed, altered, foreign)."""
    body = _tagged_body(text, partition)
    if body is None:
        return None
    kind, nonce, plan = body[0], body[1 : 1 + _RANDOM_BYTES], body[1 + _RANDOM_BYTES :]
    if kind == SINGLE:
        return (
            ImportId(kind, nonce, expires_at=int.from_bytes(plan, "big"))
            if len(plan) == 4
            else None
        )
    if kind in (MULTIPART, MULTIPART_CRC64NVME):
        return _multipart_plan(kind, nonce, plan)
    return None


def object_key(key_prefix: str, partition: str, import_id: str) -> str:
    """Where the import's object lives: under the prefix and the caller's partition only."""
    return f"{key_prefix}{partition}/{import_id}" if partition else key_prefix + import_id
