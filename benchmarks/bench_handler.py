"""Signer benchmark: the module's handler, loaded from the deployed zip, against the classic
handler (classic_handler.py: a new boto3 client per call), measured in the same run.

Warm, in one process: the two handlers are called alternately (module, classic, module,
classic, ...) so that machine noise hits both alike; median and p99 handler time for POST /import
with a single PUT, POST /import creating a multipart upload, and POST /import/{import_id}/parts
per URL signed; ratios classic/module. Both handlers run against the same in-process S3 (moto's
`mock_aws()`): multipart creation calls it in both, part re-signing in the module. That cost is
the emulator's, so each of those operations is also shown without its S3 call.

Cold, in fresh interpreters (cold_start.py, the same python, alternating module and classic):
import + first POST /import (single PUT); median, min, max, the ratio module/classic, and the
modules loaded after the first call. Also the zip's size.

Prints a Markdown table and writes it to --output. The targets (warm >= 20x, cold <= 0.6x, and a
single-PUT median under 1 ms) are reported with a pass/miss mark; only --check turns a miss into
exit status 1. `make bench` runs the default (about a minute on two cores); more samples with
`make bench BENCH_FLAGS="--calls 5000 --cold-runs 21"`.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import importlib
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Final

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

TARGET_WARM_RATIO = 20.0  # classic / module, median, every warm operation
TARGET_COLD_RATIO = 0.6  # module / classic, median import + first call
TARGET_SINGLE_PUT_MEDIAN_US = 1000.0  # the module's warm single PUT, absolute

REGION: Final = "eu-west-1"
# The function's environment as Terraform gives it with the module's defaults, except caller
# isolation (off: the events carry no caller identity), and fake credentials as the runtime gives
# real ones. No shared config or credentials file, no instance
# metadata lookup; no awscrt, which the Lambda runtime does not ship (the dev group installs it).
FUNCTION_ENV = {
    "BUCKET_NAME": "bench-bucket",
    "KEY_PREFIX": "imports/",
    "ALLOWED_CONTENT_TYPES": "application/octet-stream,text/csv,application/json",
    "MAX_UPLOAD_BYTES": str(5 * 1024**4),
    "URL_EXPIRY_SECONDS": "900",
    "MULTIPART_ENABLED": "true",
    "MULTIPART_THRESHOLD_BYTES": str(100 * 1024**2),
    "CALLER_ISOLATION": "off",
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "AKIDBENCHMARK",
    "AWS_SECRET_ACCESS_KEY": "bench-secret",
    "AWS_SESSION_TOKEN": "bench-token",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
    "BOTO_DISABLE_CRT": "true",
}

SINGLE_PUT_BODY = {
    "size": 123456789,
    "content_type": "text/csv",
    "checksum_sha256": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
    "filename": "orders 2026.csv",
    "metadata": {"source": "crm", "team": "data"},
}
# Above the multipart threshold: 64 parts of 16 MiB, the first 10 signed with POST /import.
MULTIPART_BODY = {
    "size": 1024**3,
    "content_type": "text/csv",
    "filename": "orders 2026.csv",
    "metadata": {"source": "crm", "team": "data"},
}

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def api_event(
    resource: str, body: Mapping[str, Any], path_parameters: dict[str, str] | None = None
) -> dict[str, Any]:
    """An API Gateway (REST, proxy integration) POST event."""
    path = resource
    for name, value in (path_parameters or {}).items():
        path = path.replace(f"{{{name}}}", value)
    return {
        "resource": resource,
        "path": path,
        "httpMethod": "POST",
        "headers": {"Content-Type": "application/json"},
        "pathParameters": path_parameters,
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


def answer(response: dict[str, Any], status: int) -> dict[str, Any]:
    """The JSON body of a response that must have `status`; anything else stops the run."""
    if response.get("statusCode") != status:
        raise RuntimeError(f"expected {status}, got {response.get('statusCode')}: {response}")
    body: dict[str, Any] = json.loads(response["body"])
    return body


# --- statistics and formatting -------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    """Microseconds."""

    median: float
    p99: float

    @classmethod
    def of(cls, samples_us: Sequence[float]) -> Summary:
        ordered = sorted(samples_us)
        rank = max(0, math.ceil(0.99 * len(ordered)) - 1)  # nearest-rank p99
        return cls(statistics.median(ordered), ordered[rank])


def us(value: float) -> str:
    return f"{value:,.0f} µs" if value < 10_000 else f"{value / 1000:,.1f} ms"


def ms(value_us: float) -> str:
    return f"{value_us / 1000:,.0f} ms"


def mark(passed: bool) -> str:
    return "pass" if passed else "**miss**"


# --- warm -----------------------------------------------------------------------------------


@dataclass
class ApiTimer:
    """Time spent in S3 API calls, from botocore's provide-client-params event (the first a call
    emits) to its after-call event: checking and serialising the parameters, the endpoint
    rules, signing the request, the emulator's work, parsing the answer. Registered before
    either handler builds a client, so that every client of both handlers reports to it."""

    spent_ns: int = 0
    _begin: int = 0

    def before(self, **_: Any) -> None:
        self._begin = time.perf_counter_ns()

    def after(self, **_: Any) -> None:
        self.spent_ns += time.perf_counter_ns() - self._begin


@dataclass
class Samples:
    """Microseconds per call: the handler's whole time, and the part of it in S3 API calls."""

    total: list[float]
    api: list[float]

    def summary(self, per: int = 1) -> Summary:
        return Summary.of([t / per for t in self.total])

    def net(self, per: int = 1) -> Summary:
        if not all(self.api):
            raise RuntimeError("a call made no S3 call the timer saw: its net time is unknown")
        return Summary.of([(t - a) / per for t, a in zip(self.total, self.api, strict=True)])


