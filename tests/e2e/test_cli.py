"""The `signed-import` command end to end: the shared examples/local stack on moto_server, the
API served by the local gateway with the deployed zip, the CLI run as a user runs it (a
subprocess of the installed console script), its results read back from S3.

Faults are injected by a forward proxy (localdev.faults) the CLI reaches through HTTP_PROXY:
API 5xx and 429, S3 500s, dropped connections and expired URLs. moto checks neither signatures
nor checksums, so what S3 itself verifies is covered on LocalStack by `make bench-client` and
test_signatures_localstack.py; here the CLI's own behaviour is under test.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from localdev.emulator import MotoServer
from localdev.faults import EXPIRED_URL_BODY, FaultProxy, Rule
from localdev.stack import MotoStack
from signed_import_client.checksums import crc64nvme, to_b64

MIB = 1024 * 1024
CLI = str(Path(sys.executable).with_name("signed-import"))
ACCESS_KEY = "AKIACLIE2E000000001"
PART = r"partNumber=(\d+)"
SMALL_FILES = 200  # the batch tests' small files


@pytest.fixture(scope="module")
def proxy() -> Iterator[FaultProxy]:
    with FaultProxy().running() as running:
        yield running


@pytest.fixture
def faults(proxy: FaultProxy) -> Iterator[FaultProxy]:
    proxy.clear()
    yield proxy
    proxy.clear()


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.stdout)
        return parsed


class Cli:
    """The installed command, with a private home, journal and AWS configuration."""

    def __init__(self, stack: MotoStack, home: Path) -> None:
        self.home = home
        self.bucket = str(stack.outputs["bucket_name"])
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "SIGNED_IMPORT_API": stack.import_url,
            "SIGNED_IMPORT_STATE_DIR": str(home / "state"),
            # SigV4 from the environment's credentials, as the AWS CLI finds them; the local
            # gateway names the caller after the access key id.
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": "cli-secret",
            "AWS_CONFIG_FILE": str(home / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-aws-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "PYTHONUNBUFFERED": "1",
        }

    def command(
        self, *args: str, proxy: FaultProxy | None = None
    ) -> tuple[list[str], dict[str, str]]:
        env = dict(self.env)
        if proxy is not None:
            env["HTTP_PROXY"] = proxy.url
        return [CLI, *args], env

    def run(
        self,
        *args: str,
        proxy: FaultProxy | None = None,
        stdin: bytes | None = None,
        cwd: Path | None = None,
    ) -> Run:
        command, env = self.command(*args, proxy=proxy)
        done = subprocess.run(
            command,
            input=stdin,
            capture_output=True,
            env=env,
            cwd=cwd or self.home,
            timeout=300,
            check=False,
        )
        return Run(done.returncode, done.stdout.decode(), done.stderr.decode())

    def start(self, *args: str, proxy: FaultProxy | None = None) -> subprocess.Popen[bytes]:
        command, env = self.command(*args, proxy=proxy)
        return subprocess.Popen(
            command, env=env, cwd=self.home, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )


@pytest.fixture
def cli(local_stack: MotoStack, tmp_path: Path) -> Cli:
    return Cli(local_stack, tmp_path)


def random_file(path: Path, size: int) -> bytes:
    data = secrets.token_bytes(size)
    path.write_bytes(data)
    return data


def stored(moto: MotoServer, cli: Cli, result: dict[str, Any]) -> dict[str, Any]:
    s3 = moto.client("s3")
    answer: dict[str, Any] = s3.get_object(
        Bucket=cli.bucket, Key=result["key"], ChecksumMode="ENABLED"
    )
    answer["Data"] = answer["Body"].read()
    return answer


def parts_stored(proxy: FaultProxy) -> set[int]:
    return {
        int(m.group(1))
        for seen in proxy.requests("PUT", PART)
        if seen.status == 200 and (m := re.search(PART, seen.url))
    }


def interrupt_after_parts(
    cli: Cli, proxy: FaultProxy, args: list[str], parts: int, sig: int = signal.SIGINT
) -> Run:
    """Run the CLI with every part PUT slowed down; send `sig` once `parts` parts are stored."""
    proxy.add(Rule("PUT", PART, delay=0.4, times=1000))
    process = cli.start(*args, proxy=proxy)
    deadline = time.monotonic() + 120
    while len(parts_stored(proxy)) < parts and time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    process.send_signal(sig)
    out, err = process.communicate(timeout=60)
    return Run(process.returncode, out.decode(), err.decode())


def import_id_in(text: str) -> str:
    match = re.search(r"signed-import resume (\S+) ", text)
    assert match, text
    return match.group(1)


# --- uploads --------------------------------------------------------------------------------


def test_small_file_is_one_put_with_its_type_guessed(moto: MotoServer, cli: Cli) -> None:
    data = b"order_id,amount\n" + b"".join(f"{n},{n}.50\n".encode() for n in range(50_000))
    (cli.home / "orders.csv").write_bytes(data)

    run = cli.run("upload", "orders.csv", "--metadata", "source=crm", "--json")

    assert run.code == 0, run.stderr
    result = run.json()
    assert (result["status"], result["method"], result["part_count"]) == ("complete", "PUT", 1)
    assert (result["size"], result["content_type"]) == (len(data), "text/csv")
    assert result["checksum_crc64nvme"] == to_b64(crc64nvme(data))
    assert re.fullmatch(r"imports/[a-z2-7]{26}/" + re.escape(result["import_id"]), result["key"])
    obj = stored(moto, cli, result)
    assert obj["Data"] == data
    assert obj["ContentType"] == "text/csv"
    assert obj["Metadata"] == {"filename": "orders.csv", "source": "crm"}
    # Progress went to stderr, the result alone to stdout.
    assert "in one PUT" in run.stderr
    # moto stores the declared CRC but neither checks nor reports one back: not "verified".
    assert result["checksum_verified"] is False


def test_an_empty_file_is_imported(moto: MotoServer, cli: Cli) -> None:
    (cli.home / "_SUCCESS").write_bytes(b"")

    run = cli.run("upload", "_SUCCESS")

    assert run.code == 0, run.stderr
    assert "size        0 B (0 bytes)" in run.stdout
    key = re.search(r"^complete: (\S+)$", run.stdout, re.MULTILINE)
    assert key, run.stdout
    obj = stored(moto, cli, {"key": key.group(1)})
    assert (obj["Data"], obj["ContentLength"]) == (b"", 0)
    assert obj["Metadata"] == {"filename": "_SUCCESS"}


def test_large_file_is_multipart_in_parallel_and_verified(moto: MotoServer, cli: Cli) -> None:
    data = random_file(cli.home / "measurements.bin", 40 * MIB + 123)

    run = cli.run("upload", "measurements.bin", "--concurrency", "4", "--json")

    assert run.code == 0, run.stderr
    result = run.json()
    # Above examples/local's 16 MiB threshold: the server's plan, 16 MiB parts.
    assert (result["method"], result["part_size"], result["part_count"]) == (
        "MULTIPART",
        16 * MIB,
        3,
    )
    assert (result["parts_uploaded"], result["parts_resumed"]) == (3, 0)
    assert result["content_type"] == "application/octet-stream"
    obj = stored(moto, cli, result)
    assert obj["Data"] == data
    assert obj["ETag"] == result["etag"]
    assert obj["ChecksumCRC64NVME"] == result["checksum_crc64nvme"] == to_b64(crc64nvme(data))
    assert not list((cli.home / "state").glob("*.json"))  # the journal forgets it when done


def test_human_output_and_part_size(moto: MotoServer, cli: Cli) -> None:
    random_file(cli.home / "data.bin", 17 * MIB)

    run = cli.run("upload", "data.bin", "--part-size", "5MiB", "--content-type", "application/json")

    assert run.code == 0, run.stderr
    assert re.search(r"^complete: imports/\S+$", run.stdout, re.MULTILINE), run.stdout
    assert "multipart, 4 parts of 5.0 MiB" in run.stdout
    # moto answers CompleteMultipartUpload without the CRC it would have computed.
    assert "(declared; S3 reported none back)" in run.stdout
    assert "17.0 MiB of 17.0 MiB (100%), 4/4 parts" in run.stderr  # the plain progress lines


def test_stdin_with_its_size(moto: MotoServer, cli: Cli) -> None:
    data = secrets.token_bytes(20 * MIB + 5)

    run = cli.run("upload", "-", "--size", str(len(data)), "--json", stdin=data)

    assert run.code == 0, run.stderr
    result = run.json()
    assert result["method"] == "MULTIPART"  # a long stream is read once, a part at a time
    assert result["checksum_crc64nvme"] == to_b64(crc64nvme(data))
    assert stored(moto, cli, result)["Data"] == data


def test_stdin_needs_a_size_and_the_exact_one(cli: Cli) -> None:
    missing = cli.run("upload", "-", stdin=b"abc")
    short = cli.run("upload", "-", "--size", "10", "--json", stdin=b"abc")

    assert missing.code == 2
    assert "--size" in missing.stderr
    assert short.code == 6
    assert "the stream ended after 3 bytes; --size said 10" in short.stderr


# --- refusals -------------------------------------------------------------------------------


def test_disallowed_type_is_explained_and_not_retried(cli: Cli, faults: FaultProxy) -> None:
    (cli.home / "logo.png").write_bytes(b"\x89PNG not really")

    run = cli.run("upload", "logo.png", "--json", proxy=faults)

    assert run.code == 3
    assert "415 ContentTypeNotAllowed" in run.stderr
    assert "pass --content-type with an allowed type" in run.stderr
    assert "application/json, application/octet-stream, text/csv" in run.stderr
    assert run.json()["code"] == "ContentTypeNotAllowed"
    assert len(faults.requests("POST", r"/import$")) == 1  # a 4xx is final


def test_unknown_import_is_exit_5(cli: Cli) -> None:
    run = cli.run("status", "a" * 40)
    assert run.code == 5
    assert "404" in run.stderr
    assert "no such import for this caller" in run.stderr


def test_missing_api_url_is_a_usage_error(cli: Cli) -> None:
    cli.env.pop("SIGNED_IMPORT_API")
    run = cli.run("status", "x")
    assert run.code == 2
    assert "SIGNED_IMPORT_API" in run.stderr


# --- interruption and resume ----------------------------------------------------------------


def test_interrupted_upload_resumes_when_run_again(
    moto: MotoServer, cli: Cli, faults: FaultProxy
) -> None:
    data = random_file(cli.home / "big.bin", 40 * MIB)
    args = ["upload", "big.bin", "--part-size", "5MiB", "--concurrency", "2"]

    interrupted = interrupt_after_parts(cli, faults, args, parts=3)

    assert interrupted.code == 130, interrupted.stderr
    import_id = import_id_in(interrupted.stderr)
    assert "run the same command again" in interrupted.stderr
    status = cli.run("status", import_id, "--json").json()
    assert status["status"] == "uploading"
    assert 3 <= status["parts_uploaded"] < 8

    resumed = cli.run(*args, "--json")

    assert resumed.code == 0, resumed.stderr
    result = resumed.json()
    assert result["import_id"] == import_id
    assert result["parts_resumed"] == status["parts_uploaded"]
    assert result["parts_resumed"] + result["parts_uploaded"] == 8
    assert "already stored (resuming)" in resumed.stderr
    assert stored(moto, cli, result)["Data"] == data


def test_resume_from_another_directory_and_journal(
    moto: MotoServer, cli: Cli, faults: FaultProxy, tmp_path_factory: pytest.TempPathFactory
) -> None:
    data = random_file(cli.home / "big.bin", 30 * MIB)
    interrupted = interrupt_after_parts(
        cli,
        faults,
        ["upload", "big.bin", "--part-size", "5MiB", "--concurrency", "2"],
        parts=2,
        sig=signal.SIGTERM,
    )
    assert interrupted.code == 130, interrupted.stderr
    import_id = import_id_in(interrupted.stderr)
    # Another machine: another directory, another copy of the file, no journal.
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (elsewhere / "copy.bin").write_bytes(data)
    cli.env["SIGNED_IMPORT_STATE_DIR"] = str(elsewhere / "state")

    run = cli.run("resume", import_id, "copy.bin", "--json", cwd=elsewhere)

    assert run.code == 0, run.stderr
    result = run.json()
    assert result["import_id"] == import_id
    assert result["parts_resumed"] >= 2
    assert stored(moto, cli, result)["Data"] == data
    # Done is done: resuming again reports the complete import.
    again = cli.run("resume", import_id, "copy.bin", "--json", cwd=elsewhere)
    assert again.code == 0, again.stderr
    assert (again.json()["key"], again.json()["parts_uploaded"]) == (result["key"], 0)


def test_changed_file_is_refused_then_restarted(
    moto: MotoServer, cli: Cli, faults: FaultProxy
) -> None:
    path = cli.home / "big.bin"
    random_file(path, 30 * MIB)
    args = ["upload", "big.bin", "--part-size", "5MiB", "--concurrency", "1"]
    interrupted = interrupt_after_parts(cli, faults, args, parts=2)
    import_id = import_id_in(interrupted.stderr)
    changed = random_file(path, 30 * MIB)  # same size, other bytes

    refused = cli.run(*args, "--json")

    assert refused.code == 6
    assert f"changed since import {import_id} began" in refused.stderr
    assert "--restart" in refused.stderr
    assert refused.json()["import_id"] == import_id
    wrong_size = cli.run("resume", import_id, "-", "--size", "10", stdin=b"0123456789")
    assert wrong_size.code == 6
    assert f"import {import_id} is {30 * MIB} bytes; this file has 10" in wrong_size.stderr

    restarted = cli.run(*args, "--restart", "--json")

    assert restarted.code == 0, restarted.stderr
    assert f"aborted the unfinished import {import_id}" in restarted.stderr
    assert restarted.json()["import_id"] != import_id
    assert stored(moto, cli, restarted.json())["Data"] == changed
    assert cli.run("status", import_id).code == 5  # the old import is gone


def test_abort_frees_an_interrupted_import(cli: Cli, faults: FaultProxy) -> None:
    random_file(cli.home / "big.bin", 30 * MIB)
    interrupted = interrupt_after_parts(
        cli, faults, ["upload", "big.bin", "--part-size", "5MiB", "--concurrency", "1"], parts=1
    )
    import_id = import_id_in(interrupted.stderr)

    aborted = cli.run("abort", import_id, "--json")

    assert aborted.code == 0, aborted.stderr
    assert aborted.json() == {"status": "aborted", "import_id": import_id}
    assert not list((cli.home / "state").glob("*.json"))
    assert cli.run("status", import_id).code == 5
    assert cli.run("abort", import_id).code == 5


# --- faults ---------------------------------------------------------------------------------


def test_api_5xx_and_429_are_retried(moto: MotoServer, cli: Cli, faults: FaultProxy) -> None:
    data = random_file(cli.home / "data.bin", 17 * MIB)
    faults.add(Rule("POST", r"/import$", status=503, body=b'{"message": "unavailable"}'))
    faults.add(
        Rule(
            "POST",
            r"/parts$",
            status=429,
            headers={"Retry-After": "1"},
            body=b'{"error": {"code": "Throttled", "message": "slow down"}}',
        )
    )
    faults.add(Rule("POST", r"/complete$", status=502, body=b"Bad Gateway"))

    started = time.monotonic()
    run = cli.run("upload", "data.bin", "--part-size", "5MiB", "--json", proxy=faults)

    assert run.code == 0, run.stderr
    assert time.monotonic() - started >= 1.0  # Retry-After was honoured
    assert [s.status for s in faults.requests("POST", r"/import$")] == [503, 201]
    assert [s.status for s in faults.requests("POST", r"/complete$")] == [502, 200]
    signs = faults.requests("POST", r"/parts$")
    # The four parts are signed in one call (a batch), throttled once and then answered.
    assert [s.status for s in signs] == [429, 200]
    assert stored(moto, cli, run.json())["Data"] == data


def test_s3_errors_dropped_connections_and_expired_urls(
    moto: MotoServer, cli: Cli, faults: FaultProxy
) -> None:
    data = random_file(cli.home / "data.bin", 20 * MIB)
    faults.add(
        Rule("PUT", r"partNumber=1&", status=500, body=b"<Error><Code>InternalError</Code></Error>")
    )
    faults.add(Rule("PUT", r"partNumber=2&", drop=True))
    faults.add(Rule("PUT", r"partNumber=3&", status=403, body=EXPIRED_URL_BODY))

    run = cli.run("upload", "data.bin", "--part-size", "5MiB", "--json", proxy=faults)

    assert run.code == 0, run.stderr
    puts = {
        n: [s.status for s in faults.requests("PUT", rf"partNumber={n}&")] for n in (1, 2, 3, 4)
    }
    assert puts == {1: [500, 200], 2: [None, 200], 3: [403, 200], 4: [200]}
    # The four parts signed in one batch, and the expired URL once more, on its own.
    signed = [
        [part["part_number"] for part in json.loads(s.body or b"{}")["parts"]]
        for s in faults.requests("POST", r"/parts$")
    ]
    assert signed == [[1, 2, 3, 4], [3]]
    assert stored(moto, cli, run.json())["Data"] == data


def test_a_failure_that_persists_ends_with_exit_7_and_stays_resumable(
    moto: MotoServer, cli: Cli, faults: FaultProxy
) -> None:
    data = random_file(cli.home / "data.bin", 17 * MIB)
    faults.add(Rule("PUT", r"partNumber=2&", status=503, headers={"Retry-After": "0"}, times=100))

    failed = cli.run("upload", "data.bin", "--part-size", "5MiB", "--json", proxy=faults)

    assert failed.code == 7, failed.stderr
    assert "S3 refused part 2: 503" in failed.stderr
    assert len(faults.requests("PUT", r"partNumber=2&")) == 6  # every try of the policy
    import_id = failed.json()["import_id"]
    resumed = cli.run("upload", "data.bin", "--json")  # no proxy: S3 answers again
    assert resumed.code == 0, resumed.stderr
    assert resumed.json()["import_id"] == import_id
    assert stored(moto, cli, resumed.json())["Data"] == data


# --- many files: `upload DIR --recursive` ---------------------------------------------------
# A batch of 200 small files and a multipart one, interrupted half-way (SIGINT, as Ctrl-C) and
# run again, leaves every file in the bucket exactly once, checked against the bucket itself.


def batch_files(root: Path) -> dict[str, bytes]:
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


def batch_in_bucket(moto: MotoServer, bucket: str, tag: str) -> dict[str, list[bytes]]:
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


def json_lines(run: Run) -> list[dict[str, Any]]:
    return [json.loads(line) for line in run.stdout.splitlines() if line.strip()]


def test_an_interrupted_batch_run_again_stores_every_file_once(
    moto: MotoServer, cli: Cli, faults: FaultProxy
) -> None:
    proxy = faults
    data = batch_files(cli.home / "exports")
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
    # The small files' imports were declared a hundred a call; large.bin created its own (a
    # second call when the stack's threshold makes it a single PUT, which declares its CRC).
    assert 1 <= len(proxy.requests("POST", r"/imports(\?|$)")) <= 3
    assert len(proxy.requests("POST", r"/import(\?|$)")) <= 2
    summary = json_lines(first)[-1]["summary"]
    assert 0 < summary["complete"] < len(data)
    assert summary["not_started"] > 0
    assert again.code == 0, again.stderr
    outcomes = json_lines(again)[:-1]
    statuses = {line["relative_path"]: line["status"] for line in outcomes}
    assert len(statuses) == len(data)
    assert set(statuses.values()) <= {"complete", "already_imported"}
    assert sum(s == "already_imported" for s in statuses.values()) >= summary["complete"]
    stored = batch_in_bucket(moto, cli.bucket, tag)
    assert {name: [to_b64(crc64nvme(b)) for b in bodies] for name, bodies in stored.items()} == {
        name: [to_b64(crc64nvme(body))] for name, body in data.items()
    }  # every file, once, with its bytes


def test_a_batch_run_a_third_time_sends_nothing(cli: Cli, faults: FaultProxy) -> None:
    proxy = faults
    (cli.home / "d").mkdir()
    for number in range(5):
        (cli.home / "d" / f"{number}.csv").write_bytes(b"a,b\n" * (number + 1))
    first = cli.run("upload", "d", "-r", "--json")
    proxy.clear()

    again = cli.run("upload", "d", "-r", "--json", proxy=proxy)

    assert (first.code, again.code) == (0, 0)
    assert [line["status"] for line in json_lines(again)[:-1]] == ["already_imported"] * 5
    assert proxy.seen == []  # not one request
