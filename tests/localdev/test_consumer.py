"""The consumer's checksum helpers: S3's CRC-64/NVME, in S3's base64 form, chainable."""

from __future__ import annotations

import base64
import secrets

from localdev.consumer import crc64nvme, crc64nvme_b64


def test_crc64nvme_has_the_catalogued_check_value() -> None:
    # CRC-64/NVME's check value (the CRC of "123456789") in the CRC catalogue.
    assert crc64nvme(b"123456789") == 0xAE8B14860A799888
    assert base64.b64decode(crc64nvme_b64(b"123456789")) == bytes.fromhex("ae8b14860a799888")


def test_crc64nvme_continues_from_a_previous_value() -> None:
    data = secrets.token_bytes(100_000)
    running = 0
    for start in range(0, len(data), 30_000):
        running = crc64nvme(data[start : start + 30_000], running)

    assert running == crc64nvme(data)
    assert crc64nvme_b64(data[60_000:], crc64nvme(data[:60_000])) == crc64nvme_b64(data)
    assert crc64nvme_b64(memoryview(data)) == crc64nvme_b64(data)


def test_crc64nvme_b64_is_what_s3_sends() -> None:
    # x-amz-checksum-crc64nvme: base64 of the 8 big-endian bytes, 12 characters.
    assert crc64nvme_b64(b"") == "AAAAAAAAAAA="
    assert len(crc64nvme_b64(b"x")) == 12
