"""Run LocalStack's S3 natively, as a real SigV4-verifying S3 for the end-to-end tests.

LocalStack lives in its own cached virtualenv (`.venv-localstack`, built from
`requirements/localstack.txt` and rebuilt whenever that file's sha256 changes), because its
pinned dependency tree clashes with the project's dev group. Each run gets a fresh port on
127.0.0.1 and a private directory for every file LocalStack writes; anything that keeps it
from becoming healthy raises `LocalStackError` with the end of its log: the end-to-end suite
fails loudly, it never skips.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from pathlib import Path

from localdev import REPOSITORY

REPO_ROOT = REPOSITORY
REQUIREMENTS = REPO_ROOT / "requirements" / "localstack.txt"
VENV_DIR = REPO_ROOT / ".venv-localstack"
STAMP_NAME = ".requirements.sha256"

HOST = "127.0.0.1"
START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 10.0
INSTALL_TIMEOUT_SECONDS = 900.0
LOG_TAIL_LINES = 40

# `python -m localstack.runtime.main`, except that S3 object bodies go to argv[1]: LocalStack 4.7
# hard-codes them to /tmp/localstack-s3-storage (no setting moves it) and never removes them.
BOOTSTRAP = """\
import sys
from localstack.services.s3 import provider
provider.DEFAULT_S3_TMP_DIR = sys.argv[1]
from localstack.runtime.main import main
main()
"""


class LocalStackError(RuntimeError):
    """LocalStack could not be installed, started or reached."""


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tail(text: str, lines: int = LOG_TAIL_LINES) -> str:
    return "\n".join(text.splitlines()[-lines:])


def _run(command: list[str]) -> None:
    result = subprocess.run(
        command,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT_SECONDS,
        check=False,
    )
    if result.returncode != 0:
        output = _tail(result.stdout + result.stderr)
        raise LocalStackError(f"{' '.join(command)} failed ({result.returncode}):\n{output}")


@contextmanager
def _exclusive(requirements: Path) -> Iterator[None]:
    """Serialize venv (re)builds of concurrent test sessions: lock the requirements file itself."""
    with requirements.open("rb") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_venv(
    venv_dir: Path = VENV_DIR, requirements: Path = REQUIREMENTS, python: str = sys.executable
) -> Path:
    """Return LocalStack's interpreter, (re)building the venv unless its stamp matches."""
    interpreter = venv_dir / "bin" / "python"
    stamp = venv_dir / STAMP_NAME
    with _exclusive(requirements):
        digest = _sha256(requirements)
        if interpreter.is_file() and stamp.is_file() and stamp.read_text().strip() == digest:
            return interpreter
        shutil.rmtree(venv_dir, ignore_errors=True)
        _run([python, "-m", "venv", str(venv_dir)])
        # Every package is pinned with `==`: --no-deps installs exactly that set, nothing more.
        pip = [str(interpreter), "-m", "pip", "--disable-pip-version-check", "--no-input"]
        _run([*pip, "install", "--quiet", "--no-deps", "--requirement", str(requirements)])
        _run([*pip, "check"])
        stamp.write_text(digest + "\n")  # last: a half-built venv has no stamp
    return interpreter


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def localstack_env(port: int, work_dir: Path) -> dict[str, str]:
    """A minimal environment (nothing inherited but PATH) confining LocalStack to `work_dir`."""
    home = work_dir / "home"
    tmp = work_dir / "tmp"
    for directory in (home, tmp):
        directory.mkdir(parents=True, exist_ok=True)
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        # Files: this machine has /.dockerenv, which would make LocalStack use /var/lib/localstack
        # and /tmp/localstack; in host mode every directory lives under FILESYSTEM_ROOT.
        "OVERRIDE_IN_DOCKER": "0",
        "FILESYSTEM_ROOT": str(work_dir / "filesystem"),
        "LOCALSTACK_VOLUME_DIR": str(work_dir / "volume"),
        "PERSISTENCE": "0",
        "TMPDIR": str(tmp),  # S3 object bodies spool here (LocalStack logs a harmless deprecation)
        "HOME": str(home),  # plux caches its entry-point index under ~/.cache
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        # Network: only S3, only on loopback. The default twisted gateway ignores the host part
        # of GATEWAY_LISTEN and binds 0.0.0.0; hypercorn honours it. No DNS server.
        "SERVICES": "s3",
        "EAGER_SERVICE_LOADING": "1",
        "GATEWAY_LISTEN": f"{HOST}:{port}",
        "GATEWAY_SERVER": "hypercorn",
        "DNS_ADDRESS": "0",
        # Nothing fetched from outside: no analytics, no certificate download.
        "DISABLE_EVENTS": "1",
        "SKIP_SSL_CERT_DOWNLOAD": "1",
        # The point of the exercise: verify every presigned URL's signature.
        "S3_SKIP_SIGNATURE_VALIDATION": "0",
    }


@dataclass(frozen=True)
class LocalStackServer:
    endpoint: str
    port: int
    log_path: Path
    process: subprocess.Popen[bytes]
    startup_seconds: float

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        return _read_tail(self.log_path, lines)


def _read_tail(log_path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        return _tail(log_path.read_text(errors="replace"), lines)
    except OSError as err:
        return f"(no log: {err})"


def _s3_state(endpoint: str) -> str | None:
    try:
        with urllib.request.urlopen(f"{endpoint}/_localstack/health", timeout=2) as response:
            health = json.load(response)
    except (OSError, ValueError):
        return None
    services = health.get("services") if isinstance(health, dict) else None
    state = services.get("s3") if isinstance(services, dict) else None
    return state if isinstance(state, str) else None


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, then SIGKILL whatever is left of it."""
    _signal_group(process, signal.SIGTERM)
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    _signal_group(process, signal.SIGKILL)  # the leader if it hung, or stragglers of its group
    process.wait(timeout=STOP_TIMEOUT_SECONDS)


def _wait_healthy(server: LocalStackServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise LocalStackError(
                f"LocalStack exited with {server.process.returncode} before S3 was available; "
                f"last lines of {server.log_path}:\n{server.log_tail()}"
            )
        if _s3_state(server.endpoint) in ("available", "running"):
            return
        time.sleep(0.2)
    raise LocalStackError(
        f"S3 was not available at {server.endpoint} within {timeout:.0f} s; "
        f"last lines of {server.log_path}:\n{server.log_tail()}"
    )


@contextmanager
def run_localstack(
    work_dir: Path, interpreter: Path | None = None, timeout: float = START_TIMEOUT_SECONDS
) -> Iterator[LocalStackServer]:
    """Start LocalStack's S3 on a free loopback port, yield it once healthy, always stop it."""
    python = interpreter or ensure_venv()
    work_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = work_dir / "localstack.log"
    started = time.monotonic()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(python), "-c", BOOTSTRAP, str(work_dir / "s3-storage")],
            cwd=work_dir,
            env=localstack_env(port, work_dir),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so _stop reaches every child
        )
    try:
        server = LocalStackServer(
            endpoint=f"http://{HOST}:{port}",
            port=port,
            log_path=log_path,
            process=process,
            startup_seconds=0.0,
        )
        _wait_healthy(server, timeout)
        yield replace(server, startup_seconds=time.monotonic() - started)
    finally:
        _stop(process)
