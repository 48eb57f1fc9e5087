"""Load on the local stack: concurrent consumers doing the whole flow, measured per route.

Each consumer is a thread with its own `signed_import_client.Uploader` (its own connection pool)
and its own caller identity (a SigV4 access key id, which the local gateway turns into the
caller, so every consumer writes under its own key partition). It runs a fixed number of
imports: single PUTs of up to 256 KiB and, every `multipart_every`-th, a multipart import of
two parts (a stream just over 8 MiB, which the client imports as multipart, in 5 MiB parts);
after each, GET /import/{id} must say `complete`. With `abandon`, it then starts one more
multipart import, lists its parts and aborts it, so that every route of the API is loaded.

Every HTTP exchange (API and S3) is timed from the request to the answer's headers (a PUT's
time includes sending its bytes), retries included; at the end every object is read back from
the emulator and compared with what its consumer sent, and nothing else may be left under the
consumers' partitions — no object and no multipart upload.

The end-to-end suite runs a short form (tests/e2e/test_load_and_faults.py); `make load` runs
the long one (benchmarks/load.py).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import random
import re
import sys
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from localdev.keys import partition_of
from signed_import_client import RetryPolicy, SigV4, Uploader
from signed_import_client.api import USER_AGENT

MIB = 1024 * 1024
KIB = 1024
PART_SIZE = 5 * MIB
# Streams above the client's in-memory limit (8 MiB) are imported as multipart.
MULTIPART_SIZE = (8 * MIB, 9 * MIB)
SINGLE_SIZE = (1 * KIB, 256 * KIB)
_IMPORT_PATH = re.compile(r"^(?:/(?P<id>[^/]+)(?P<rest>/parts|/complete)?)?$")
ROUTES = (
    "POST /import",
    "PUT object (S3)",
    "POST /import/{id}/parts",
    "PUT part (S3)",
    "POST /import/{id}/complete",
    "GET /import/{id}",
    "GET /import/{id}/parts",
    "DELETE /import/{id}",
)


@dataclass(frozen=True)
class Sample:
    route: str
    status: int | None  # None: no answer (connection error, timeout)
    seconds: float
    # For an API error: the code of its {"error": {"code", "message"}} body (None when it has
    # another shape) and its Retry-After header.
    error_code: str | None = None
    retry_after: str | None = None
    failure: str | None = None  # for no answer: the transport error's class

    @property
    def api(self) -> bool:
        return "(S3)" not in self.route


def route_of(method: str, url: str, import_url: str) -> str:
    """The API route template of a request to the API, or which kind of S3 PUT it is."""
    if url.startswith(import_url):
        path = url[len(import_url) :].split("?", 1)[0]
        match = _IMPORT_PATH.match(path)
        if match is None:
            return f"{method} (unknown API path)"
        if match["id"] is None:
            return f"{method} /import"
        return f"{method} /import/{{id}}{match['rest'] or ''}"
    if method == "PUT":
        return "PUT part (S3)" if "partNumber=" in url else "PUT object (S3)"
    return f"{method} (S3)"


def _error_code(body: bytes) -> str | None:
    """The code of the module's error shape, exactly {"error": {"code", "message"}}."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    if not isinstance(parsed, dict) or set(parsed) != {"error"}:
        return None
    error = parsed["error"]
    if not isinstance(error, dict) or set(error) != {"code", "message"}:
        return None
    return str(error["code"])


class RecordingTransport(httpx.BaseTransport):
    """Times every exchange up to the answer's headers (a PUT's bytes included)."""

    def __init__(self, inner: httpx.BaseTransport, import_url: str) -> None:
        self.inner = inner
        self.import_url = import_url
        self.samples: list[Sample] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        route = route_of(request.method, str(request.url), self.import_url)
        started = time.perf_counter()
        try:
            response = self.inner.handle_request(request)
        except httpx.TransportError as err:
            seconds = time.perf_counter() - started
            self.samples.append(
                Sample(route, None, seconds, failure=f"{type(err).__name__}: {err}")
            )
            raise
        seconds = time.perf_counter() - started
        if response.status_code < 400 or "(S3)" in route:
            self.samples.append(Sample(route, response.status_code, seconds))
            return response
        # An API error: keep what a caller needs from it (its body is small), and hand on an
        # answer with the same bytes.
        body = b"".join(response.iter_raw())
        response.close()
        self.samples.append(
            Sample(
                route,
                response.status_code,
                seconds,
                _error_code(body),
                response.headers.get("Retry-After"),
            )
        )
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=httpx.ByteStream(body),
            request=request,
            extensions=response.extensions,
        )

    def close(self) -> None:
        self.inner.close()


@dataclass(frozen=True)
class Completed:
    consumer: int
    import_id: str
    key: str
    method: str  # PUT or MULTIPART
    size: int
    sha256: str


def _answered_2xx(sample: Sample) -> bool:
    return sample.status is not None and 200 <= sample.status < 300


def _throttled(sample: Sample) -> bool:
    return sample.status == 429 and sample.error_code == "Throttled"


