"""`make demo` as a user runs it: it finishes, proves the round trip, and leaves nothing running,
also when interrupted."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[2]
DEMO = [sys.executable, "-m", "localdev.demo"]


def start_demo(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [*DEMO, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def emulator_port(output: str) -> int:
    match = re.search(r"moto_server on http://127\.0\.0\.1:(\d+)", output)
    assert match, output
    return int(match.group(1))


def is_listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


def test_demo_round_trip_and_cleanup() -> None:
    demo = start_demo()
    output, _ = demo.communicate(timeout=600)
    assert demo.returncode == 0, output
    assert "a disallowed type is refused: 415 ContentTypeNotAllowed" in output
    assert output.count("identical to the upload") == 2  # the single PUT and the multipart
    key = r"imports/[a-z2-7]{26}/[a-z2-7]+"  # key_prefix + the caller's partition + import id
    objects = re.findall(rf"object +s3://signed-import-local-\d+/({key})\n", output)
    assert len(set(objects)) == 2, output
    assert re.search(
        r"a signed URL used once \(200\) and again is refused: 412 \(object unchanged", output
    )
    parts = re.findall(r"^  part (\d)/5 +(\d+) bytes", output, re.MULTILINE)
    assert sorted(parts) == [(str(n), str(5 * 2**20)) for n in range(1, 5)] + [
        ("5", str(4 * 2**20))
    ]
    assert "parts         5 x 5.0 MiB (the last 4.0 MiB)" in output
    assert re.search(r"CRC64NVME +(\S{12}) computed and signed", output), output
    assert re.search(r"CRC64NVME +(\S{12}) computed in one pass, \1 stored", output), output
    assert "status        complete (GET /import/{id})" in output
    # The signed-import command: its progress and its result.
    assert "40.0 MiB of 40.0 MiB (100%), 3/3 parts" in output
    assert re.search(rf"^complete: {key}$", output, re.MULTILINE), output
    assert "(declared; S3 reported none back)" in output  # moto reports no CRC back
    assert "terraform destroy" in output
    assert "nothing left running" in output
    assert not is_listening(emulator_port(output))


def test_interrupted_demo_destroys_and_stops() -> None:
    demo = start_demo()
    assert demo.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        line = demo.stdout.readline()
        lines.append(line)
        if line.startswith("==> terraform init") or not line:  # printed once init is done
            break
    # Interrupt once the apply has created something, so there is a stack to tear down.
    s3 = boto3.client(
        "s3",
        region_name="us-east-1",
        endpoint_url=f"http://127.0.0.1:{emulator_port(''.join(lines))}",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    while time.monotonic() < deadline and not s3.list_buckets()["Buckets"]:
        time.sleep(0.5)
    demo.send_signal(signal.SIGINT)
    # Read through the same buffered pipe as above (communicate() with a timeout would bypass
    # its buffer and lose the half-printed line); a watchdog ends a demo that hangs.
    watchdog = threading.Timer(300, demo.kill)
    watchdog.start()
    try:
        output = "".join(lines) + demo.stdout.read()
        demo.wait()
    finally:
        watchdog.cancel()
    assert demo.returncode == 130, output
    assert "terraform apply examples/local ... interrupted" in output
    assert re.search(r"terraform destroy \.\.\. [0-9.]+ s", output), output
    assert "moto_server stopped" in output
    assert not is_listening(emulator_port(output))
