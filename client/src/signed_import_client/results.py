"""What an upload reports: progress events while it runs, and its result."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

Event = Literal["started", "bytes", "part", "verified", "completing"]


@dataclass(frozen=True)
class Progress:
    """Handed to the progress callback (from worker threads, one call at a time)."""

    event: Event
    import_id: str
    method: str  # "PUT" or "MULTIPART"
    done: int  # bytes S3 holds or is being sent for this import, resumed parts included
    total: int
    part_count: int = 1
    parts_done: int = 0
    part_number: int | None = None  # for "part" (stored) and "verified" (already held)
    part_size: int | None = None


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True)
class ImportResult:
    import_id: str
    key: str
    size: int
    method: str  # "PUT" or "MULTIPART"
    etag: str
    checksum_crc64nvme: str  # the whole file's, as declared to S3 ("" when not known)
    part_count: int
    parts_uploaded: int  # by this call
    parts_resumed: int  # already held by S3 (resume)
    seconds: float
    content_type: str | None = None
    bucket: str | None = None  # from POST /import, or for a resumed import the completion
    part_size: int | None = None
    parts: tuple[tuple[int, str], ...] = field(default=(), repr=False)  # (number, ETag)
    # S3 answered with the CRC-64/NVME it computed, and it is checksum_crc64nvme. False where S3
    # reported none (emulators that verify nothing): the CRC was declared, not confirmed.
    checksum_verified: bool = False
    # The import had been completed before this call: nothing was sent, nothing measured.
    already_complete: bool = False

    @property
    def bytes_per_second(self) -> float | None:
        if self.already_complete:
            return None
        return self.size / self.seconds if self.seconds > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        """What `--json` prints: everything but the part list."""
        rate = self.bytes_per_second
        return {
            "status": "complete",
            "import_id": self.import_id,
            "key": self.key,
            "bucket": self.bucket,
            "size": self.size,
            "content_type": self.content_type,
            "method": self.method,
            "etag": self.etag,
            "checksum_crc64nvme": self.checksum_crc64nvme,
            "checksum_verified": self.checksum_verified,
            "already_complete": self.already_complete,
            "part_size": self.part_size,
            "part_count": self.part_count,
            "parts_uploaded": self.parts_uploaded,
            "parts_resumed": self.parts_resumed,
            "seconds": round(self.seconds, 3),
            "bytes_per_second": None if rate is None else round(rate),
        }