def _label(sample: Sample) -> str:
    return f"{sample.route} {sample.status if sample.status is not None else 'no answer'}"


@dataclass
class LoadResult:
    consumers: int
    imports_per_consumer: int
    seconds: float = 0.0
    samples: list[Sample] = field(default_factory=list)
    completed: list[Completed] = field(default_factory=list)
    aborted: list[str] = field(default_factory=list)  # keys of the imports aborted on purpose
    failures: list[str] = field(default_factory=list)  # imports that did not finish, and why
    problems: list[str] = field(default_factory=list)  # what verification found

    @property
    def non_2xx(self) -> Counter[str]:
        """'<route> <status>' (or '<route> no answer') → count."""
        return Counter(_label(s) for s in self.samples if not _answered_2xx(s))

    @property
    def throttled(self) -> int:
        """429 THROTTLED answers: the stage's throttle, as on AWS, which the consumers retry."""
        return sum(1 for s in self.samples if _throttled(s))

    @property
    def unexpected(self) -> Counter[str]:
        """Answers other than 2xx but the stage's throttles."""
        return Counter(
            _label(s) for s in self.samples if not _answered_2xx(s) and not _throttled(s)
        )

    @property
    def server_errors(self) -> int:
        return sum(1 for s in self.samples if s.status is not None and s.status >= 500)

    @property
    def ok(self) -> bool:
        expected = self.consumers * self.imports_per_consumer
        return (
            not self.unexpected
            and not self.failures
            and not self.problems
            and len(self.completed) == expected
        )


def consumer_identity(number: int) -> SigV4:
    return SigV4.from_keys(f"AKIALOAD{number:012d}", "load-secret", region="us-east-1")


def _consumer(
    number: int,
    *,
    import_url: str,
    imports: int,
    multipart_every: int,
    abandon: bool,
    seed: int,
    start: threading.Event,
    result: LoadResult,
    lock: threading.Lock,
) -> None:
    rng = random.Random(seed * 100_003 + number)  # noqa: S311 (test data, not a secret)
    transport = RecordingTransport(
        httpx.HTTPTransport(limits=httpx.Limits(max_connections=4), trust_env=False), import_url
    )
    http = httpx.Client(
        transport=transport,
        timeout=httpx.Timeout(120, connect=15),
        headers={"User-Agent": USER_AGENT},
    )
    completed: list[Completed] = []
    aborted: list[str] = []
    failures: list[str] = []
    try:
        with Uploader(
            import_url,
            consumer_identity(number),
            concurrency=2,
            part_size=PART_SIZE,
            retry=RetryPolicy(),
            http=http,
        ) as uploader:
            start.wait()
            for index in range(imports):
                multipart = multipart_every > 0 and index % multipart_every == multipart_every - 1
                size = rng.randint(*(MULTIPART_SIZE if multipart else SINGLE_SIZE))
                data = rng.randbytes(size)
                try:
                    if multipart:
                        done = uploader.upload(io.BytesIO(data), size=size, filename=f"{index}.bin")
                    else:
                        done = uploader.upload(data, filename=f"{index}.bin")
                    status = uploader.status(done.import_id)
                    if status.get("status") != "complete":
                        raise RuntimeError(f"status after completion: {status}")
                except Exception as err:  # a failed import is counted, not fatal to the load
                    failures.append(
                        f"consumer {number} import {index}: {type(err).__name__}: {err}"
                    )
                    continue
                completed.append(
                    Completed(
                        number,
                        done.import_id,
                        done.key,
                        done.method,
                        size,
                        hashlib.sha256(data).hexdigest(),
                    )
                )
            if abandon:
                try:
                    aborted.append(_abandon(uploader))
                except Exception as err:
                    failures.append(f"consumer {number} abandon: {type(err).__name__}: {err}")
    finally:
        http.close()
        with lock:
            result.samples.extend(transport.samples)
            result.completed.extend(completed)
            result.aborted.extend(aborted)
            result.failures.extend(failures)


def _abandon(uploader: Uploader) -> str:
    """Start a multipart import, list its (no) parts, abort it; its key."""
    created = uploader.api.create(
        {
            "size": MULTIPART_SIZE[0],
            "content_type": "application/octet-stream",
            "multipart": True,
            "checksum_algorithm": "CRC64NVME",
        }
    )
    listed = uploader.api.list_parts(created["import_id"])
    if listed.get("parts") != []:
        raise RuntimeError(f"a new import lists parts: {listed}")
    uploader.abort(created["import_id"])
    return str(created["key"])


