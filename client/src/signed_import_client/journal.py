"""The local journal: which unfinished multipart import belongs to which file, so that running
the same `upload` command again resumes it instead of starting over.

One small JSON file per (API, absolute path), written atomically when the import is created and
removed when it completes or is aborted. It records the file's identity (device, inode, size,
modification time): a file that changed since is refused, never resumed into a mix of versions.
The parts themselves are not journaled: S3 holds them, and `GET …/parts` lists them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .source import FileIdentity

VERSION = 1


def default_directory() -> Path:
    """$SIGNED_IMPORT_STATE_DIR, else $XDG_STATE_HOME/signed-import, else
    ~/.local/state/signed-import."""
    explicit = os.environ.get("SIGNED_IMPORT_STATE_DIR")
    if explicit:
        return Path(explicit)
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "signed-import"


@dataclass(frozen=True)
class JournalEntry:
    import_url: str
    path: str  # absolute, symlinks resolved
    import_id: str
    identity: FileIdentity
    part_size: int
    part_count: int
    content_type: str
    created_at: float

    def to_json(self) -> dict[str, Any]:
        return {"version": VERSION, **asdict(self)}

    @classmethod
    def from_json(cls, data: object) -> JournalEntry:
        if not isinstance(data, dict) or data.get("version") != VERSION:
            raise ValueError("not a journal entry of this version")
        return cls(
            import_url=str(data["import_url"]),
            path=str(data["path"]),
            import_id=str(data["import_id"]),
            identity=FileIdentity(**{k: int(v) for k, v in data["identity"].items()}),
            part_size=int(data["part_size"]),
            part_count=int(data["part_count"]),
            content_type=str(data["content_type"]),
            created_at=float(data["created_at"]),
        )


class Journal:
    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_directory()

    @staticmethod
    def canonical(path: str | os.PathLike[str]) -> str:
        return str(Path(path).resolve())

    def _file(self, import_url: str, path: str) -> Path:
        digest = hashlib.sha256(f"{import_url}\n{self.canonical(path)}".encode()).hexdigest()
        return self.directory / f"{digest[:40]}.json"

    def find(self, import_url: str, path: str | os.PathLike[str]) -> JournalEntry | None:
        """The unfinished import recorded for this file and API, if any (an unreadable entry
        counts as none: the import it named, if any, is then left to expire)."""
        file = self._file(import_url, str(path))
        try:
            entry = JournalEntry.from_json(json.loads(file.read_text()))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if entry.import_url != import_url or entry.path != self.canonical(path):
            return None  # a hash collision, however unlikely, is not this file
        return entry

    def save(self, entry: JournalEntry) -> None:
        """Write atomically (a crash leaves the old entry or the new one, never half of one)."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        target = self._file(entry.import_url, entry.path)
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".entry-", suffix=".tmp")
        try:
            with os.fdopen(handle, "w") as stream:
                json.dump(entry.to_json(), stream, indent=1)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise

    def remove(self, import_url: str, path: str | os.PathLike[str]) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._file(import_url, str(path)).unlink()

    def remove_import(self, import_id: str) -> int:
        """Forget every entry naming `import_id` (after an abort); how many were removed."""
        removed = 0
        for file in self.entries():
            try:
                data = json.loads(file.read_text())
            except (OSError, ValueError):
                continue
            if isinstance(data, dict) and data.get("import_id") == import_id:
                with contextlib.suppress(FileNotFoundError):
                    file.unlink()
                    removed += 1
        return removed

    def entries(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return sorted(self.directory.glob("*.json"))
