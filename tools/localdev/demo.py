"""`make demo` and `make local-api`: the module on moto_server, served by a local gateway.

demo:      start moto, terraform apply examples/local, serve the API from the deployed zip, act as
           a consumer (POST /import, PUT with a progress bar, read back, compare), then destroy
           and stop, also on failure or Ctrl-C.
--serve:   the same stack kept running for manual curl use until Ctrl-C.
"""

from __future__ import annotations

import argparse
import secrets
import signal
import sys
import tempfile
import textwrap
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from localdev.consumer import progress_bar, request_import, sha256_b64, upload
from localdev.emulator import MotoServer
from localdev.stack import LocalStack, deployed

DEMO_SIZE = 8 * 1024 * 1024


def step(text: str) -> None:
    print(f"==> {text}", flush=True)


@contextmanager
def timed(text: str) -> Iterator[None]:
    print(f"==> {text} ...", end="", flush=True)
    started = time.perf_counter()
    try:
        yield
    except BaseException:
        print(" interrupted", flush=True)
        raise
    print(f" {time.perf_counter() - started:.1f} s", flush=True)


def _interrupt_on_signals() -> None:
    """Ctrl-C and SIGTERM both unwind through the `finally` blocks that destroy and stop.
    SIGINT is reset too: a shell that starts us in the background leaves it ignored."""

    def raise_interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, raise_interrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)


@contextmanager
def demo_stack() -> Iterator[tuple[MotoServer, LocalStack]]:
    """The emulator and the deployed stack, torn down in reverse order whatever happens."""
    with tempfile.TemporaryDirectory(prefix="signed-import-demo-") as state_dir:
        moto = MotoServer()
        with timed(f"starting moto_server on {moto.endpoint}"):
            moto.start()
        try:
            with deployed(moto, Path(state_dir), timed=timed) as stack:
                code_sha256 = stack.function["CodeSha256"]
                step(f"signer loaded from the deployed zip (CodeSha256 {code_sha256})")
                yield moto, stack
        finally:
            moto.stop()
            step("moto_server stopped")


def run_demo() -> None:
    started = time.perf_counter()
    with demo_stack() as (moto, stack):
        import_url = stack.import_url
        step(f"local API serving {import_url}")
        managed = [r for r in stack.terraform.resources() if ".data." not in r]
        kinds = Counter(address.split(".")[-2] for address in managed)
        summary = ", ".join(f"{kind} x{n}" if n > 1 else kind for kind, n in kinds.items())
        step(f"{len(managed)} resources applied:")
        print(textwrap.fill(summary, width=96, initial_indent="    ", subsequent_indent="    "))

        status, refused = request_import(import_url, {"size": 10, "content_type": "image/png"})
        step(f"a disallowed type is refused: {status} {refused['error']['code']}")

        data = secrets.token_bytes(DEMO_SIZE)
        step(f"POST /import for {DEMO_SIZE / 2**20:.0f} MiB text/csv with its SHA-256, then PUT:")
        result = upload(
            import_url,
            data,
            content_type="text/csv",
            filename="orders 2026.csv",
            metadata={"source": "demo"},
            progress=progress_bar,
        )
        answer = result.import_response
        if result.put_status != 200:
            raise RuntimeError(f"S3 refused the signed upload: {result.put_status}")

        s3 = moto.client("s3")
        stored = s3.get_object(Bucket=answer["bucket"], Key=answer["key"], ChecksumMode="ENABLED")
        body = stored["Body"].read()
        if body != data:
            raise RuntimeError("the object read back differs from the bytes uploaded")

        print()
        print("  summary")
        print(f"    import id     {answer['import_id']}")
        print(f"    object        s3://{answer['bucket']}/{answer['key']}")
        print(f"    size          {len(body)} bytes, identical to the upload")
        print(f"    sha256        {sha256_b64(body)} (declared and signed)")
        print(f"    content type  {stored['ContentType']}")
        print(f"    metadata      {stored['Metadata']}")
        print(f"    signed for    {', '.join(answer['upload']['headers'])}")
        print(f"    URL expires   {answer['expires_at']}")
        print(f"    upload speed  {len(data) / 2**20 / result.seconds:.0f} MiB/s")
        print()
    step(f"demo finished in {time.perf_counter() - started:.1f} s; nothing left running")


def serve_forever() -> None:
    with demo_stack() as (moto, stack):
        import_url = stack.import_url
        outputs = stack.outputs
        print(
            f"""
Local API ready (authorization is not enforced locally). Try:

  curl -sS -X POST {import_url} -H 'Content-Type: application/json' \\
       -d '{{"size": 5, "content_type": "text/csv"}}'

then PUT 5 bytes to the returned upload.url with every header in upload.headers, e.g.
  curl -sS -X PUT --data-binary hello -H 'Content-Type: text/csv' '<upload.url>'

S3 endpoint (moto): {moto.endpoint}   bucket: {outputs["bucket_name"]}
Press Ctrl-C to destroy the stack and stop.
""",
            flush=True,
        )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--serve", action="store_true", help="keep the local API running")
    args = parser.parse_args()
    _interrupt_on_signals()
    try:
        serve_forever() if args.serve else run_demo()
    except KeyboardInterrupt:
        print("\ninterrupted: everything started was stopped and destroyed", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
