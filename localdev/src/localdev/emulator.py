"""Start and stop a local moto_server on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any, cast
from urllib.parse import urlsplit

import boto3

LOOPBACK = "127.0.0.1"
REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


class MotoServer:
    """moto_server from the project's virtualenv, listening on 127.0.0.1 only."""

    def __init__(
        self,
        port: int | None = None,
        start_timeout: float = 30.0,
        *,
        loads_managed_policies: bool = False,
    ) -> None:
        """`loads_managed_policies`: IAM knows AWS's managed policies (attachable by ARN), at
        the cost of loading them into every account it serves."""
        self.port = port or free_port()
        self.loads_managed_policies = loads_managed_policies
        self.endpoint = f"http://{LOOPBACK}:{self.port}"
        self._start_timeout = start_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._log: Any = None

    @classmethod
    def at(cls, endpoint: str) -> MotoServer:
        """A handle on a moto_server another process started and stops."""
        port = urlsplit(endpoint).port
        if port is None or endpoint != f"http://{LOOPBACK}:{port}":
            raise ValueError(f"not a loopback moto_server endpoint: {endpoint}")
        return cls(port)

    def client_env(self) -> dict[str, str]:
        """What an SDK (and the signer, standing in for the Lambda runtime) needs to use it."""
        return {
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_ENDPOINT_URL_S3": self.endpoint,
        }

    def client(self, service: str) -> Any:
        """A boto3 client for this emulator, independent of the process environment."""
        # cast: boto3's stubs overload client() per literal service name.
        return cast(Any, boto3).client(
            service,
            region_name=REGION,
            endpoint_url=self.endpoint,
            aws_access_key_id="test",
            aws_secret_access_key="test",  # noqa: S106 (moto accepts any credentials)
        )

    def start(self) -> MotoServer:
        self._log = tempfile.NamedTemporaryFile(prefix="moto-", suffix=".log", delete=False)  # noqa: SIM115
        # moto_server with the fixes localdev.moto_server explains (this package, installed).
        self._process = subprocess.Popen(
            [sys.executable, "-m", "localdev.moto_server", "-H", LOOPBACK, "-p", str(self.port)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={
                **os.environ,
                "PYTHONUNBUFFERED": "1",
                "MOTO_IAM_LOAD_MANAGED_POLICIES": str(self.loads_managed_policies).lower(),
            },
            start_new_session=True,  # Ctrl-C in the terminal reaches us, not the server
        )
        deadline = time.monotonic() + self._start_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"moto_server exited early:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"moto_server did not answer within {self._start_timeout}s")

    def log_tail(self, lines: int = 20) -> str:
        if self._log is None:
            return ""
        return "\n".join(Path(self._log.name).read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        if self._log is not None:
            self._log.close()
            Path(self._log.name).unlink(missing_ok=True)
            self._log = None

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
