"""The record of a batch: which of its files were imported, so that running the same command
again skips them (and reports any that changed since), and which were in flight.

One JSON Lines file per (API, the command's paths), beside the journal, appended as the batch
goes: a "started" line when a file's import is created (its import id), a "complete" line when
it is. The last line of a file wins. A line is written and flushed before the batch moves on, so
a process that is killed loses nothing the record needs: a file whose "started" import did land
is found complete by its id (GET /import/{id}) rather than sent again. Lines are small (~300
bytes); a record is read whole when the batch starts.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any, Literal

from .journal import Journal, default_directory
from .source import FileIdentity

State = Literal["started", "complete"]


@dataclass(frozen=True)
class RecordedFile:
    path: str  # absolute, symlinks resolved
    identity: FileIdentity
    import_id: str
    state: State
    key: str | None = None  # once complete

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> RecordedFile:
        state = data["state"]
        if state not in ("started", "complete"):
            raise ValueError(f"unknown state {state!r}")
        return cls(
            path=str(data["path"]),
            identity=FileIdentity(**{k: int(v) for k, v in data["identity"].items()}),
            import_id=str(data["import_id"]),
            state=state,
            key=None if data.get("key") is None else str(data["key"]),
        )


class BatchRecord:
    """Thread-safe: the batch's workers append to it at once."""

    def __init__(
        self,
        import_url: str,
        paths: list[str],
        directory: str | os.PathLike[str] | None = None,
    ) -> None:
        base = Path(directory) if directory is not None else default_directory()
        roots = "\n".join(sorted(Journal.canonical(p) for p in paths))
        digest = hashlib.sha256(f"{import_url}\n{roots}".encode()).hexdigest()
        self.file = base / "batches" / f"{digest[:40]}.jsonl"
        self._lock = threading.Lock()
        self._stream: IO[str] | None = None

    def load(self) -> dict[str, RecordedFile]:
        """The last line recorded for each file (by its absolute path). A torn or unreadable
        line, as a crash mid-write leaves, counts as not written."""
        recorded: dict[str, RecordedFile] = {}
        try:
            with self.file.open(encoding="utf-8") as stream:
                for line in stream:
                    try:
                        entry = RecordedFile.from_json(json.loads(line))
                    except (ValueError, KeyError, TypeError, AttributeError):
                        continue
                    recorded[entry.path] = entry
        except FileNotFoundError:
            pass
        return recorded

    def write(self, entry: RecordedFile) -> None:
        line = json.dumps(entry.to_json(), separators=(",", ":")) + "\n"
        with self._lock:
            if self._stream is None:
                self.file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                self._stream = self.file.open("a", encoding="utf-8")
            self._stream.write(line)
            self._stream.flush()  # in the kernel's hands: a killed process loses nothing

    def forget(self) -> None:
        """Start the batch over: nothing it recorded counts any more."""
        self.close()
        with contextlib.suppress(FileNotFoundError):
            self.file.unlink()

    def close(self) -> None:
        with self._lock:
            if self._stream is not None:
                with contextlib.suppress(OSError):
                    os.fsync(self._stream.fileno())
                self._stream.close()
                self._stream = None
