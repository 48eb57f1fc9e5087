"""Where the bytes come from: a file (read at any offset, from any thread, a chunk at a time),
bytes in memory, or a stream such as stdin (read once, in order)."""

from __future__ import annotations

import io
import os
import select
import stat
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .checksums import crc64nvme
from .errors import ConfigurationError, FileChangedError
from .transfer import Cancelled

CHUNK_SIZE = 1024 * 1024
# How often a read waiting on a quiet pipe checks whether the upload was cancelled.
WAIT_STEP_SECONDS = 0.2


def _waitable_descriptor(stream: BinaryIO) -> int | None:
    """The descriptor of an unbuffered pipe, socket or terminal, which select() can wait on
    (with a buffer in between, select() would not see the bytes already buffered)."""
    if not isinstance(stream, io.RawIOBase):
        return None
    try:
        descriptor = stream.fileno()
        mode = os.fstat(descriptor).st_mode
    except (OSError, ValueError):
        return None
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISCHR(mode):
        return descriptor
    return None


@dataclass(frozen=True)
class FileIdentity:
    """What tells a file apart from its later versions without reading it."""

    device: int
    inode: int
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, info: os.stat_result) -> FileIdentity:
        return cls(info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


class Source:
    """`size` bytes, readable by range. `seekable` sources can be read in any order, again.
    A source with a `path` is a file on disk: a journal can record it (by path and identity)
    and resume its upload later."""

    size: int
    name: str | None = None
    seekable: bool = True
    path: Path | None = None
    identity: FileIdentity | None = None

    def unchanged(self) -> bool:
        """Whether the bytes are still those the upload began with (a file can change)."""
        return True

    def small_in_memory(self, limit: int) -> Source:
        """This source, or its bytes read into memory when it is a stream of at most `limit`
        bytes (then read once, it can be planned like any small file)."""
        return self

    def chunks(self, offset: int, length: int, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        raise NotImplementedError

    def crc(self, offset: int, length: int) -> int:
        value = 0
        for chunk in self.chunks(offset, length):
            value = crc64nvme(chunk, value)
        return value

    def close(self) -> None:
        """Release what the source holds."""


class FileSource(Source):
    """A regular file, read with pread (no shared file position: threads read their parts)."""

    path: Path
    identity: FileIdentity

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            self._fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError as err:
            raise ConfigurationError(f"no such file: {self.path}") from err
        except IsADirectoryError as err:
            raise ConfigurationError(f"{self.path} is a directory, not a file") from err
        except PermissionError as err:
            raise ConfigurationError(f"cannot read {self.path}: permission denied") from err
        info = os.fstat(self._fd)
        if not stat.S_ISREG(info.st_mode):
            os.close(self._fd)
            raise ConfigurationError(f"{self.path} is not a regular file (use - for a stream)")
        self.identity = FileIdentity.of(info)
        self.size = info.st_size
        self.name = self.path.name

    def chunks(self, offset: int, length: int, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        end = offset + length
        while offset < end:
            chunk = os.pread(self._fd, min(chunk_size, end - offset), offset)
            if not chunk:
                raise FileChangedError(
                    f"{self.path} is shorter than when the upload began ({self.size} bytes)"
                )
            offset += len(chunk)
            yield chunk

    def unchanged(self) -> bool:
        """Whether the file on disk still has the identity it had when opened."""
        try:
            return FileIdentity.of(os.stat(self.path)) == self.identity
        except OSError:
            return False

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


class BytesSource(Source):
    def __init__(self, data: bytes | bytearray | memoryview, name: str | None = None) -> None:
        self._data = memoryview(data).cast("B")
        self.size = len(self._data)
        self.name = name

    def chunks(self, offset: int, length: int, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        for start in range(offset, offset + length, chunk_size):
            yield bytes(self._data[start : min(start + chunk_size, offset + length)])


class StreamSource(Source):
    """A stream of exactly `size` bytes, read once in order: `read_exactly` hands out one part
    at a time under a lock, so each reader holds at most one part in memory.

    An unbuffered pipe, socket or terminal (the CLI's stdin) is waited on in short steps, so
    that a read waiting for a writer that has gone quiet stops when the upload is cancelled."""

    seekable = False

    def __init__(self, stream: BinaryIO, size: int, name: str | None = None) -> None:
        if size < 0:
            raise ConfigurationError("`size` must be 0 or more bytes")
        self._stream = stream
        self._waitable = _waitable_descriptor(stream)
        self.size = size
        self.name = name
        self._position = 0
        self.lock = threading.Lock()

    @property
    def position(self) -> int:
        return self._position

    def read_exactly(self, length: int, cancel: threading.Event | None = None) -> bytes:
        """The next `length` bytes; FileChangedError if the stream ends early, Cancelled once
        `cancel` is set while it waits (call with `lock` held when several threads read)."""
        pieces: list[bytes] = []
        missing = length
        while missing:
            piece = self._read(min(missing, 8 * CHUNK_SIZE), cancel)
            if not piece:
                got = self._position + length - missing
                raise FileChangedError(
                    f"the stream ended after {got} bytes; `size` said {self.size}"
                )
            pieces.append(piece)
            missing -= len(piece)
        self._position += length
        return b"".join(pieces)

    def _read(self, size: int, cancel: threading.Event | None) -> bytes:
        if cancel is not None and self._waitable is not None:
            while not select.select([self._waitable], [], [], WAIT_STEP_SECONDS)[0]:
                if cancel.is_set():
                    raise Cancelled
        return self._stream.read(size) or b""

    def small_in_memory(self, limit: int) -> Source:
        if self.size > limit:
            return self
        return BytesSource(self.read_exactly(self.size), self.name)

    def check_exhausted(self, cancel: threading.Event | None = None) -> None:
        """FileChangedError if the stream holds more than `size` bytes (it must end: a writer
        that keeps its end open is waited for, until `cancel` is set)."""
        if self._read(1, cancel):
            raise FileChangedError(f"the stream holds more than `size` {self.size} bytes")

    def chunks(self, offset: int, length: int, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        raise TypeError("a stream is read part by part with read_exactly")
