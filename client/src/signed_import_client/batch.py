"""Many files, each its own import, through one `Uploader`: one HTTP connection pool, one set of
credentials, at most `concurrency` PUTs to S3 in flight across the batch (the Uploader's
transfer slots, which a multipart file's parts share with the other files), and FILES_PER_SLOT
times as many files in flight, so that the API calls creating the next imports overlap the PUTs.
Files of up to 5 MiB have their imports created a hundred a call (POST /imports, see
imports_ahead), where the deployment has the route.

With a `BatchRecord`, running the same batch again skips the files it imported (same identity:
device, inode, size, modification time), reports those that changed since instead of sending
them again, finds complete the ones whose upload landed just before an interruption, and resumes
the multipart imports in flight (the `Journal`). Outcomes are yielded as files finish; memory
holds the list of files and the ones in flight, whatever the batch's size.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

from .api import QUOTA_EXCEEDED
from .batch_record import BatchRecord, RecordedFile
from .discovery import FoundFile
from .errors import (
    ApiError,
    AuthenticationError,
    FileChangedError,
    SignedImportError,
    UploadInterrupted,
)
from .imports_ahead import ImportsAhead, Prepared
from .journal import Journal
from .results import ImportResult, Progress
from .source import FileIdentity

if TYPE_CHECKING:
    from .uploader import Uploader

# The metadata key that carries a file's path below the directory uploaded (`keep_paths`),
# percent-encoded (RFC 3986, "/" kept): S3 metadata is ASCII, file names need not be.
RELATIVE_PATH_KEY = "relative-path"

# Files in flight per PUT slot (`concurrency`): while some files' PUTs hold the slots, others
# are having their imports created by the API, so that the API's latency is not paid in line.
FILES_PER_SLOT = 4

Status = Literal["complete", "already_imported", "changed", "failed", "interrupted"]


@dataclass(frozen=True)
class FileOutcome:
    """What became of one file of a batch."""

    path: str
    relative: str
    size: int
    status: Status
    result: ImportResult | None = None  # complete
    import_id: str | None = None  # complete, already_imported, changed, and resumable failures
    key: str | None = None  # complete, already_imported
    error: BaseException | None = None  # changed, failed, interrupted

    @classmethod
    def of(
        cls,
        found: FoundFile,
        status: Status,
        *,
        size: int | None = None,  # as the file is now, when it was looked at again
        result: ImportResult | None = None,
        import_id: str | None = None,
        key: str | None = None,
        error: BaseException | None = None,
    ) -> FileOutcome:
        size = found.size if size is None else size
        return cls(found.path, found.relative, size, status, result, import_id, key, error)

    @property
    def ok(self) -> bool:
        return self.status in ("complete", "already_imported")

    def to_json(self) -> dict[str, Any]:
        """One line of `--json`: the file, then its import's fields or its error."""
        line: dict[str, Any] = {"path": self.path, "relative_path": self.relative}
        if self.result is not None:
            line.update(self.result.to_json())
        else:
            line.update(status=self.status, import_id=self.import_id, key=self.key, size=self.size)
        line["status"] = self.status
        if self.error is not None:
            line["message"] = str(self.error)
            line["hint"] = getattr(self.error, "hint", "")
            if isinstance(self.error, ApiError):
                line.update(http_status=self.error.status, code=self.error.code)
        return line


@dataclass(frozen=True)
class BatchProgress:
    """Handed to a batch's progress callback (from worker threads, one call at a time)."""

    files_total: int
    files_done: int  # imported now or before
    files_failed: int  # changed, failed, interrupted
    bytes_total: int
    bytes_done: int  # sent now, or held by an import already complete
    seconds: float
    outcome: FileOutcome | None = None  # the file that just finished, if one did


BatchProgressCallback = Callable[[BatchProgress], None]


class BatchStopped(Exception):
    """Raised into a file's upload (through its progress callback) when the batch stops."""


