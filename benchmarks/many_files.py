"""The many-files part of the client benchmark: `signed-import upload DIR --recursive` against
`aws s3 cp --recursive` (AWS CLI v1: s3transfer) and s5cmd, to the same S3 (LocalStack, which
verifies every presigned URL's signature), with the same concurrency, runs alternating.

The CLI's figure includes its API round trip: each file's import created through the local
gateway and the deployed signer, on the same two cores. The peers write straight to the bucket
with its credentials, as a consumer of the module cannot.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MIB = 1024**2

Spawn = Callable[[Sequence[str], dict[str, str]], tuple[float, float, str]]


@dataclass(frozen=True)
class BatchSample:
    who: str  # "signed-import", "aws s3 cp", "s5cmd"
    files: int
    file_size: int
    seconds: float
    peak_rss_mb: float

    @property
    def files_per_second(self) -> float:
        return self.files / self.seconds

    @property
    def mib_per_second(self) -> float:
        return self.files * self.file_size / MIB / self.seconds


def make_files(root: Path, count: int, size: int) -> Path:
    """`count` files of `size` random bytes, 1,000 to a folder, as a night's exports might be."""
    root.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        folder = root / f"{number // 1000:02}"
        folder.mkdir(exist_ok=True)
        (folder / f"doc-{number:05}.json").write_bytes(os.urandom(size))
    return root


class ManyFiles:
    """Runs each client on one directory and checks, then empties, what it stored."""

    def __init__(
        self,
        *,
        spawn: Spawn,
        s3: Any,
        bucket: str,
        s3_endpoint: str,
        cli: Path,
        peers: Path,
        env: dict[str, str],
        work: Path,
        concurrency: int,
    ) -> None:
        self.spawn = spawn
        self.s3 = s3
        self.bucket = bucket
        self.s3_endpoint = s3_endpoint
        self.cli_path = cli
        self.peers = peers
        self.work = work
        self.concurrency = concurrency
        aws_config = work / "aws-config"
        aws_config.write_text(
            f"[default]\nregion = us-east-1\ns3 =\n  max_concurrent_requests = {concurrency}\n"
        )
        self.env = {
            **env,
            "AWS_CONFIG_FILE": str(aws_config),
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",  # LocalStack's fixed test secret
            "AWS_REGION": "us-east-1",
        }
        self.runs = 0

    def signed_import(self, directory: Path, count: int, size: int, import_url: str) -> BatchSample:
        self.runs += 1
        state = self.work / f"state-{self.runs}"  # a fresh batch record: every file is sent
        command = [str(self.cli_path), "upload", str(directory), "--recursive"]
        command += ["--api", import_url, "--auth", "none", "--json", "--quiet"]
        command += ["--concurrency", str(self.concurrency)]
        seconds, rss, out = self.spawn(command, {**self.env, "SIGNED_IMPORT_STATE_DIR": str(state)})
        lines = [json.loads(line) for line in out.splitlines() if line.strip()]
        summary = lines.pop()["summary"]
        if summary["complete"] != count or summary["exit_code"] != 0:
            raise RuntimeError(f"signed-import: {summary}")
        self._empty([line["key"] for line in lines], count)
        return BatchSample("signed-import", count, size, seconds, rss)

    def aws(self, directory: Path, count: int, size: int) -> BatchSample:
        prefix = self._prefix("aws")
        command = [str(self.peers / "aws"), "s3", "cp", str(directory), f"s3://{self.bucket}/"]
        command[-1] += prefix
        command += ["--recursive", "--endpoint-url", self.s3_endpoint, "--only-show-errors"]
        seconds, rss, _ = self.spawn(command, self.env)
        self._empty(self._listed(prefix), count)
        return BatchSample("aws s3 cp", count, size, seconds, rss)

    def s5cmd(self, directory: Path, count: int, size: int) -> BatchSample:
        prefix = self._prefix("s5cmd")
        command = [str(self.peers / "s5cmd"), "--endpoint-url", self.s3_endpoint]
        command += ["--numworkers", str(self.concurrency), "--log", "error"]
        command += ["cp", f"{directory}/*", f"s3://{self.bucket}/{prefix}"]
        seconds, rss, _ = self.spawn(command, self.env)
        self._empty(self._listed(prefix), count)
        return BatchSample("s5cmd", count, size, seconds, rss)

    def _prefix(self, who: str) -> str:
        return f"{who}-{time.time_ns()}/"

    def _listed(self, prefix: str) -> list[str]:
        keys: list[str] = []
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        for page in pages:
            keys += [item["Key"] for item in page.get("Contents", [])]
        return keys

    def _empty(self, keys: list[str], count: int) -> None:
        """Check that `count` objects were stored, then delete them (LocalStack keeps them in
        memory)."""
        if len(set(keys)) != count:
            raise RuntimeError(f"{len(set(keys))} objects stored, not {count}")
        for start in range(0, len(keys), 1000):
            chunk = [{"Key": key} for key in keys[start : start + 1000]]
            self.s3.delete_objects(Bucket=self.bucket, Delete={"Objects": chunk, "Quiet": True})


def report(
    samples: list[BatchSample], rounds: int, target: float, rss_target: float, rss_growth: float
) -> tuple[list[str], bool]:
    """The many-files tables (best of the rounds each) and whether the targets were met."""
    sets = sorted({(s.files, s.file_size) for s in samples})
    lines = [
        "## Many files",
        "",
        f"One directory per set (1,000 files to a folder), best of {rounds} alternating runs "
        "each, the same concurrency; signed-import's time includes creating every import "
        "through the API (the local gateway and the signer, on the same CPUs).",
        "",
        "| files | who | time | files/s | MiB/s | peak RSS | files/s vs aws s3 cp |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    checks: dict[str, tuple[str, bool]] = {}
    rss: dict[int, float] = {}
    for files, size in sets:
        best: dict[str, BatchSample] = {}
        for sample in samples:
            if (sample.files, sample.file_size) != (files, size):
                continue
            if sample.who not in best or sample.seconds < best[sample.who].seconds:
                best[sample.who] = sample
        baseline = best["aws s3 cp"]
        for who, sample in best.items():
            ratio = sample.files_per_second / baseline.files_per_second
            lines.append(
                f"| {files:,} x {size // 1024} KiB | {who} | {sample.seconds:.2f} s | "
                f"{sample.files_per_second:.0f} | {sample.mib_per_second:.1f} | "
                f"{sample.peak_rss_mb:.0f} MB | {ratio:.2f}x |"
            )
        ours = best["signed-import"]
        ratio = ours.files_per_second / baseline.files_per_second
        checks[f"{files:,} files: files/s ≥ {target}x aws s3 cp"] = (
            f"{ratio:.2f}x",
            ratio >= target,
        )
        rss[files] = max(
            s.peak_rss_mb for s in samples if s.who == "signed-import" and s.files == files
        )
    lines += ["", "| target | measured | result |", "|---|---:|---|"]
    most, fewest = max(rss), min(rss)
    growth = rss[most] / rss[fewest]
    checks[f"peak RSS for {most:,} files ≤ {rss_target:.0f} MB"] = (
        f"{rss[most]:.0f} MB",
        rss[most] <= rss_target,
    )
    checks[f"flat: RSS {most:,} files / {fewest:,} files ≤ {rss_growth}x"] = (
        f"{growth:.2f}x",
        growth <= rss_growth,
    )
    for name, (measured, ok) in checks.items():
        lines.append(f"| {name} | {measured} | {'pass' if ok else 'MISS'} |")
    return lines, all(ok for _, ok in checks.values())
