"""`Uploader`: one file (or bytes, or a stream) into one import, the way the server planned it.

- Single PUT when the server signs one (small files): the whole file's CRC-64/NVME is declared
  in POST /import, so it is computed first — the one pre-pass, limited to files at most the
  module's multipart threshold, at memory speed.
- Multipart otherwise: a file's parts are read in order by one thread that computes each
  part's CRC and gets the URLs signed for them in batches (parts.SIGN_BATCH a call), a couple of
  batches ahead of `concurrency` workers that PUT them (reading each part again, from the page
  cache); a stream's parts are read, signed and sent one at a time, in one pass. The whole
  file's CRC is combined from the part CRCs and checked by S3 at completion. At most
  `concurrency` parts are in flight; only signed URLs are queued beyond them, never bytes.
- Resume: the parts S3 already holds (GET …/parts) are verified against the file's bytes and
  kept; the rest are uploaded. A journal (optional) remembers which import belongs to which
  file, so uploading the same file again resumes it.
"""

from __future__ import annotations

import mimetypes
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, BinaryIO

import httpx

from . import checksums
from .api import USER_AGENT, ApiClient
from .auth import Auth
from .batch import Batch, BatchProgressCallback, FileOutcome
from .batch_record import BatchRecord
from .discovery import Found, find_files
from .errors import (
    ApiError,
    ConfigurationError,
    FileChangedError,
    ScanNotFinished,
    SignedImportError,
    TransferError,
    UploadInterrupted,
)
from .journal import Journal, JournalEntry
from .parts import Emitter, Held, PartRun, epoch
from .plan import MIN_MULTIPART_THRESHOLD, PartPlan, check_part_size
from .results import ImportResult, ProgressCallback
from .retry import RetryPolicy
from .source import BytesSource, FileIdentity, FileSource, Source, StreamSource
from .transfer import PutRefused, SignedRequest, Transfer

DEFAULT_CONCURRENCY = 8
# How long `wait_for_scan` waits for GuardDuty by default: most scans take seconds to minutes.
DEFAULT_SCAN_WAIT_SECONDS = 900.0
# A stream up to this size is read into memory and imported as the server plans it; a longer
# one asks for multipart, so that it is read once, a part at a time.
STREAM_IN_MEMORY = 8 * 1024 * 1024
DEFAULT_CONTENT_TYPE = "application/octet-stream"


def guess_content_type(name: str | None) -> str:
    """From the file name's extension; application/octet-stream when unknown."""
    if not name:
        return DEFAULT_CONTENT_TYPE
    guessed, _ = mimetypes.guess_type(name, strict=False)
    return guessed or DEFAULT_CONTENT_TYPE