def interleave(
    module: Callable[[], object], classic: Callable[[], object], calls: int, timer: ApiTimer
) -> tuple[Samples, Samples]:
    """Alternate the two, `calls` each, module first."""
    clock = time.perf_counter_ns
    module_ns: list[tuple[int, int]] = []
    classic_ns: list[tuple[int, int]] = []
    gc.collect()
    for _ in range(calls):
        timer.spent_ns = 0
        begin = clock()
        module()
        module_ns.append((clock() - begin, timer.spent_ns))
        timer.spent_ns = 0
        begin = clock()
        classic()
        classic_ns.append((clock() - begin, timer.spent_ns))
    return (
        Samples([t / 1000 for t, _ in module_ns], [a / 1000 for _, a in module_ns]),
        Samples([t / 1000 for t, _ in classic_ns], [a / 1000 for _, a in classic_ns]),
    )


@dataclass(frozen=True)
class WarmRow:
    operation: str
    calls: int
    module: Summary
    classic: Summary

    @property
    def ratio(self) -> float:
        return self.classic.median / self.module.median

    @property
    def p99_ratio(self) -> float:
        return self.classic.p99 / self.module.p99


@dataclass(frozen=True)
class Warm:
    rows: list[WarmRow]
    # Median time of the S3 calls inside the handlers, microseconds a request.
    create_module_us: float
    create_classic_us: float
    list_module_us: float