def run_load(
    import_url: str,
    *,
    consumers: int = 50,
    imports: int = 4,
    multipart_every: int = 4,
    abandon: bool = True,
    seed: int = 1,
    warm_up: bool = True,
) -> LoadResult:
    """`consumers` threads, each doing `imports` imports (and one abandoned with `abandon`),
    after an untimed warm-up (`warm_up`) by one more consumer."""
    result = LoadResult(consumers, imports)
    lock = threading.Lock()
    if warm_up:
        # Every route once, untimed: the figures are the warm container's (the cold start
        # is `make bench`'s), and a warm-up that fails says so in the result.
        scratch = LoadResult(1, multipart_every)
        ready = threading.Event()
        ready.set()
        _consumer(
            consumers,
            import_url=import_url,
            imports=max(1, multipart_every),
            multipart_every=multipart_every,
            abandon=True,
            seed=seed,
            start=ready,
            result=scratch,
            lock=lock,
        )
        result.failures.extend(f"warm-up: {failure}" for failure in scratch.failures)
    start = threading.Event()
    threads = [
        threading.Thread(
            target=_consumer,
            args=(n,),
            kwargs={
                "import_url": import_url,
                "imports": imports,
                "multipart_every": multipart_every,
                "abandon": abandon,
                "seed": seed,
                "start": start,
                "result": result,
                "lock": lock,
            },
            name=f"consumer-{n}",
        )
        for n in range(consumers)
    ]
    for thread in threads:
        thread.start()
    time.sleep(0.5)  # every consumer's client built, none of them timed
    started = time.perf_counter()
    start.set()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    return result


def verify(result: LoadResult, s3: Any, bucket: str) -> None:
    """Read every completed object back and compare it; nothing else may be left under the
    consumers' partitions. What is wrong goes to `result.problems`."""

    def check(done: Completed) -> str | None:
        body = s3.get_object(Bucket=bucket, Key=done.key)["Body"].read()
        if len(body) != done.size or hashlib.sha256(body).hexdigest() != done.sha256:
            return f"{done.key}: {len(body)} bytes stored differ from the {done.size} sent"
        return None

    with ThreadPoolExecutor(8) as pool:
        result.problems.extend(p for p in pool.map(check, result.completed) if p)
    expected = {done.key for done in result.completed}
    stored: set[str] = set()
    for prefix in sorted({partition_of(key) for key in expected | set(result.aborted)}):
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        stored |= {obj["Key"] for page in pages for obj in page.get("Contents", [])}
        uploads = s3.list_multipart_uploads(Bucket=bucket, Prefix=prefix).get("Uploads", [])
        result.problems.extend(f"{u['Key']}: multipart upload left behind" for u in uploads)
    result.problems.extend(
        f"{key}: stored but never completed" for key in sorted(stored - expected)
    )
    result.problems.extend(f"{key}: completed but not stored" for key in sorted(expected - stored))


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest value at least `fraction` of them do not exceed."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def report(result: LoadResult, *, title: str, command: str) -> str:
    """The markdown table `make load` writes."""
    by_route: dict[str, list[Sample]] = defaultdict(list)
    for sample in result.samples:
        by_route[sample.route].append(sample)
    single = sum(1 for d in result.completed if d.method == "PUT")
    sent = sum(d.size for d in result.completed)
    seconds = result.seconds or float("nan")
    non_2xx = result.non_2xx
    lines = [
        f"# {title}",
        "",
        f"`{command}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, "
        f"Python {sys.version.split()[0]}.",
        "",
        "| | |",
        "|---|--:|",
        f"| consumers x imports | {result.consumers} x {result.imports_per_consumer} |",
        f"| imports completed | {len(result.completed)} ({single} single PUT, "
        f"{len(result.completed) - single} multipart), {len(result.aborted)} aborted |",
        f"| bytes imported | {sent / MIB:,.1f} MiB |",
        f"| wall time | {result.seconds:,.1f} s |",
        f"| throughput | {len(result.completed) / seconds:,.1f} imports/s, "
        f"{sent / MIB / seconds:,.1f} MiB/s, {len(result.samples) / seconds:,.0f} requests/s |",
        f"| answers other than 2xx | {sum(non_2xx.values())} (5xx: {result.server_errors}; "
        f"429 Throttled by the stage's throttle, retried: {result.throttled}) |",
        f"| imports failed | {len(result.failures)} |",
        f"| verification problems | {len(result.problems)} |",
        "",
        "| route | requests | p50 ms | p99 ms | max ms | other than 2xx |",
        "|---|--:|--:|--:|--:|---|",
    ]
    order = [r for r in ROUTES if r in by_route] + sorted(set(by_route) - set(ROUTES))
    for route in order:
        samples = by_route[route]
        times = [s.seconds * 1000 for s in samples]
        errors = Counter(
            str(s.status) if s.status is not None else "no answer"
            for s in samples
            if not _answered_2xx(s)
        )
        shown = ", ".join(f"{status}: {n}" for status, n in sorted(errors.items())) or "0"
        lines.append(
            f"| {route} | {len(samples)} | {percentile(times, 0.5):,.1f} | "
            f"{percentile(times, 0.99):,.1f} | {max(times):,.1f} | {shown} |"
        )
    unanswered = Counter(f"{s.route}: {s.failure}" for s in result.samples if s.failure)
    no_answers = [f"{text} ({n}x)" for text, n in sorted(unanswered.items())]
    for heading, items in (
        ("Failed imports", result.failures),
        ("Requests without an answer", no_answers),
        ("Problems", result.problems),
    ):
        if items:
            lines += ["", f"## {heading}", "", *(f"- {item}" for item in items[:50])]
    return "\n".join(lines) + "\n"
