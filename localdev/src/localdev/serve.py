"""The deployed function behind a local gateway of its own, in a process of its own.

Another container of the same function, as Lambda starts one: the zip Terraform deployed, the
environment Terraform gave it, with a runtime environment of the caller's choosing — its S3
endpoint through a fault proxy, say. Its own process also keeps a load generator from
competing with the signer for one interpreter.

    python -m localdev.serve SPEC.json

SPEC holds `document` (the openapi_document output, parsed), `stage`, `function` (the
function's GetFunction Configuration), `zip`, `runtime_env`, and optionally
`integration_timeout_ms` (every operation's, instead of the document's) and `method_settings`
(the stage's GetStage methodSettings, whose throttle it applies). The process prints
the stage's invoke URL on one line and serves until its stdin closes or it is terminated. It
logs warnings and errors to stderr, each with the record's structured fields.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from localdev.deployed_lambda import load_deployed_handler
from localdev.emulator import LOOPBACK
from localdev.gateway import LocalGateway, StageThrottle

# Attributes every LogRecord has; anything else on a record is a structured field.
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class FieldsFormatter(logging.Formatter):
    """`time level logger message {fields}`, much as Lambda's JSON log format keeps them."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = {k: v for k, v in vars(record).items() if k not in _RECORD_ATTRIBUTES}
        if fields:
            text += " " + json.dumps(fields, default=str, sort_keys=True)
        return text


def _with_timeout(document: dict[str, Any], timeout_ms: int) -> dict[str, Any]:
    for item in document.get("paths", {}).values():
        for operation in item.values():
            integration = operation.get("x-amazon-apigateway-integration")
            if isinstance(integration, dict) and integration.get("type") == "aws_proxy":
                integration["timeoutInMillis"] = timeout_ms
    return document


def _wait_for_eof(stop: threading.Event) -> None:
    sys.stdin.read()
    stop.set()


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[1]).read_text())
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(FieldsFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    function = spec["function"]
    invoke = load_deployed_handler(function, Path(spec["zip"]), spec["runtime_env"])
    document = spec["document"]
    if spec.get("integration_timeout_ms") is not None:
        document = _with_timeout(document, int(spec["integration_timeout_ms"]))
    gateway = LocalGateway(
        document,
        spec["stage"],
        invoke,
        function_name=function["FunctionName"],
        function_timeout_ms=int(function["Timeout"]) * 1000,
        stage_throttle=StageThrottle.from_stage({"methodSettings": spec.get("method_settings")}),
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with gateway:
        gateway.serve(LOOPBACK, 0)
        print(gateway.invoke_url, flush=True)
        # The parent holds our stdin: its end (or its death) is ours.
        threading.Thread(target=_wait_for_eof, args=(stop,), daemon=True).start()
        while not stop.wait(0.5):
            pass
    return 0


@contextmanager
def served(
    document: Mapping[str, Any],
    stage: str,
    function: Mapping[str, Any],
    zip_path: Path,
    runtime_env: Mapping[str, str],
    *,
    integration_timeout_ms: int | None = None,
    log_path: Path | None = None,
    method_settings: Mapping[str, Any] | None = None,
) -> Iterator[str]:
    """Run `python -m localdev.serve` for the function; yield its invoke URL. Its stderr (the
    signer's warnings and errors) goes to `log_path` (a temporary file when None)."""
    spec = {
        "document": document,
        "stage": stage,
        "function": function,
        "zip": str(zip_path),
        "runtime_env": dict(runtime_env),
        "integration_timeout_ms": integration_timeout_ms,
        "method_settings": dict(method_settings or {}),  # the stage's: its throttle applies
    }
    with tempfile.TemporaryDirectory(prefix="localdev-serve-") as directory:
        spec_path = Path(directory) / "spec.json"
        spec_path.write_text(json.dumps(spec, default=str))
        log = log_path or Path(directory) / "serve.log"
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONUNBUFFERED": "1",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        with log.open("ab") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", "localdev.serve", str(spec_path)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                env=env,
                start_new_session=True,  # a terminal's Ctrl-C reaches the parent, which stops us
            )
        stdin, stdout = process.stdin, process.stdout
        if stdin is None or stdout is None:
            raise RuntimeError("no pipes to localdev.serve")
        try:
            url = stdout.readline().decode().strip()
            if not url:
                process.wait(timeout=10)
                tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
                raise RuntimeError(f"localdev.serve exited with {process.returncode}:\n{tail}")
            yield url
        finally:
            stdin.close()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            stdout.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