class WarmBench:
    """Both handlers in this process, against moto's S3 (inside `mock_aws()`)."""

    def __init__(self, zip_path: Path, warmup: int) -> None:
        import boto3  # noqa: PLC0415 (after the environment is set: botocore reads it at import)
        from botocore.config import Config  # noqa: PLC0415
        from botocore.handlers import BUILTIN_HANDLERS  # noqa: PLC0415

        self.warmup = warmup
        self.bucket = FUNCTION_ENV["BUCKET_NAME"]
        self.api_us: dict[str, float] = {}
        # The benchmark's own client has a session of its own: the handlers share boto3's
        # default session, as in a container, and load their service model into it.
        self.s3 = boto3.Session().client(
            "s3",
            region_name=REGION,
            config=Config(signature_version="s3v4", request_checksum_calculation="when_required"),
        )
        self.s3.create_bucket(
            Bucket=self.bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        # The emulator (and the libraries loaded so far) out of the collector's reach: a full
        # collection then scans what the handlers load and allocate, not moto's objects too,
        # which would otherwise dominate both handlers' p99.
        gc.collect()
        gc.freeze()
        # Every botocore session created from now on (whichever the handlers use) registers
        # the timer on its clients, as moto registers its own handler.
        self.timer = ApiTimer()
        BUILTIN_HANDLERS.append(("provide-client-params.s3", self.timer.before))
        BUILTIN_HANDLERS.append(("after-call.s3", self.timer.after))
        sys.path.insert(0, str(zip_path))
        self.module: Handler = importlib.import_module("signed_import.handler").handler
        self.classic = importlib.import_module("classic_handler")

    def measure(
        self,
        label: str,
        *,
        module_event: dict[str, Any],
        module_status: int,
        classic_handler: Handler,
        classic_event: dict[str, Any],
        count: int,
    ) -> tuple[Samples, Samples]:
        module = self.module
        for _ in range(self.warmup):  # and check that both answer as they should
            answer(module(module_event, None), module_status)
            answer(classic_handler(classic_event, None), 200)
        print(f"warm: {label}, {count} calls each", file=sys.stderr)
        return interleave(
            lambda: module(module_event, None),
            lambda: classic_handler(classic_event, None),
            count,
            self.timer,
        )

    def single_put(self, calls: int) -> list[WarmRow]:
        """(a) POST /import, single PUT: no S3 call."""
        single = api_event("/import", SINGLE_PUT_BODY)
        put = answer(self.module(single, None), 201)
        if put["upload"]["method"] != "PUT":
            raise RuntimeError(f"expected a single PUT, got {put['upload']['method']}")
        module, classic = self.measure(
            "single PUT",
            module_event=single,
            module_status=201,
            classic_handler=self.classic.handler,
            classic_event=single,
            count=calls,
        )
        return [WarmRow("POST /import, single PUT", calls, module.summary(), classic.summary())]

    def multipart_creation(self, calls: int) -> list[WarmRow]:
        """(b) POST /import, multipart creation: both call CreateMultipartUpload."""
        multipart = api_event("/import", MULTIPART_BODY)
        first = len(answer(self.module(multipart, None), 201)["upload"]["parts"])
        if first != len(answer(self.classic.multipart_handler(multipart, None), 200)["parts"]):
            raise RuntimeError("the two handlers sign a different number of first parts")
        module, classic = self.measure(
            "multipart creation",
            module_event=multipart,
            module_status=201,
            classic_handler=self.classic.multipart_handler,
            classic_event=multipart,
            count=calls,
        )
        self.api_us["create_module"] = Summary.of(module.api).median
        self.api_us["create_classic"] = Summary.of(classic.api).median
        return [
            WarmRow(
                f"POST /import, multipart creation ({first} part URLs)",
                calls,
                module.summary(),
                classic.summary(),
            ),
            WarmRow("↳ the same without the S3 call", calls, module.net(), classic.net()),
        ]

    def part_resigning(self, calls: int, parts: int) -> list[WarmRow]:
        """(c) POST /import/{import_id}/parts, per URL."""
        created = answer(self.module(api_event("/import", MULTIPART_BODY), None), 201)
        most = min(100, created["upload"]["part_count"])
        if parts > most:
            raise RuntimeError(f"--parts must be 1 to {most}")
        listed = self.s3.list_multipart_uploads(Bucket=self.bucket, Prefix=created["key"])
        resign = api_event(
            "/import/{import_id}/parts",
            {"part_numbers": list(range(1, parts + 1))},
            {"import_id": created["import_id"]},
        )
        if len(answer(self.module(resign, None), 200)["parts"]) != parts:
            raise RuntimeError("the module did not sign every part asked for")
        upload_id = listed["Uploads"][0]["UploadId"]
        one_part = api_event(
            "/import/resign", {"key": created["key"], "upload_id": upload_id, "part_number": 2}
        )
        module, classic = self.measure(
            "part re-signing",
            module_event=resign,
            module_status=200,
            classic_handler=self.classic.part_handler,
            classic_event=one_part,
            count=calls,
        )
        self.api_us["list_module"] = Summary.of(module.api).median
        return [
            WarmRow(
                f"POST /import/{{id}}/parts, per URL ({parts} a request)",
                calls,
                module.summary(parts),
                classic.summary(),
            ),
            WarmRow("↳ the same without the S3 call", calls, module.net(parts), classic.summary()),
        ]


def run_warm(zip_path: Path, calls: int, multipart_calls: int, parts: int, warmup: int) -> Warm:
    from moto import mock_aws  # noqa: PLC0415 (after the environment is set)

    with mock_aws():
        bench = WarmBench(zip_path, warmup)
        single = bench.single_put(calls)
        # Part re-signing before multipart creation fills the bucket with uploads: moto lists
        # every upload in the bucket to answer ListMultipartUploads.
        resigning = bench.part_resigning(calls, parts)
        creation = bench.multipart_creation(multipart_calls)
    return Warm(
        [*single, *creation, *resigning],
        bench.api_us["create_module"],
        bench.api_us["create_classic"],
        bench.api_us["list_module"],
    )


# --- cold -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColdRun:
    import_s: float
    first_call_s: float
    process_s: float
    modules_before: int
    modules_after: int

    @property
    def total_us(self) -> float:
        return (self.import_s + self.first_call_s) * 1e6


def child_environment() -> dict[str, str]:
    """This process's environment without AWS settings or PYTHONPATH, plus the function's."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("AWS_") and name not in ("PYTHONPATH", "PYTHONSTARTUP")
    }
    env.update(FUNCTION_ENV)
    return env


def cold_start(kind: str, zip_path: Path, env: dict[str, str]) -> ColdRun:
    command = [
        sys.executable,
        str(HERE / "cold_start.py"),
        kind,
        str(zip_path),
        json.dumps(SINGLE_PUT_BODY),
    ]
    begin = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    process_s = time.perf_counter() - begin
    if done.returncode != 0:
        raise RuntimeError(f"cold start of {kind} failed:\n{done.stderr}")
    result = json.loads(done.stdout)
    if result["status"] not in (200, 201):
        raise RuntimeError(f"cold start of {kind} answered {result['status']}")
    return ColdRun(
        result["import_s"],
        result["first_call_s"],
        process_s,
        result["modules_before"],
        result["modules_after"],
    )


def run_cold(zip_path: Path, runs: int) -> dict[str, list[ColdRun]]:
    """`runs` fresh processes each, alternating, after one discarded run each (it writes any
    missing bytecode of boto3 and botocore and fills the page cache)."""
    env = child_environment()
    kinds = ("module", "classic")
    for kind in kinds:
        cold_start(kind, zip_path, env)
    results: dict[str, list[ColdRun]] = {kind: [] for kind in kinds}
    print(f"cold: {runs} fresh processes each", file=sys.stderr)
    for _ in range(runs):
        for kind in kinds:
            results[kind].append(cold_start(kind, zip_path, env))
    return results


# --- report ---------------------------------------------------------------------------------


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def _span(values: Sequence[int]) -> str:
    return str(values[0]) if min(values) == max(values) else f"{min(values)}-{max(values)}"


def report(
    zip_name: str, zip_bytes: bytes, warm: Warm, cold: dict[str, list[ColdRun]]
) -> tuple[str, bool]:
    """The Markdown report, and whether every target was met."""
    lines = [
        "# Signer benchmark",
        "",
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: {platform.platform()}, {os.cpu_count()} CPUs",
        f"- Python {platform.python_version()} ({sys.executable})",
        f"- boto3 {_version('boto3')}, botocore {_version('botocore')}, "
        f"moto {_version('moto')} (in-process S3); no awscrt and BOTO_DISABLE_CRT=true, "
        "as in Lambda",
        f"- module: `{zip_name}`, {len(zip_bytes):,} bytes, "
        f"sha256 {hashlib.sha256(zip_bytes).hexdigest()}",
        "- classic: `benchmarks/classic_handler.py` (a new boto3 client per call)",
        "",
        "## Warm: handler time, the two handlers called alternately",
        "",
        "| operation | calls | module median | module p99 | classic median | classic p99 "
        "| classic/module median (p99) | target | |",
        "|---|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    met = []
    for row in warm.rows:
        passed = row.ratio >= TARGET_WARM_RATIO
        met.append(passed)
        lines.append(
            f"| {row.operation} | {row.calls:,} | {us(row.module.median)} | {us(row.module.p99)} "
            f"| {us(row.classic.median)} | {us(row.classic.p99)} "
            f"| {row.ratio:.2f}x ({row.p99_ratio:.2f}x) | ≥ {TARGET_WARM_RATIO:.0f}x "
            f"| {mark(passed)} |"
        )
    single = warm.rows[0].module.median
    single_passed = single < TARGET_SINGLE_PUT_MEDIAN_US
    met.append(single_passed)
    lines += [
        "",
        f"Module single PUT, absolute: median {us(single)} (target < "
        f"{us(TARGET_SINGLE_PUT_MEDIAN_US)}: {mark(single_passed)}).",
        "",
        "Both handlers run against the same S3: moto's `mock_aws()`, in this process. Multipart "
        "creation calls CreateMultipartUpload in both handlers, and the module's part "
        "re-signing calls ListMultipartUploads (the classic part handler calls nothing): those "
        "calls' cost is the emulator's, not S3's. Medians: CreateMultipartUpload "
        f"{us(warm.create_module_us)} in the module, {us(warm.create_classic_us)} in the "
        f"classic handler; ListMultipartUploads {us(warm.list_module_us)} a request. With the "
        "emulator's call in both, multipart creation cannot exceed "
        f"{warm.rows[1].classic.median / warm.create_module_us:.1f}x (the classic median over "
        "the module's CreateMultipartUpload alone). The rows "
        "marked ↳ take each S3 API call's whole time in the client (botocore's "
        "provide-client-params to after-call: parameters, endpoint rules, signing, the "
        "emulator, parsing) out of that handler call's time: what remains is what each handler "
        "does itself. "
        "Part re-signing: the module answers one request for several parts, its time divided "
        "by the URLs; the classic handler signs one URL per request. p99 is nearest-rank. "
        "Objects loaded before the handlers (libraries, the emulator) are frozen out of the "
        "garbage collector (`gc.freeze()`), so that moto's heap does not lengthen collections.",
        "",
    ]

    module_runs, classic_runs = cold["module"], cold["classic"]
    module_total = statistics.median(r.total_us for r in module_runs)
    classic_total = statistics.median(r.total_us for r in classic_runs)
    cold_ratio = module_total / classic_total
    cold_passed = cold_ratio <= TARGET_COLD_RATIO
    met.append(cold_passed)
    lines += [
        "## Cold: fresh interpreter, import + first POST /import (single PUT)",
        "",
        "| handler | processes | median | min | max | import | first call | whole process "
        "| modules after first call |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for name, runs in (("module (zip)", module_runs), ("classic", classic_runs)):
        totals = [r.total_us for r in runs]
        lines.append(
            f"| {name} | {len(runs)} | {ms(statistics.median(totals))} | {ms(min(totals))} "
            f"| {ms(max(totals))} | {ms(statistics.median(r.import_s * 1e6 for r in runs))} "
            f"| {ms(statistics.median(r.first_call_s * 1e6 for r in runs))} "
            f"| {ms(statistics.median(r.process_s * 1e6 for r in runs))} "
            f"| {_span([r.modules_after for r in runs])} |"
        )
    lines += [
        "",
        f"module/classic median: **{cold_ratio:.3f}x** (target ≤ {TARGET_COLD_RATIO}x: "
        f"{mark(cold_passed)}). Import, first call and the modules count are medians or "
        f"ranges over the same processes; the interpreter had "
        f"{_span([r.modules_before for r in module_runs + classic_runs])} modules before "
        "the import. Whole process: interpreter start to exit, as seen by the parent.",
        "",
        f"Zip: {len(zip_bytes):,} bytes.",
        "",
        f"Targets met: {sum(met)} of {len(met)}.",
    ]
    return "\n".join(lines) + "\n", all(met)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--zip", type=Path, default=ROOT / "dist" / "signer.zip")
    parser.add_argument("--output", type=Path, default=ROOT / "build" / "bench.md")
    parser.add_argument("--calls", type=int, default=2000, help="warm calls per handler")
    parser.add_argument(
        "--multipart-calls", type=int, default=800, help="warm multipart creations per handler"
    )
    parser.add_argument("--parts", type=int, default=10, help="parts per re-signing request")
    parser.add_argument("--warmup", type=int, default=50, help="unmeasured calls per operation")
    parser.add_argument("--cold-runs", type=int, default=9, help="fresh processes per handler")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    if min(args.calls, args.multipart_calls, args.parts) < 1 or args.cold_runs < 5:
        parser.error("--calls, --multipart-calls and --parts must be >= 1, --cold-runs >= 5")
    source = args.zip.resolve()
    zip_name = str(source.relative_to(ROOT)) if source.is_relative_to(ROOT) else str(source)

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="signer-bench-") as tmp:
        # Measure a copy: a rebuild of the zip during the run must not change what is measured.
        zip_path = Path(tmp) / "signer.zip"
        shutil.copyfile(source, zip_path)
        zip_bytes = zip_path.read_bytes()
        cold = run_cold(zip_path, args.cold_runs)
        # This process is the warm container: the function's environment, set before boto3
        # loads.
        env = child_environment()
        os.environ.clear()
        os.environ.update(env)
        # No awscrt, as in Lambda (see cold_start.py).
        sys.modules["awscrt"] = None  # type: ignore[assignment]
        warm = run_warm(zip_path, args.calls, args.multipart_calls, args.parts, args.warmup)
    text, all_met = report(zip_name, zip_bytes, warm, cold)
    text += f"\nRun time: {time.perf_counter() - started:.0f} s.\n"

    print(text, end="")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"\nwritten to {args.output}", file=sys.stderr)
    return 1 if args.check and not all_met else 0


if __name__ == "__main__":
    sys.exit(main())
