"""`make demo` and `make local-api`: the module on moto_server, served by a local gateway.

demo:      start moto, terraform apply examples/local, serve the API from the deployed zip, act as
           a consumer (POST /import, PUT with a progress bar, read back, compare; replay the URL
           and see it refused; a multipart import part by part with CRC-64/NVME, completed and
           read back), then destroy and stop, also on failure or Ctrl-C.
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
from typing import Any

from localdev.consumer import (
    PartUploaded,
    crc64nvme_b64,
    import_status,
    progress_bar,
    put_signed,
    request_import,
    sha256_b64,
    upload,
    upload_multipart,
)
from localdev.emulator import MotoServer
from localdev.stack import LocalStack, deployed

DEMO_SIZE = 8 * 1024 * 1024
MULTIPART_SIZE = 24 * 1024 * 1024  # above examples/local's multipart threshold (16 MiB)
PART_SIZE = 5 * 1024 * 1024  # S3's smallest part: 5 parts


def mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB"


def print_part(part: PartUploaded) -> None:
    print(
        f"  part {part.part_number}/{part.part_count}  {part.size:>9} bytes  "
        f"({mib(part.bytes_done)} of {mib(part.total)})",
        flush=True,
    )


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


def single_put(import_url: str, s3: Any) -> None:
    """POST /import and one PUT with a progress bar; read back; replay the URL (412)."""
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

    replay = put_signed(answer["upload"]["url"], answer["upload"]["headers"], data, None)
    versions = s3.list_object_versions(Bucket=answer["bucket"], Prefix=answer["key"])
    unchanged = [v["VersionId"] for v in versions.get("Versions", [])] == [stored["VersionId"]]
    outcome = "object unchanged, still one version" if unchanged else "OBJECT CHANGED"
    step(f"the same URL used again is refused: {replay} ({outcome})")
    if replay != 412 or not unchanged:
        raise RuntimeError("a replayed upload URL was not refused by If-None-Match")


def multipart(import_url: str, s3: Any, bucket: str) -> None:
    """A multipart import part by part with CRC-64/NVME, completed, read back, its status."""
    data = secrets.token_bytes(MULTIPART_SIZE)
    crc = crc64nvme_b64(data)
    step(
        f"multipart import of {mib(MULTIPART_SIZE)} in parts of {mib(PART_SIZE)}, "
        f"CRC64NVME {crc} declared:"
    )
    result = upload_multipart(
        import_url,
        data,
        content_type="application/octet-stream",
        filename="measurements.bin",
        metadata={"source": "demo"},
        part_size=PART_SIZE,
        progress=print_part,
    )
    if result.completion is None:
        raise RuntimeError("the multipart import did not complete")
    key = result.completion["key"]
    stored = s3.get_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    if stored["Body"].read() != data:
        raise RuntimeError("the multipart object read back differs from the bytes uploaded")
    status, state = import_status(import_url, result.import_id)
    if status != 200 or state.get("status") != "complete":
        raise RuntimeError(f"GET /import/{{import_id}} answered {status}: {state}")

    last = len(data) - (result.part_count - 1) * result.part_size
    print()
    print("  summary")
    print(f"    import id     {result.import_id}")
    print(f"    object        s3://{bucket}/{key}")
    print(f"    size          {len(data)} bytes, identical to the upload")
    print(f"    parts         {result.part_count} x {mib(result.part_size)} (the last {mib(last)})")
    print(f"    CRC64NVME     {crc} declared, {stored.get('ChecksumCRC64NVME')} stored")
    print(f"    status        {state['status']} (GET /import/{{id}}), etag {state.get('etag')}")
    print(f"    upload speed  {len(data) / 2**20 / result.seconds:.0f} MiB/s")
    print()


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

        s3 = moto.client("s3")
        single_put(import_url, s3)
        multipart(import_url, s3, stack.outputs["bucket_name"])
    step(f"demo finished in {time.perf_counter() - started:.1f} s; nothing left running")


def serve_forever() -> None:
    with demo_stack() as (moto, stack):
        import_url = stack.import_url
        outputs = stack.outputs
        print(
            f"""
Local API ready. Authorization is not enforced locally; the caller is the access key id of a
SigV4 Authorization header (curl --aws-sigv4 ... --user KEY:SECRET), else a fixed local user.
Try:

  curl -sS -X POST {import_url} -H 'Content-Type: application/json' \\
       -d '{{"size": 5, "content_type": "text/csv"}}'

then PUT 5 bytes to the returned upload.url with every header in upload.headers, e.g.
  curl -sS -X PUT --data-binary hello -H 'Content-Type: text/csv' -H 'If-None-Match: *' \\
       '<upload.url>'

Multipart: add "multipart": true (and "part_size") to the POST body, then
  POST {import_url}/<import_id>/parts     {{"part_numbers": [1, 2]}}
  GET  {import_url}/<import_id>/parts
  POST {import_url}/<import_id>/complete  {{"parts": [{{"part_number": 1, "etag": "..."}}]}}
  GET  {import_url}/<import_id>           DELETE aborts

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
