"""Stacks applied once and shared by every test that needs them, across pytest's workers and
across pytest runs.

    python -m localdev.shared_stacks -- COMMAND [ARG...]

applies each variable set of VARIABLE_SETS (examples/local, on a moto_server of its own) in the
background and runs COMMAND at once, so that what needs no stack (lint, unit suites) runs while
Terraform applies. COMMAND finds the stacks through LOCALDEV_SHARED_STACKS, a directory where
each stack's description appears as `<name>.json` once it is applied (or its error, if the
apply failed). When COMMAND ends, every stack is destroyed and its emulator must hold nothing
the module created. The exit status is COMMAND's, or 1 if a stack failed to deploy or to go.
Run inside another such command, it runs COMMAND with the stacks it already has.

Tests take a stack through localdev.pytest_plugin's `local_deployment` fixture; without
LOCALDEV_SHARED_STACKS (one test file run by hand) the session applies its own.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from localdev import REPOSITORY
from localdev.emulator import MotoServer
from localdev.stack import Deployment, applied, leftovers

ENVIRONMENT = "LOCALDEV_SHARED_STACKS"
# examples/local's variables for each shared stack, by name (besides its moto endpoint).
VARIABLE_SETS: Mapping[str, Mapping[str, str]] = {"local": {}}
# An apply on moto takes about 100 s on two busy cores; a waiting test gives up long after.
WAIT_SECONDS = 900.0


def wait_for(name: str, directory: Path, timeout: float = WAIT_SECONDS) -> Deployment:
    """The shared stack `name` once it is applied; its apply's error if it failed."""
    if name not in VARIABLE_SETS:
        raise KeyError(f"no shared stack {name!r}: there are {sorted(VARIABLE_SETS)}")
    if not directory.is_dir():
        raise RuntimeError(f"{ENVIRONMENT}={directory} names no directory: a stale setting?")
    ready, failed = directory / f"{name}.json", directory / f"{name}.error"
    deadline = time.monotonic() + timeout
    while not ready.exists():
        if failed.exists():
            raise RuntimeError(f"the shared stack {name!r} was not applied:\n{failed.read_text()}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"the shared stack {name!r} was not applied within {timeout:.0f}s")
        time.sleep(0.5)
    return Deployment.from_json(ready.read_text())


@contextmanager
def own_deployment(name: str, state_dir: Path) -> Iterator[Deployment]:
    """The stack `name` applied on a moto_server of its own, for as long as it is used; then
    destroyed, and nothing the module created may be left in the emulator."""
    with MotoServer() as moto:
        with applied(moto, state_dir, VARIABLE_SETS[name]) as terraform:
            yield Deployment(moto, terraform, terraform.outputs())
        left = leftovers(moto)
        if left:
            raise AssertionError(f"the stack {name!r} was destroyed but left {left}")


class _Deployer(threading.Thread):
    """Applies one stack, publishes it, keeps it until told to go, then destroys it."""

    def __init__(self, name: str, directory: Path) -> None:
        super().__init__(name=f"shared-stack-{name}")
        self.stack_name = name
        self.directory = directory
        self.release = threading.Event()
        self.error = ""

    def run(self) -> None:
        published = self.directory / f"{self.stack_name}.json"
        try:
            with own_deployment(self.stack_name, self.directory / self.stack_name) as deployment:
                temporary = published.with_suffix(".tmp")
                temporary.write_text(deployment.to_json())
                temporary.rename(published)  # whole, or not there yet
                self.release.wait()
        except Exception:  # reported to the tests waiting, and by main's exit status
            self.error = traceback.format_exc()
            (self.directory / f"{self.stack_name}.error").write_text(self.error)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localdev.shared_stacks")
    parser.add_argument("command", nargs="+", help="what to run while the stacks exist")
    command = parser.parse_args(argv).command
    if os.environ.get(ENVIRONMENT):
        return _run_to_the_end(command, dict(os.environ))

    build = REPOSITORY / "build"
    build.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=build) as scratch:
        directory = Path(scratch)
        deployers = [_Deployer(name, directory) for name in VARIABLE_SETS]
        for deployer in deployers:
            deployer.start()
        try:
            status = _run_to_the_end(command, {**os.environ, ENVIRONMENT: str(directory)})
        finally:
            # Also after Ctrl-C: an apply under way finishes, then every stack is destroyed;
            # a further Ctrl-C must not abandon a destroy half-way (nor interrupt join(), which
            # can leave a thread looking finished while it runs).
            print("localdev.shared_stacks: destroying the shared stacks", file=sys.stderr)
            previous = signal.signal(signal.SIGINT, _still_destroying)
            try:
                for deployer in deployers:
                    deployer.release.set()
                for deployer in deployers:
                    deployer.join()
            finally:
                signal.signal(signal.SIGINT, previous)
            failed = [d for d in deployers if d.error]
            for deployer in failed:
                print(f"shared stack {deployer.stack_name!r}:\n{deployer.error}", file=sys.stderr)
    return status or (1 if failed else 0)


def _run_to_the_end(command: list[str], env: dict[str, str]) -> int:
    """COMMAND's exit status. A Ctrl-C reached it too (same process group): it is left to stop
    by itself (its tests tear down what they hold) before the stacks go."""
    process = subprocess.Popen(command, env=env)
    interrupted = False
    while True:
        try:
            status = process.wait()
        except KeyboardInterrupt:
            interrupted = True
            continue
        if interrupted:
            raise KeyboardInterrupt
        return status


def _still_destroying(signum: int, frame: object) -> None:
    print("localdev.shared_stacks: still destroying, please wait", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