class _Tally:
    def __init__(self, files: list[FoundFile], callback: BatchProgressCallback | None) -> None:
        self.callback = callback
        self.files_total = len(files)
        self.bytes_total = sum(f.size for f in files)
        self.files_done = self.files_failed = self.bytes_done = 0
        self.started = time.monotonic()
        self.lock = threading.Lock()

    def add_bytes(self, count: int) -> None:
        with self.lock:
            self.bytes_done += count
            self._report(None)

    def finished(self, outcome: FileOutcome, unsent: int) -> None:
        with self.lock:
            if outcome.ok:
                self.files_done += 1
                self.bytes_done += unsent
            else:
                self.files_failed += 1
            self._report(outcome)

    def _report(self, outcome: FileOutcome | None) -> None:
        if self.callback is not None:
            self.callback(
                BatchProgress(
                    self.files_total,
                    self.files_done,
                    self.files_failed,
                    self.bytes_total,
                    self.bytes_done,
                    time.monotonic() - self.started,
                    outcome,
                )
            )


def stops_the_batch(error: BaseException) -> bool:
    """An error every other file would meet too: no credentials, a refused caller or API key,
    a quota used up. The batch stops starting files rather than fail each one."""
    if isinstance(error, AuthenticationError):
        return True
    return isinstance(error, ApiError) and (
        error.status in (401, 403) or error.code == QUOTA_EXCEEDED
    )