class Uploader:
    """Uploads to one API. `upload` may run in several threads at once (`upload_many` does):
    they share the connection pool, the credentials, the journal and the transfer slots."""

    def __init__(
        self,
        import_url: str,
        auth: Auth | None = None,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        part_size: int | None = None,
        journal: Journal | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 120.0,
        http: httpx.Client | None = None,
        api_key: str | None = None,
    ) -> None:
        if not 1 <= concurrency <= 64:
            raise ConfigurationError(f"concurrency must be 1 to 64, not {concurrency}")
        if part_size is not None:
            try:
                check_part_size(part_size)
            except ValueError as err:
                raise ConfigurationError(str(err)) from err
        self.concurrency = concurrency
        # PUTs to S3 in flight at once, across every file a batch has in flight.
        self.transfer_slots = threading.BoundedSemaphore(concurrency)
        self.part_size = part_size
        self.journal = journal
        self.retry = retry or RetryPolicy()
        self._own_http = http is None
        self.http = http or httpx.Client(
            # Waiting for a free connection of the pool is no stall: a batch's files share it.
            timeout=httpx.Timeout(timeout, connect=15.0, pool=None),
            # PUTs take at most `concurrency` connections (transfer_slots); the rest serve API
            # calls, which a batch makes for the files waiting for a slot.
            limits=httpx.Limits(
                max_connections=2 * concurrency + 2, max_keepalive_connections=2 * concurrency + 2
            ),
            headers={"User-Agent": USER_AGENT},
        )
        self.api = ApiClient(import_url, auth, http=self.http, retry=self.retry, api_key=api_key)
        self.import_url = self.api.import_url

    def close(self) -> None:
        if self._own_http:
            self.http.close()

    def __enter__(self) -> Uploader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- public --------------------------------------------------------------------------------

    def upload(
        self,
        source: str | os.PathLike[str] | bytes | bytearray | memoryview | BinaryIO,
        *,
        size: int | None = None,
        content_type: str | None = None,
        filename: str | None = None,
        metadata: Mapping[str, str] | None = None,
        progress: ProgressCallback | None = None,
    ) -> ImportResult:
        """Import `source` (a path, bytes, or a binary stream of exactly `size` bytes) and
        return once S3 holds it, verified. With a journal, a path whose earlier upload was
        interrupted is resumed. `content_type` is guessed from the file name when absent;
        `filename` defaults to the path's name (it is stored as metadata, never as the key)."""
        src = self._open(source, size, filename)
        try:
            if self.journal is not None and src.path is not None:
                entry = self.journal.find(self.import_url, src.path)
                if entry is not None:
                    resumed = self._resume_journaled(entry, src, progress)
                    if resumed is not None:
                        return resumed
            return self._create(src, content_type, metadata, progress)
        finally:
            src.close()

    def upload_many(
        self,
        paths: Iterable[str | os.PathLike[str]] | Found,
        *,
        recursive: bool = False,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
        keep_paths: bool = False,
        record: BatchRecord | None = None,
        progress: BatchProgressCallback | None = None,
        create_ahead: bool = True,
    ) -> Iterator[FileOutcome]:
        """Import many files, each its own import, `concurrency` at a time: each one's
        FileOutcome as it finishes (complete, already_imported, changed, failed, interrupted),
        a failure never stopping the others unless every file would meet it (credentials, a
        used-up quota). `paths` are files, or directories with `recursive`, or what
        `discovery.find_files` found. With `keep_paths` each file's path below its directory
        goes into the metadata as `relative-path`. With a `record`, running the same batch
        again skips what it imported (see `Batch`). Files of at most 5 MiB get their imports a
        hundred a call (POST /imports) where the deployment has the route, unless
        `create_ahead` is False."""
        if not isinstance(paths, Found):
            paths = find_files([os.fspath(p) for p in paths], recursive=recursive)
        batch = Batch(
            self,
            paths.files,
            metadata=metadata,
            content_type=content_type,
            keep_paths=keep_paths,
            record=record,
            progress=progress,
            create_ahead=create_ahead,
        )
        return batch.run()

    def resume(
        self,
        import_id: str,
        source: str | os.PathLike[str] | bytes | bytearray | memoryview | BinaryIO,
        *,
        size: int | None = None,
        progress: ProgressCallback | None = None,
    ) -> ImportResult:
        """Finish a multipart import from any machine: S3's parts (GET …/parts) are checked
        against `source` and kept, the others uploaded, the import completed."""
        src = self._open(source, size, None)
        try:
            return self._resume(import_id, src, progress)
        finally:
            src.close()

    def status(self, import_id: str) -> dict[str, Any]:
        return self.api.status(import_id)

    def wait_for_scan(
        self,
        import_id: str,
        *,
        timeout: float = DEFAULT_SCAN_WAIT_SECONDS,
        interval: float = 2.0,
        max_interval: float = 30.0,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> dict[str, Any]:
        """Poll GET /import/{id} until GuardDuty has scanned the stored import (the module's
        malware_protection): its `malware_scan` answer, whose "status" is no_threats_found,
        threats_found or failed. The wait between polls grows from `interval` to
        `max_interval` (each poll is an API call a usage plan counts: ~35 in 15 minutes).
        ScanNotFinished after `timeout` seconds of pending; a ConfigurationError when the API
        reports no scan at all (no malware_protection)."""
        deadline = clock() + timeout
        while True:
            state = self.api.status(import_id)
            scan = state.get("malware_scan")
            if state.get("status") == "complete" and scan is None:
                raise ConfigurationError(
                    f"import {import_id} is complete, but this API does not scan imports for "
                    "malware (no malware_scan in its answers)",
                    hint="drop `wait_scan`, or ask the API's owner to set malware_protection",
                    import_id=import_id,
                )
            if isinstance(scan, dict) and scan.get("status") not in (None, "pending"):
                return scan
            if clock() >= deadline:
                raise ScanNotFinished(
                    f"import {import_id}: the malware scan is still pending after {timeout:g} s",
                    hint=f"`status {import_id}` shows it later; a large file takes longer to scan",
                    import_id=import_id,
                )
            (sleep or time.sleep)(min(interval, max(deadline - clock(), 0.0)))
            interval = min(interval * 1.5, max_interval)

    def abort(self, import_id: str) -> None:
        """Abort a multipart import (S3 frees its parts) and forget it in the journal."""
        self.api.abort(import_id)
        if self.journal is not None:
            self.journal.remove_import(import_id)

    def forget(self, path: str | os.PathLike[str]) -> str | None:
        """Abort the unfinished import the journal holds for `path`, if any; its id."""
        if self.journal is None:
            return None
        entry = self.journal.find(self.import_url, path)
        if entry is None:
            return None
        try:
            self.api.abort(entry.import_id)
        except ApiError as err:
            if err.status not in (404, 409):
                raise
        self.journal.remove(self.import_url, path)
        return entry.import_id

    # --- creating ------------------------------------------------------------------------------

    def _open(
        self,
        source: str | os.PathLike[str] | bytes | bytearray | memoryview | BinaryIO,
        size: int | None,
        filename: str | None,
    ) -> Source:
        src: Source
        if isinstance(source, str | os.PathLike):
            src = FileSource(source)
            if size is not None and size != src.size:
                src.close()
                raise ConfigurationError(f"{source} has {src.size} bytes, not {size}")
        elif isinstance(source, bytes | bytearray | memoryview):
            src = BytesSource(source)
        else:
            if size is None:
                raise ConfigurationError("a stream needs its exact size (`size`)")
            src = StreamSource(source, size)
        if filename is not None:
            src.name = filename
        return src

    def _create(
        self,
        src: Source,
        content_type: str | None,
        metadata: Mapping[str, str] | None,
        progress: ProgressCallback | None,
    ) -> ImportResult:
        started = time.perf_counter()
        src = src.small_in_memory(STREAM_IN_MEMORY)  # a small stream: read it, then decide
        request = _request(src, content_type, metadata)
        if self.part_size is not None:
            request["part_size"] = self.part_size
        if not src.seekable:
            request["multipart"] = True  # a stream: read once, in order, a part at a time
        elif src.size <= MIN_MULTIPART_THRESHOLD:
            # Below any multipart threshold the module can have: a single PUT for certain.
            request["checksum_crc64nvme"] = checksums.to_b64(src.crc(0, src.size))
        try:
            created = self.api.create(request)
        except ApiError as err:
            # The server chose a single PUT, which must declare the whole file's CRC: compute
            # it (the pre-pass) and ask again.
            if err.code != "MissingChecksum" or "checksum_crc64nvme" in request:
                raise
            request["checksum_crc64nvme"] = checksums.to_b64(src.crc(0, src.size))
            created = self.api.create(request)
        upload = created["upload"]
        if upload["method"] == "PUT":
            return self._single_put(created, src, request, progress, started)
        if upload["method"] != "MULTIPART":
            raise TransferError(f"unknown upload method {upload['method']!r} in the API's answer")
        import_id = str(created["import_id"])
        plan = self._server_plan(src.size, upload["part_size"], upload["part_count"], import_id)
        if self.journal is not None and src.path is not None and src.identity is not None:
            self.journal.save(
                JournalEntry(
                    import_url=self.import_url,
                    path=Journal.canonical(src.path),
                    import_id=import_id,
                    identity=src.identity,
                    part_size=plan.part_size,
                    part_count=plan.part_count,
                    content_type=request["content_type"],
                    created_at=time.time(),
                )
            )
        return self._multipart(
            import_id,
            plan,
            src,
            held={},
            progress=progress,
            started=started,
            content_type=request["content_type"],
            bucket=created.get("bucket"),
        )

    def small_file_request(
        self,
        path: str | os.PathLike[str],
        *,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> tuple[dict[str, Any], FileIdentity]:
        """The import request of a file that is one PUT whatever the module's threshold (at most
        MIN_MULTIPART_THRESHOLD bytes), its CRC included, and the file's identity as read: an
        item of POST /imports."""
        src = FileSource(path)
        try:
            if src.size > MIN_MULTIPART_THRESHOLD:
                raise ConfigurationError(f"{path} is not a small file ({src.size} bytes)")
            request = _request(src, content_type, metadata)
            request["checksum_crc64nvme"] = checksums.to_b64(src.crc(0, src.size))
            return request, src.identity
        finally:
            src.close()

    def upload_created(
        self,
        path: str | os.PathLike[str],
        request: dict[str, Any],
        identity: FileIdentity,
        created: dict[str, Any],
        progress: ProgressCallback | None = None,
    ) -> ImportResult:
        """Send `path` to the import `created` for `request` (by POST /imports), provided the
        file is still the one `small_file_request` read."""
        started = time.perf_counter()
        src = FileSource(path)
        try:
            if src.identity != identity:
                raise FileChangedError(
                    f"{path} changed after its checksum was taken for import "
                    f"{created.get('import_id')}",
                    hint="run the same command again: the file is sent as it is then",
                )
            return self._single_put(created, src, request, progress, started)
        finally:
            src.close()

    @staticmethod
    def _server_plan(size: int, part_size: int, part_count: int, import_id: str) -> PartPlan:
        try:
            return PartPlan.from_server(size, int(part_size), int(part_count))
        except (TypeError, ValueError) as err:
            raise TransferError(f"the API planned parts S3 cannot hold: {err}") from err

    # --- single PUT ----------------------------------------------------------------------------

    def _single_put(
        self,
        created: dict[str, Any],
        src: Source,
        request: dict[str, Any],
        progress: ProgressCallback | None,
        started: float,
    ) -> ImportResult:
        import_id = str(created["import_id"])
        upload = created["upload"]
        emit = Emitter(progress, import_id, "PUT", src.size, 1)
        emit("started")
        transfer = Transfer(self.http, self.retry, threading.Event(), slots=self.transfer_slots)
        signed = SignedRequest(
            upload["url"], dict(upload["headers"]), epoch(created.get("expires_at"))
        )

        def resign() -> SignedRequest:
            # One URL writes the key once: an expired single-PUT URL cannot be replaced.
            raise TransferError(
                f"the upload URL of import {import_id} expired before the upload finished",
                hint="upload again (a new import): a faster connection or a longer "
                "url_expiry_seconds helps",
            )

        try:
            response = transfer.put(
                f"import {import_id}",
                signed,
                lambda: src.chunks(0, src.size),
                resign=resign,
                sent=emit.add_bytes,
            )
            etag = response.headers.get("ETag", "")
            reported = response.headers.get("x-amz-checksum-crc64nvme")
        except PutRefused as err:
            # 412: the key already holds an object. After a retry whose first try S3 did store
            # (the answer was lost), that object is this upload's; the status says so.
            if err.status != 412:
                raise
            state = self.api.status(import_id)
            if state.get("status") != "complete" or state.get("size") != src.size:
                raise
            etag = str(state.get("etag", ""))
            reported = state.get("checksum_crc64nvme")
        except KeyboardInterrupt as interrupt:
            raise UploadInterrupted(
                f"import {import_id} interrupted: a single PUT starts over",
                hint="run the command again (a new import; the unused URL just expires)",
                import_id=import_id,
                resumable=False,
            ) from interrupt
        emit("part", part_number=1, parts_done=1, absolute=src.size)
        return ImportResult(
            import_id=import_id,
            key=str(created["key"]),
            bucket=created.get("bucket"),
            size=src.size,
            content_type=request["content_type"],
            method="PUT",
            etag=etag,
            checksum_crc64nvme=request["checksum_crc64nvme"],
            checksum_verified=reported == request["checksum_crc64nvme"],
            part_count=1,
            parts_uploaded=1,
            parts_resumed=0,
            seconds=time.perf_counter() - started,
        )

    # --- resuming ------------------------------------------------------------------------------

    def _resume_journaled(
        self, entry: JournalEntry, src: Source, progress: ProgressCallback | None
    ) -> ImportResult | None:
        """Resume what the journal recorded for this file; None when that import is gone."""
        if self.journal is None or src.path is None:
            return None
        if entry.identity != src.identity:
            raise FileChangedError(
                f"{src.path} changed since import {entry.import_id} began "
                f"({_describe_change(entry.identity, src.identity)})",
                hint=f"`abort {entry.import_id}` and upload again (`forget` does both)",
                import_id=entry.import_id,
            )
        try:
            return self._resume(entry.import_id, src, progress)
        except ApiError as err:
            if err.status != 404:
                raise
            self.journal.remove(self.import_url, src.path)  # expired or aborted elsewhere
            return None

    def _resume(
        self, import_id: str, src: Source, progress: ProgressCallback | None
    ) -> ImportResult:
        started = time.perf_counter()
        try:
            listed = self.api.list_parts(import_id)
        except ApiError as err:
            if err.code != "AlreadyComplete":
                raise
            return self._already_complete(import_id, src, started)
        plan = self._server_plan(
            listed["size"], listed["part_size"], listed["part_count"], import_id
        )
        if plan.size != src.size:
            raise FileChangedError(
                f"import {import_id} is {plan.size} bytes; this file has {src.size}",
                hint="resume with the file the import began with",
                import_id=import_id,
            )
        held: dict[int, Held] = {}
        for part in listed.get("parts", []):
            number = int(part["part_number"])
            if not 1 <= number <= plan.part_count or int(part["size"]) != plan.length(number):
                continue  # not in the plan: uploaded again, and completion lists only the plan
            crc = part.get("checksum_crc64nvme")
            held[number] = Held(str(part["etag"]), checksums.from_b64(crc) if crc else None)
        return self._multipart(import_id, plan, src, held=held, progress=progress, started=started)

    def _already_complete(self, import_id: str, src: Source, started: float) -> ImportResult:
        state = self.api.status(import_id)
        if int(state.get("size", -1)) != src.size:
            raise FileChangedError(
                f"import {import_id} is complete with {state.get('size')} bytes; this file "
                f"has {src.size}",
                import_id=import_id,
            )
        if self.journal is not None and src.path is not None:
            self.journal.remove(self.import_url, src.path)
        return ImportResult(
            import_id=import_id,
            key=str(state.get("key", "")),
            size=src.size,
            content_type=state.get("content_type"),
            method=str(state.get("method", "MULTIPART")),
            etag=str(state.get("etag", "")),
            checksum_crc64nvme=str(state.get("checksum_crc64nvme", "")),  # as S3 stored it
            part_count=int(state.get("part_count", 0)),
            parts_uploaded=0,
            parts_resumed=0,
            seconds=time.perf_counter() - started,
            already_complete=True,
        )

    # --- multipart -----------------------------------------------------------------------------

    def _multipart(
        self,
        import_id: str,
        plan: PartPlan,
        src: Source,
        *,
        held: dict[int, Held],
        progress: ProgressCallback | None,
        started: float,
        content_type: str | None = None,
        bucket: str | None = None,
    ) -> ImportResult:
        resumed_bytes = sum(plan.length(n) for n in held)
        emit = Emitter(progress, import_id, "MULTIPART", plan.size, plan.part_count)
        emit.done = resumed_bytes
        emit.parts_done = len(held)
        emit.part_size = plan.part_size
        emit("started")
        run = PartRun(self, import_id=import_id, plan=plan, src=src, held=held, emit=emit)
        try:
            run.run(min(self.concurrency, plan.part_count))
        except SignedImportError as err:
            err.import_id = err.import_id or import_id
            if not err.hint and plan.part_count > 1:
                err.hint = f"the import is resumable: `resume {import_id} FILE`"
            raise
        except OSError as err:
            # The source could not be read (a disk error, a file gone): the parts S3 holds stay.
            raise TransferError(
                f"import {import_id}: reading {src.name or 'the source'} failed: {err}",
                hint=f"the import is resumable: `resume {import_id} FILE`",
                import_id=import_id,
            ) from err
        except (KeyboardInterrupt, Exception) as interrupt:
            # Ctrl-C, a signal, or the caller's callback: resumable. Anything else is an error
            # of the upload itself (exit 1), not an interruption.
            if not isinstance(interrupt, KeyboardInterrupt) and not emit.stopped(interrupt):
                raise
            raise UploadInterrupted(
                f"import {import_id} interrupted with {len(run.etags)} of {plan.part_count} "
                "parts stored",
                import_id=import_id,
                resumable=True,
            ) from interrupt
        if not src.unchanged():
            raise FileChangedError(
                f"{src.path} changed while it was being uploaded",
                hint=f"`abort {import_id}` and upload it again once it is stable",
                import_id=import_id,
            )
        whole = run.whole_crc()
        emit("completing")
        try:
            completed = self.api.complete(import_id, run.etags, checksums.to_b64(whole))
        except SignedImportError as err:
            err.import_id = err.import_id or import_id
            raise
        except KeyboardInterrupt as interrupt:
            raise UploadInterrupted(
                f"import {import_id} interrupted while completing",
                import_id=import_id,
                resumable=True,
            ) from interrupt
        if self.journal is not None and src.path is not None:
            self.journal.remove(self.import_url, src.path)
        if content_type is None:
            content_type = self.api.status(import_id).get("content_type")
        return ImportResult(
            import_id=import_id,
            key=str(completed["key"]),
            bucket=bucket or completed.get("bucket"),  # a resumed import learns it on completion
            size=plan.size,
            content_type=content_type,
            method="MULTIPART",
            etag=str(completed.get("etag", "")),
            checksum_crc64nvme=checksums.to_b64(whole),
            checksum_verified=completed.get("checksum_crc64nvme") == checksums.to_b64(whole),
            part_size=plan.part_size,
            part_count=plan.part_count,
            parts_uploaded=plan.part_count - len(held),
            parts_resumed=len(held),
            seconds=time.perf_counter() - started,
            parts=tuple(sorted(run.etags.items())),
        )


def _request(
    src: Source, content_type: str | None, metadata: Mapping[str, str] | None
) -> dict[str, Any]:
    """What every import request of `src` declares: size, type, name, metadata, CRC-64/NVME."""
    request: dict[str, Any] = {
        "size": src.size,
        "content_type": content_type or guess_content_type(src.name),
        "checksum_algorithm": checksums.ALGORITHM,
    }
    if src.name:
        request["filename"] = src.name
    if metadata:
        request["metadata"] = dict(metadata)
    return request


def _describe_change(before: Any, after: Any) -> str:
    changes = [
        f"{name} {getattr(before, name)} → {getattr(after, name)}"
        for name in ("size", "mtime_ns", "inode", "device")
        if getattr(before, name) != getattr(after, name)
    ]
    return ", ".join(changes) or "identity differs"
