"""The parts of one multipart upload in flight, and the progress events they raise, one at a time.

A file (or bytes) is signed ahead: one thread reads the parts in order, computes each one's
CRC-64/NVME (verifying the parts S3 already holds) and gets their URLs signed SIGN_BATCH at a time
(fewer when parts are large), a few batches ahead of `concurrency` workers that send them
(reading each part again, from the page cache). No part waits on an API call but the first
batch's, and an import of N parts of up to 32 MiB makes ceil(N / SIGN_BATCH) signing calls. A
stream, read once and in order, is read, signed and sent a part at a time by each worker."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from . import checksums
from .errors import FileChangedError, TransferError
from .plan import PartPlan
from .results import Event, Progress, ProgressCallback
from .source import Source, StreamSource
from .transfer import Cancelled, SignedRequest, Transfer

if TYPE_CHECKING:
    from .uploader import Uploader

# Parts signed by one POST …/parts call (the module takes up to 100), and how many batches the
# signing thread may run ahead of the workers. The workers read each part again after the
# signing thread did: at most SIGN_AHEAD_BYTES ahead (fewer parts a batch when parts are large),
# so that the page cache still holds them.
SIGN_BATCH = 16
BATCHES_AHEAD = 2
SIGN_AHEAD_BYTES = 1024**3
_DONE = object()  # the signing thread has handed out every part


@dataclass(frozen=True)
class _SignedPart:
    number: int
    crc: int
    request: SignedRequest


@dataclass(frozen=True)
class Held:
    etag: str
    crc: int | None  # as S3 lists it, when it does


def epoch(iso: str | None) -> float | None:
    if not iso:
        return None
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


class Emitter:
    """Counts bytes and parts; calls the progress callback one event at a time."""

    def __init__(
        self,
        callback: ProgressCallback | None,
        import_id: str,
        method: str,
        total: int,
        part_count: int,
    ) -> None:
        self.callback = callback
        self.import_id = import_id
        self.method = method
        self.total = total
        self.part_count = part_count
        self.done = 0
        self.parts_done = 0
        self.part_size: int | None = None
        self.lock = threading.Lock()
        # What the progress callback raised, if it did: the caller's way to stop an upload.
        # Every exception the callback raised: the caller's way to stop an upload. Once it has,
        # each worker still unwinding may call it (and see it raise) again.
        self.raised: list[Exception] = []

    def add_bytes(self, count: int) -> None:
        with self.lock:
            self.done += count
            self._call("bytes", None)

    def __call__(
        self,
        event: Event,
        *,
        part_number: int | None = None,
        parts_done: int | None = None,
        absolute: int | None = None,
    ) -> None:
        with self.lock:
            if parts_done is not None:
                self.parts_done = parts_done
            if absolute is not None:
                self.done = absolute
            self._call(event, part_number)

    def part_stored(self, part_number: int) -> None:
        with self.lock:
            self.parts_done += 1
            self._call("part", part_number)

    def _call(self, event: Event, part_number: int | None) -> None:
        if self.callback is None:
            return
        try:
            self._callback(self.callback, event, part_number)
        except Exception as err:
            self.raised.append(err)  # the caller stopped the upload: an interruption, not a bug
            raise

    def stopped(self, error: BaseException) -> bool:
        """Whether `error` is one the progress callback raised."""
        return any(error is raised for raised in self.raised)

    def _callback(self, callback: ProgressCallback, event: Event, part_number: int | None) -> None:
        callback(
            Progress(
                event=event,
                import_id=self.import_id,
                method=self.method,
                done=self.done,
                total=self.total,
                part_count=self.part_count,
                parts_done=self.parts_done,
                part_number=part_number,
                part_size=self.part_size,
            )
        )


class PartRun:
    """The parts of one multipart upload, by `concurrency` workers pulling part numbers."""

    def __init__(
        self,
        uploader: Uploader,
        *,
        import_id: str,
        plan: PartPlan,
        src: Source,
        held: dict[int, Held],
        emit: Emitter,
    ) -> None:
        self.api = uploader.api
        self.import_id = import_id
        self.plan = plan
        self.src = src
        self.held = held
        self.emit = emit
        self.cancel = threading.Event()
        self.transfer = Transfer(
            uploader.http, uploader.retry, self.cancel, slots=uploader.transfer_slots
        )
        self.numbers: Iterator[int] = iter(range(1, plan.part_count + 1))
        self.lock = threading.Lock()
        self.etags: dict[int, str] = {n: h.etag for n, h in held.items()}
        self.crcs: dict[int, int] = {}
        self.stream_crc = 0  # the whole stream's, when the source is read in order

    def run(self, workers: int) -> None:
        if isinstance(self.src, StreamSource):
            stream = self.src
            self._run_workers(workers, lambda: self._worker(stream))
            return
        batch = max(1, min(SIGN_BATCH, SIGN_AHEAD_BYTES // (BATCHES_AHEAD * self.plan.part_size)))
        ahead: queue.Queue[object] = queue.Queue(maxsize=batch * BATCHES_AHEAD)
        signer = threading.Thread(
            target=self._sign_ahead,
            args=(ahead, batch),
            name="signed-import-sign-ahead",
            daemon=True,
        )
        signer.start()
        try:
            self._run_workers(workers, lambda: self._send_signed(ahead))
        finally:
            self.cancel.set()  # ends the signing thread too, if the workers ended first
            signer.join()

    def _run_workers(self, workers: int, work: Callable[[], None]) -> None:
        with ThreadPoolExecutor(workers, thread_name_prefix="signed-import") as pool:
            futures: set[Future[None]] = {pool.submit(work) for _ in range(workers)}
            try:
                pending = futures
                while pending:
                    # A short timeout keeps the main thread responsive to Ctrl-C.
                    done, pending = wait(pending, timeout=0.2, return_when=FIRST_EXCEPTION)
                    for future in done:
                        error = future.exception()
                        if error is not None and not isinstance(error, Cancelled):
                            raise error
            except BaseException:
                self.cancel.set()
                self._drain(futures)
                raise

    @staticmethod
    def _drain(futures: set[Future[None]]) -> None:
        """Wait for the workers to stop (they notice the cancel flag within a chunk)."""
        pending = futures
        while pending:
            try:
                _, pending = wait(pending, timeout=0.2)
            except KeyboardInterrupt:
                continue  # a second Ctrl-C while stopping: keep stopping cleanly

    def whole_crc(self) -> int:
        if isinstance(self.src, StreamSource):
            return self.stream_crc
        whole = 0
        for number in range(1, self.plan.part_count + 1):
            whole = checksums.combine(whole, self.crcs[number], self.plan.length(number))
        return whole

    # --- a file: signed ahead ---------------------------------------------------------------

    def _sign_ahead(self, ahead: queue.Queue[object], size: int) -> None:
        """In part order: each part's CRC (a held part verified), the others signed in batches
        of `size` and handed out with their signed requests; then _DONE, or the error that
        ended it (the worker that takes it raises it)."""
        try:
            batch: dict[int, int] = {}
            for number in range(1, self.plan.part_count + 1):
                offset, length = self.plan.span(number)
                crc = 0
                for chunk in self.src.chunks(offset, length):
                    if self.cancel.is_set():
                        return
                    crc = checksums.crc64nvme(chunk, crc)
                with self.lock:
                    self.crcs[number] = crc
                if number in self.held:
                    self._verify_held(number, crc)
                    continue
                batch[number] = crc
                if len(batch) == size:
                    self._hand_out(ahead, batch)
                    batch = {}
            if batch:
                self._hand_out(ahead, batch)
            self._put(ahead, _DONE)
        except Exception as error:  # handed to a worker, which raises it
            self._put(ahead, error)

    def _hand_out(self, ahead: queue.Queue[object], batch: dict[int, int]) -> None:
        signed = self._sign_batch(batch)
        for number, crc in batch.items():
            self._put(ahead, _SignedPart(number, crc, signed[number]))

    def _put(self, ahead: queue.Queue[object], item: object) -> None:
        while not self.cancel.is_set():
            try:
                ahead.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def _send_signed(self, ahead: queue.Queue[object]) -> None:
        while not self.cancel.is_set():
            try:
                item = ahead.get(timeout=0.2)
            except queue.Empty:
                continue
            if item is _DONE:
                ahead.put(_DONE)  # for the other workers: there is room, this one was taken
                return
            if isinstance(item, BaseException):
                raise item
            if isinstance(item, _SignedPart):
                self._send(item.number, None, item.crc, item.request)

    # --- a stream: a part at a time ----------------------------------------------------------

    def _next_from(self, stream: StreamSource) -> tuple[int, bytes, int] | None:
        """The stream's next part: (number, its bytes, its CRC)."""
        with stream.lock:  # number and bytes in the same order: the stream is sequential
            number = next(self.numbers, None)
            if number is None or self.cancel.is_set():
                return None
            data = stream.read_exactly(self.plan.length(number), self.cancel)
            crc = checksums.crc64nvme(data)
            self.stream_crc = checksums.combine(self.stream_crc, crc, len(data))
            if number == self.plan.part_count:
                stream.check_exhausted(self.cancel)
            return number, data, crc

    def _worker(self, stream: StreamSource) -> None:
        while not self.cancel.is_set():
            taken = self._next_from(stream)
            if taken is None:
                return
            number, data, crc = taken
            with self.lock:
                self.crcs[number] = crc
            if number in self.held:
                self._verify_held(number, crc)
                continue
            self._upload(number, data, crc)

    def _verify_held(self, number: int, crc: int) -> None:
        listed = self.held[number].crc
        if listed is not None and listed != crc:
            raise FileChangedError(
                f"part {number} of import {self.import_id} differs from the file's bytes: "
                "the file changed since the upload began",
                hint=f"`abort {self.import_id}` and upload the file again",
            )
        self.emit("verified", part_number=number)

    def _sign_batch(self, crcs: dict[int, int]) -> dict[int, SignedRequest]:
        """One POST …/parts for these parts (number → CRC): each one's signed request."""
        expires_at, parts = self.api.sign_parts(
            self.import_id, {number: checksums.to_b64(crc) for number, crc in crcs.items()}
        )
        signed = {}
        for number in crcs:
            part = parts.get(number)
            if part is None or int(part["size"]) != self.plan.length(number):
                raise TransferError(f"the API signed part {number} for another size than planned")
            signed[number] = SignedRequest(
                str(part["url"]), dict(part["headers"]), epoch(expires_at)
            )
        return signed

    def _sign(self, number: int, crc: int) -> SignedRequest:
        return self._sign_batch({number: crc})[number]

    def _upload(self, number: int, data: bytes, crc: int) -> None:
        self._send(number, data, crc, self._sign(number, crc))

    def _send(self, number: int, data: bytes | None, crc: int, signed: SignedRequest) -> None:
        """PUT part `number` (`data`, or read from the source) with its signed request, signed
        again for the same CRC if it expires meanwhile."""
        offset, length = self.plan.span(number)
        if data is not None:
            view = memoryview(data)

            def body() -> Iterator[bytes]:
                return (bytes(view[i : i + 1024 * 1024]) for i in range(0, length, 1024 * 1024))
        else:

            def body() -> Iterator[bytes]:
                return self.src.chunks(offset, length)

        response = self.transfer.put(
            f"part {number}",
            signed,
            body,
            resign=lambda: self._sign(number, crc),
            sent=self.emit.add_bytes,
        )
        etag = response.headers.get("ETag")
        if not etag:
            raise TransferError(f"S3 stored part {number} but answered no ETag")
        with self.lock:
            self.etags[number] = etag
        self.emit.part_stored(number)