class Batch:
    """One run of a batch: `run()` yields each file's outcome as it finishes."""

    def __init__(
        self,
        uploader: Uploader,
        files: Iterable[FoundFile],
        *,
        metadata: Mapping[str, str] | None = None,
        content_type: str | None = None,
        keep_paths: bool = False,
        record: BatchRecord | None = None,
        progress: BatchProgressCallback | None = None,
        create_ahead: bool = True,
    ) -> None:
        """`create_ahead`: small files' imports are created a hundred a call (POST /imports,
        see imports_ahead) where the deployment has the route; False: one POST /import each."""
        self.uploader = uploader
        self.files = list(files)
        self.metadata = dict(metadata or {})
        self.content_type = content_type
        self.keep_paths = keep_paths
        self.record = record
        self.recorded: dict[str, RecordedFile] = record.load() if record is not None else {}
        self.ahead = ImportsAhead(uploader.api, self.files, self._prepare) if create_ahead else None
        self.tally = _Tally(self.files, progress)
        self.stop = threading.Event()
        self.stopped_by: BaseException | None = None  # the error that stopped the batch
        self.not_started = 0
        self.interrupted = False

    def run(self) -> Iterator[FileOutcome]:
        """Each file's outcome, in the order files finish. After `interrupt()` (Ctrl-C while
        this waits calls it too) no file starts, those in flight stop within a chunk and are
        yielded "interrupted", then UploadInterrupted. A caller that stops reading stops the
        batch the same way, and waits for the files in flight to unwind."""
        pending: set[Future[FileOutcome]] = set()
        finished: list[Future[FileOutcome]] = []  # done, not yet yielded
        queue = iter(self.files)
        in_flight = FILES_PER_SLOT * self.uploader.concurrency
        with ThreadPoolExecutor(in_flight, thread_name_prefix="batch") as pool:
            try:
                while True:
                    while len(pending) < in_flight and not self.stop.is_set():
                        found = next(queue, None)
                        if found is None:
                            break
                        pending.add(pool.submit(self._one, found))
                    if not pending:
                        break
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    finished.extend(done)
                    while finished:
                        yield self._finish(finished.pop().result())
            except KeyboardInterrupt:
                self.interrupt()
            finally:
                self.stop.set()  # also when the caller closed the iterator
                self.not_started = sum(1 for _ in queue)
            for future in [*finished, *pending]:  # already stopping: each ends within a chunk
                yield self._finish(future.result())
        if self.interrupted:
            raise UploadInterrupted(
                "the batch was interrupted",
                hint="run the same command again: it skips the files imported and resumes "
                "the multipart ones",
                resumable=True,
            )

    def interrupt(self) -> None:
        """Stop the batch (from any thread): no file starts, the ones in flight stop."""
        self.interrupted = True
        self.stop.set()

    def _finish(self, outcome: FileOutcome) -> FileOutcome:
        if outcome.error is not None and stops_the_batch(outcome.error) and not self.stop.is_set():
            self.stopped_by = outcome.error
            self.stop.set()
        return outcome

    # --- one file ------------------------------------------------------------------------------

    def _one(self, found: FoundFile) -> FileOutcome:
        sent = 0

        def counted(count: int) -> None:
            nonlocal sent
            sent += count
            self.tally.add_bytes(count)

        try:
            outcome = self._import(found, counted)
        except BaseException as error:  # the outcome carries it; the batch goes on
            outcome = self._failed(found, error)
        self.tally.finished(outcome, max(found.size - sent, 0))
        return outcome

    def _import(self, found: FoundFile, counted: Callable[[int], None]) -> FileOutcome:
        if self.stop.is_set():
            raise BatchStopped
        info = os.stat(found.path)
        identity = FileIdentity.of(info)
        path = Journal.canonical(found.path)
        before = self.recorded.get(path)
        if before is not None and before.identity == identity:
            landed = self._landed(before)
            if landed is not None:
                return FileOutcome.of(
                    found,
                    "already_imported",
                    size=identity.size,
                    import_id=before.import_id,
                    key=landed,
                )
        elif before is not None and before.state == "complete":
            return FileOutcome.of(
                found,
                "changed",
                size=identity.size,
                import_id=before.import_id,
                error=FileChangedError(
                    f"{found.path} changed since it was imported as {before.import_id} "
                    f"({before.key})",
                    hint="this version is not sent again unasked: upload it on its own, or "
                    "start the batch over (`forget` the record)",
                    import_id=before.import_id,
                ),
            )
        last = 0

        def on_progress(event: Progress) -> None:
            nonlocal last
            if event.event == "bytes" and self.stop.is_set():
                raise BatchStopped  # a finished upload still completes and is recorded
            if event.event == "started" and self.record is not None:
                self.record.write(RecordedFile(path, identity, event.import_id, "started"))
            counted(event.done - last)
            last = event.done

        created = self.ahead.take(found) if self.ahead is not None else None
        if created is not None:
            result = self.uploader.upload_created(
                found.path,
                created.prepared.request,
                created.prepared.identity,
                created.created,
                progress=on_progress,
            )
        else:
            result = self.uploader.upload(
                found.path,
                content_type=self.content_type,
                metadata=self._metadata(found),
                progress=on_progress,
            )
        counted(result.size - last)
        if self.record is not None:
            self.record.write(
                RecordedFile(path, identity, result.import_id, "complete", result.key)
            )
        return FileOutcome.of(
            found,
            "complete",
            size=result.size,
            result=result,
            import_id=result.import_id,
            key=result.key,
        )

    def _metadata(self, found: FoundFile) -> dict[str, str]:
        metadata = dict(self.metadata)
        if self.keep_paths:
            metadata[RELATIVE_PATH_KEY] = quote(found.relative, safe="/")
        return metadata

    def _prepare(self, found: FoundFile) -> Prepared | None:
        """A small file's import request, to be created ahead with the files after it; None
        for a file the record knows (it may be skipped) or cannot be read now (it fails on its
        own, with its own message), and once the batch is stopping."""
        if self.stop.is_set() or Journal.canonical(found.path) in self.recorded:
            return None
        try:
            request, identity = self.uploader.small_file_request(
                found.path, content_type=self.content_type, metadata=self._metadata(found)
            )
        except (OSError, SignedImportError):
            return None
        return Prepared(request, identity)

    def _landed(self, before: RecordedFile) -> str | None:
        """The key of the recorded import when it is complete: recorded so, or a "started" one
        whose upload landed before the batch was stopped (asked by its id)."""
        if before.state == "complete":
            return before.key
        try:
            state = self.uploader.status(before.import_id)
        except ApiError as err:
            if err.status == 404:
                return None  # never stored, aborted or expired: upload it again
            raise
        if state.get("status") != "complete" or state.get("size") != before.identity.size:
            return None
        key = str(state.get("key", ""))
        if self.record is not None:
            self.record.write(
                RecordedFile(before.path, before.identity, before.import_id, "complete", key)
            )
        return key

    def _failed(self, found: FoundFile, error: BaseException) -> FileOutcome:
        if isinstance(error, BatchStopped) or (
            isinstance(error, UploadInterrupted) and self.stop.is_set()
        ):
            stopped = UploadInterrupted(
                f"{found.path}: stopped with the batch",
                hint="run the same command again: a multipart import resumes",
                import_id=getattr(error, "import_id", None),
                resumable=True,
            )
            return FileOutcome.of(
                found,
                "interrupted",
                import_id=stopped.import_id,
                error=stopped,
            )
        if not isinstance(error, Exception):
            raise error  # SystemExit and the like: not the file's doing
        status: Status = "changed" if isinstance(error, FileChangedError) else "failed"
        return FileOutcome.of(
            found,
            status,
            import_id=getattr(error, "import_id", None),
            error=error,
        )
