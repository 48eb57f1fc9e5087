"""CRC-64/NVME, S3's full-object checksum, in S3's base64 form; part CRCs combine into the
file's without reading the file again."""

from __future__ import annotations

import base64
import binascii

from awscrt import checksums  # type: ignore[import-untyped]

ALGORITHM = "CRC64NVME"


def crc64nvme(data: bytes | bytearray | memoryview, previous: int = 0) -> int:
    """CRC-64/NVME of `data`, continuing from the CRC of the bytes before it (`previous`)."""
    return int(checksums.crc64nvme(data, previous))


def combine(first: int, second: int, second_length: int) -> int:
    """The CRC of A followed by B, from CRC(A), CRC(B) and len(B)."""
    return int(checksums.combine_crc64nvme(first, second, second_length))


def to_b64(value: int) -> str:
    """x-amz-checksum-crc64nvme: base64 of the 8 big-endian bytes."""
    return base64.b64encode(value.to_bytes(8, "big")).decode("ascii")


def from_b64(text: str) -> int:
    """The CRC named by an x-amz-checksum-crc64nvme value; ValueError if it is not one."""
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error as err:
        raise ValueError(f"not base64: {text!r}") from err
    if len(raw) != 8:
        raise ValueError(f"a CRC-64/NVME is 8 bytes, not {len(raw)}")
    return int.from_bytes(raw, "big")
