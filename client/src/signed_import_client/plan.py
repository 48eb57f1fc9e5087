"""The part plan of a multipart import, as the server chose it, checked before any byte is sent.

S3's bounds: parts 1…10,000, every part but the last 5 MiB…5 GiB, the last any size ≥ 1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MIB = 1024**2
GIB = 1024**3
MIN_PART_SIZE = 5 * MIB
MAX_PART_SIZE = 5 * GIB
MAX_PART_COUNT = 10_000
SINGLE_PUT_LIMIT = 5 * GIB
# The module's multipart threshold is at least this: below it every import is a single PUT.
MIN_MULTIPART_THRESHOLD = 5 * MIB

_SIZE = re.compile(r"\s*(\d+)\s*([kmgt]?)(i?b?)\s*", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": MIB, "g": GIB, "t": 1024**4}


@dataclass(frozen=True)
class PartPlan:
    size: int
    part_size: int

    def __post_init__(self) -> None:
        if self.size < 1:
            raise ValueError(f"size must be at least 1 byte, not {self.size}")
        if self.part_size < 1:
            raise ValueError(f"part size must be at least 1 byte, not {self.part_size}")

    @property
    def part_count(self) -> int:
        return -(-self.size // self.part_size)

    def span(self, part_number: int) -> tuple[int, int]:
        """(offset, length) of `part_number` in the file (1-based)."""
        if not 1 <= part_number <= self.part_count:
            raise ValueError(f"part {part_number} is outside 1…{self.part_count}")
        offset = (part_number - 1) * self.part_size
        return offset, min(self.part_size, self.size - offset)

    def length(self, part_number: int) -> int:
        return self.span(part_number)[1]

    @classmethod
    def from_server(cls, size: int, part_size: int, part_count: int) -> PartPlan:
        """The plan a server answered, refused unless it covers exactly `size` bytes in S3's
        bounds (a client that followed a broken plan would upload parts S3 cannot assemble)."""
        plan = cls(size, part_size)
        if plan.part_count != part_count:
            raise ValueError(
                f"{part_count} parts of {part_size} bytes cannot hold exactly {size} bytes"
            )
        if part_count > MAX_PART_COUNT or (part_count > 1 and part_size < MIN_PART_SIZE):
            raise ValueError(f"{part_count} parts of {part_size} bytes are outside S3's bounds")
        return plan


def check_part_size(part_size: int, size: int | None = None) -> None:
    """ValueError unless `part_size` is a part size S3 accepts (for `size` bytes, if known)."""
    if not MIN_PART_SIZE <= part_size <= MAX_PART_SIZE:
        raise ValueError(f"part size must be 5 MiB to 5 GiB, not {part_size} bytes")
    if size is not None and -(-size // part_size) > MAX_PART_COUNT:
        needed = -(-size // MAX_PART_COUNT)
        raise ValueError(
            f"{size} bytes in parts of {part_size} need more than {MAX_PART_COUNT} parts: "
            f"use at least {needed} bytes"
        )


def parse_size(text: str) -> int:
    """`16MiB`, `16M`, `8k`, `1G`, `1048576` → bytes (binary units: 1M = 1 MiB)."""
    match = _SIZE.fullmatch(text)
    if not match or (match.group(3) and not match.group(2) and match.group(3).lower() != "b"):
        raise ValueError(f"not a size: {text!r} (e.g. 16MiB, 8M, 1048576)")
    return int(match.group(1)) * _UNITS[match.group(2).lower()]


def human_size(size: float) -> str:
    """1536 → '1.5 KiB'."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(size) < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")
