"""`signed-import upload DIR --recursive` end to end on the shared examples/local stack: a batch
of 200 small files and a multipart one, interrupted half-way (SIGINT, as Ctrl-C) and run again,
leaves every file in the bucket exactly once, checked against the bucket itself."""

from __future__ import annotations

import json
import secrets
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from test_cli import Cli, Run

from localdev.emulator import MotoServer
from localdev.faults import FaultProxy, Rule
from localdev.stack import MotoStack
from signed_import_client.checksums import crc64nvme, to_b64

MIB = 1024 * 1024
SMALL_FILES = 200


@pytest.fixture
def cli(local_stack: MotoStack, tmp_path: Path) -> Cli:
    return Cli(local_stack, tmp_path)


@pytest.fixture
def proxy() -> Any:
    with FaultProxy().running() as running:
        yield running


def files(root: Path) -> dict[str, bytes]:
    """200 small files in folders, and one of 12 MiB (3 parts of 5 MiB): name → bytes."""
    written = {}
    for number in range(SMALL_FILES):
        path = root / f"day-{number % 4}" / f"doc-{number:03}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        written[path.name] = secrets.token_bytes(1000 + number)
        path.write_bytes(written[path.name])
    written["large.bin"] = secrets.token_bytes(12 * MIB)
    (root / "large.bin").write_bytes(written["large.bin"])
    return written


def in_bucket(moto: MotoServer, bucket: str, tag: str) -> dict[str, list[bytes]]:
    """The objects this batch stored (its `batch` metadata), by the filename stored with them."""
    s3 = moto.client("s3")
    found: dict[str, list[bytes]] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            head = s3.head_object(Bucket=bucket, Key=item["Key"])
            if head["Metadata"].get("batch") == tag:
                body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                found.setdefault(head["Metadata"]["filename"], []).append(body)
    return found


def lines(run: Run) -> list[dict[str, Any]]:
    return [json.loads(line) for line in run.stdout.splitlines() if line.strip()]


def test_an_interrupted_batch_run_again_stores_every_file_once(
    moto: MotoServer, cli: Cli, proxy: FaultProxy
) -> None:
    data = files(cli.home / "exports")
    tag = secrets.token_hex(8)
    args = ["upload", "exports", "--recursive", "--part-size", "5MiB", "--metadata", f"batch={tag}"]
    args += ["--keep-paths", "--concurrency", "4", "--json"]
    proxy.add(Rule("PUT", r"X-Amz-Signature", delay=0.05, times=10**6))  # every PUT to S3

    process = cli.start(*args, proxy=proxy)
    deadline = time.monotonic() + 120
    while len(proxy.requests("PUT", "X-Amz-Signature")) < SMALL_FILES // 2:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    first = Run(process.returncode, out.decode(), err.decode())
    again = cli.run(*args)

    assert first.code == 130, first.stderr
    assert "interrupted" in first.stderr
    summary = lines(first)[-1]["summary"]
    assert 0 < summary["complete"] < len(data)
    assert summary["not_started"] > 0
    assert again.code == 0, again.stderr
    outcomes = lines(again)[:-1]
    statuses = {line["relative_path"]: line["status"] for line in outcomes}
    assert len(statuses) == len(data)
    assert set(statuses.values()) <= {"complete", "already_imported"}
    assert sum(s == "already_imported" for s in statuses.values()) >= summary["complete"]
    stored = in_bucket(moto, cli.bucket, tag)
    assert {name: [to_b64(crc64nvme(b)) for b in bodies] for name, bodies in stored.items()} == {
        name: [to_b64(crc64nvme(body))] for name, body in data.items()
    }  # every file, once, with its bytes


def test_a_batch_run_a_third_time_sends_nothing(cli: Cli, proxy: FaultProxy) -> None:
    (cli.home / "d").mkdir()
    for number in range(5):
        (cli.home / "d" / f"{number}.csv").write_bytes(b"a,b\n" * (number + 1))
    first = cli.run("upload", "d", "-r", "--json")
    proxy.clear()

    again = cli.run("upload", "d", "-r", "--json", proxy=proxy)

    assert (first.code, again.code) == (0, 0)
    assert [line["status"] for line in lines(again)[:-1]] == ["already_imported"] * 5
    assert proxy.seen == []  # not one request
