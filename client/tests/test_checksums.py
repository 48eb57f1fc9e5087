"""CRC-64/NVME as S3 wants it: the catalogued check value, chainable, combinable from parts,
and in S3's base64 form."""

from __future__ import annotations

import base64
import secrets

import pytest

from signed_import_client.checksums import combine, crc64nvme, from_b64, to_b64


def test_crc64nvme_has_the_catalogued_check_value() -> None:
    # CRC-64/NVME's check value (the CRC of "123456789") in the CRC catalogue.
    assert crc64nvme(b"123456789") == 0xAE8B14860A799888
    assert base64.b64decode(to_b64(crc64nvme(b"123456789"))) == bytes.fromhex("ae8b14860a799888")


def test_crc64nvme_continues_from_a_previous_value() -> None:
    data = secrets.token_bytes(100_000)
    running = 0
    for start in range(0, len(data), 30_000):
        running = crc64nvme(data[start : start + 30_000], running)

    assert running == crc64nvme(data)
    assert crc64nvme(memoryview(data)) == crc64nvme(data)


def test_part_crcs_combine_into_the_whole_files() -> None:
    data = secrets.token_bytes(1_000_003)
    sizes = [300_000, 300_000, 300_000, 100_003]
    whole, offset = 0, 0
    for size in sizes:
        whole = combine(whole, crc64nvme(data[offset : offset + size]), size)
        offset += size

    assert whole == crc64nvme(data)
    assert combine(crc64nvme(b"12345"), crc64nvme(b"6789"), 4) == crc64nvme(b"123456789")


def test_s3s_base64_form_round_trips() -> None:
    # x-amz-checksum-crc64nvme: base64 of the 8 big-endian bytes, 12 characters.
    assert to_b64(0) == "AAAAAAAAAAA="
    assert len(to_b64(crc64nvme(b"x"))) == 12
    value = crc64nvme(b"123456789")
    assert from_b64(to_b64(value)) == value


@pytest.mark.parametrize("text", ["", "AAAA", "not base64!", "AAAAAAAAAAAAAAAA"])
def test_what_is_not_a_crc64nvme_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"base64|8 bytes"):
        from_b64(text)
