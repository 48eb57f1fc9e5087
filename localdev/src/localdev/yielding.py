"""Run a command that yields the CPU to everything else on the machine.

    python -m localdev.yielding -- COMMAND [ARG...]

`nice -n 19` alone yields only to processes of its own session: with autogroup scheduling
(kernel.sched_autogroup_enabled, on by default in most distributions) Linux first shares the CPU
fairly between sessions, and the emulators, Terraform runs and browsers of the stack suites each
run in a session of their own. So COMMAND runs niced in a new session whose autogroup is niced
too (/proc/<pid>/autogroup; where autogroups are off, nice alone does it). Less than COMMAND: an
autogroup at nice 19 gets 15/1024 of a busy session's share, and a check starved that much once
took over a minute to start a Terraform provider, which Terraform gives up on ("timeout while
waiting for plugin to start"); at nice 10 (110/1024) it still leaves ~90% to each. SIGINT and
SIGTERM are passed on to the new session, so Ctrl-C stops COMMAND as before. The exit status is
COMMAND's (128 + the signal's number when a signal ended it).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from types import FrameType

NICENESS = 19  # COMMAND's processes, among those of its session
SESSION_NICENESS = 10  # its session's autogroup, among the machine's sessions


def yield_session_cpu(pid: int, niceness: int = SESSION_NICENESS) -> bool:
    """Give the autogroup of `pid`'s session `niceness`; False where autogroups are off."""
    try:
        Path(f"/proc/{pid}/autogroup").write_text(f"{niceness}\n")
    except OSError:
        return False
    return True


def run_yielding(
    command: list[str], niceness: int = NICENESS, session_niceness: int = SESSION_NICENESS
) -> int:
    process: subprocess.Popen[bytes] | None = None
    early: list[int] = []  # signals that came before COMMAND started

    def pass_on(signum: int, _frame: FrameType | None) -> None:
        if process is None:
            early.append(signum)
            return
        with contextlib.suppress(ProcessLookupError):  # it has just ended
            os.killpg(process.pid, signum)

    # Before the command starts: a Ctrl-C while it starts is passed on too, not lost.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, pass_on)
    process = subprocess.Popen(
        ["nice", "-n", str(niceness), *command],
        start_new_session=True,  # an autogroup of its own, which preexec_fn deprioritizes
        # In the child, after setsid and before exec: COMMAND starts in the yielding autogroup
        # (written from the parent, it could run a while before). This process has one thread.
        preexec_fn=lambda: yield_session_cpu(os.getpid(), session_niceness),  # noqa: PLW1509
    )
    for pending in early:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, pending)
    status = process.wait()
    return 128 - status if status < 0 else status


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--"]:
        args = args[1:]
    if not args:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    return run_yielding(args)


if __name__ == "__main__":
    sys.exit(main())
