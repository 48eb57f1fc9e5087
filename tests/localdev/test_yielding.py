"""localdev.yielding: the command runs niced in a session of its own, whose autogroup is niced
too, its status comes back, and a SIGINT reaches it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

YIELDING = [sys.executable, "-m", "localdev.yielding", "--"]
REPORT = (
    "import json, os, pathlib; "
    "group = pathlib.Path('/proc/self/autogroup'); "
    "print(json.dumps({'sid': os.getsid(0), 'nice': os.nice(0), "
    "'autogroup': group.read_text() if group.exists() else None}))"
)


def test_the_command_runs_niced_in_its_own_session() -> None:
    done = subprocess.run(
        [*YIELDING, sys.executable, "-c", REPORT], capture_output=True, text=True, check=True
    )
    seen = json.loads(done.stdout)

    assert seen["nice"] == 19
    assert seen["sid"] != os.getsid(0)
    if seen["autogroup"] is not None and Path("/proc/sys/kernel/sched_autogroup_enabled").exists():
        # "/autogroup-N nice 10": yielding, yet never starved (a plugin start times out)
        assert seen["autogroup"].split()[-1] == "10"


@pytest.mark.parametrize("status", [0, 3])
def test_the_status_is_the_commands(status: int) -> None:
    done = subprocess.run(
        [*YIELDING, sys.executable, "-c", f"raise SystemExit({status})"], check=False
    )

    assert done.returncode == status


def test_a_sigint_reaches_the_command() -> None:
    wrapper = subprocess.Popen(
        [*YIELDING, sys.executable, "-c", "import time; print('up', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert wrapper.stdout is not None
    assert wrapper.stdout.readline().strip() == "up"
    started = time.monotonic()

    wrapper.send_signal(signal.SIGINT)

    assert wrapper.wait(timeout=10) == 128 + signal.SIGINT
    assert time.monotonic() - started < 10


def test_without_a_command_it_says_how_to_use_it() -> None:
    done = subprocess.run(YIELDING, capture_output=True, text=True, check=False)

    assert done.returncode == 2
    assert "python -m localdev.yielding -- COMMAND" in done.stderr
