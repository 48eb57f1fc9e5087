"""The part plan of a multipart import: how many parts, and the exact size of each.

S3's bounds: parts 1…10,000; every part but the last 5 MiB…5 GiB; the last any size. The server
picks the part size (at least DEFAULT_PART_SIZE, rounded up to whole MiB so that at most 10,000
parts cover the object); a client may ask for any part size within S3's bounds.
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import MAX_PART_COUNT, MAX_PART_SIZE, MIN_PART_SIZE
from .errors import ClientError

MIB = 1024**2
DEFAULT_PART_SIZE = 16 * MIB


@dataclass(frozen=True)
class Plan:
    size: int
    part_size: int

    @property
    def part_count(self) -> int:
        return -(-self.size // self.part_size)

    def part_length(self, part_number: int) -> int:
        """The exact byte count of `part_number` (1-based, within the plan)."""
        if not 1 <= part_number <= self.part_count:
            raise ValueError(f"part {part_number} is outside 1…{self.part_count}")
        return min(self.part_size, self.size - (part_number - 1) * self.part_size)


def plan_parts(size: int, requested_part_size: int | None) -> Plan:
    if requested_part_size is None:
        smallest = -(-size // MAX_PART_COUNT)
        part_size = max(DEFAULT_PART_SIZE, -(-smallest // MIB) * MIB)
        return Plan(size, min(part_size, MAX_PART_SIZE))
    if not MIN_PART_SIZE <= requested_part_size <= MAX_PART_SIZE:
        raise ClientError(
            400, "InvalidPartSize", f"part_size must be {MIN_PART_SIZE} to {MAX_PART_SIZE} bytes"
        )
    plan = Plan(size, requested_part_size)
    if plan.part_count > MAX_PART_COUNT:
        needed = -(-size // MAX_PART_COUNT)
        raise ClientError(
            400,
            "InvalidPartSize",
            f"part_size {requested_part_size} needs {plan.part_count} parts; S3 allows "
            f"{MAX_PART_COUNT}: use at least {needed} bytes",
        )
    return plan
