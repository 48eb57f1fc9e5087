"""`make demo` and `make local-api`: the module on moto_server, served by a local gateway.

demo:      start moto, terraform apply examples/local, serve the API from the deployed zip, act as
           a consumer with the signed-import package (client/): a single PUT with a progress
           bar, read back and compared; a signed URL replayed and refused; a multipart import
           part by part with CRC-64/NVME, completed and read back; the `signed-import` command
           on a file; then destroy and stop, also on failure or Ctrl-C.
--serve:   the same stack kept running for manual curl, `signed-import` or browser use until
           Ctrl-C; `--cors-origin ORIGIN` (repeatable) lets a web page on that origin use it, and
           the page URL of examples/browser is printed for each loopback origin;
           `--api-consumer NAME` (repeatable) gives NAME an API key on a usage plan, which every
           route then requires.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import signal
import subprocess
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
from urllib.parse import quote, urlsplit

from localdev.emulator import MotoServer
from localdev.stack import MotoStack, deployed
from signed_import_client import ApiClient, Progress, Uploader
from signed_import_client.checksums import crc64nvme, to_b64
from signed_import_client.display import LineProgress

DEMO_SIZE = 8 * 1024 * 1024
MULTIPART_SIZE = 24 * 1024 * 1024  # above examples/local's multipart threshold (16 MiB)
PART_SIZE = 5 * 1024 * 1024  # S3's smallest part: 5 parts
CLI_SIZE = 40 * 1024 * 1024
CLI = Path(sys.executable).with_name("signed-import")


def mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB"


def print_part(event: Progress) -> None:
    """A line per part as S3 stores it (parts land in any order: they go up in parallel)."""
    if event.event != "part" or event.part_number is None or event.part_size is None:
        return
    size = min(event.part_size, event.total - (event.part_number - 1) * event.part_size)
    print(
        f"  part {event.part_number}/{event.part_count}  {size:>9} bytes  "
        f"({mib(event.done)} of {mib(event.total)})",
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
def demo_stack(
    cors_origins: list[str] | None = None, api_consumers: list[str] | None = None
) -> Iterator[tuple[MotoServer, MotoStack]]:
    """The emulator and the deployed stack, torn down in reverse order whatever happens."""
    variables = {}
    if cors_origins:
        variables["cors_allowed_origins"] = json.dumps(cors_origins)
    if api_consumers:
        variables["api_consumers"] = json.dumps(api_consumers)
    with tempfile.TemporaryDirectory(prefix="signed-import-demo-") as state_dir:
        moto = MotoServer()
        with timed(f"starting moto_server on {moto.endpoint}"):
            moto.start()
        try:
            with deployed(moto, Path(state_dir), variables or None, timed=timed) as stack:
                code_sha256 = stack.function["CodeSha256"]
                step(f"signer loaded from the deployed zip (CodeSha256 {code_sha256})")
                yield moto, stack
        finally:
            moto.stop()
            step("moto_server stopped")


def single_put(import_url: str, s3: Any) -> None:
    """An 8 MiB file in one PUT with a progress bar; read back and compared."""
    data = secrets.token_bytes(DEMO_SIZE)
    crc = to_b64(crc64nvme(data))
    step(f"upload of {mib(DEMO_SIZE)} text/csv (the API signs one PUT, CRC64NVME declared):")
    with Uploader(import_url) as uploader:
        result = uploader.upload(
            data,
            content_type="text/csv",
            filename="orders 2026.csv",
            metadata={"source": "demo"},
            progress=LineProgress(sys.stdout, interval=1.0),
        )
    stored = s3.get_object(Bucket=result.bucket, Key=result.key, ChecksumMode="ENABLED")
    body = stored["Body"].read()
    if body != data:
        raise RuntimeError("the object read back differs from the bytes uploaded")

    print()
    print("  summary")
    print(f"    import id     {result.import_id}")
    print(f"    object        s3://{result.bucket}/{result.key}")
    print(f"    size          {len(body)} bytes, identical to the upload")
    # moto keeps a single PUT's checksum to itself (it checks none): S3 returns it here.
    reported = stored.get("ChecksumCRC64NVME") or "(not reported by moto)"
    print(f"    CRC64NVME     {crc} computed and signed, {reported} stored")
    print(f"    content type  {stored['ContentType']}")
    print(f"    metadata      {stored['Metadata']}")
    print(f"    upload speed  {len(data) / 2**20 / result.seconds:.0f} MiB/s")
    print()


def replay(import_url: str, s3: Any) -> None:
    """A single-PUT URL used twice: the second PUT is refused (If-None-Match: *, signed)."""
    data = b"id,amount\n1,9.50\n"
    with ApiClient(import_url) as api:
        answer = api.create(
            {
                "size": len(data),
                "content_type": "text/csv",
                "checksum_algorithm": "CRC64NVME",
                "checksum_crc64nvme": to_b64(crc64nvme(data)),
            }
        )
        upload = answer["upload"]
        first = api.http.put(upload["url"], content=data, headers=upload["headers"])
        stored = s3.head_object(Bucket=answer["bucket"], Key=answer["key"])
        again = api.http.put(upload["url"], content=data, headers=upload["headers"])
    versions = s3.list_object_versions(Bucket=answer["bucket"], Prefix=answer["key"])
    unchanged = [v["VersionId"] for v in versions.get("Versions", [])] == [stored["VersionId"]]
    outcome = "object unchanged, still one version" if unchanged else "OBJECT CHANGED"
    step(
        f"a signed URL used once ({first.status_code}) and again is refused: "
        f"{again.status_code} ({outcome})"
    )
    if first.status_code != 200 or again.status_code != 412 or not unchanged:
        raise RuntimeError("a replayed upload URL was not refused by If-None-Match")


def multipart(import_url: str, s3: Any) -> None:
    """A multipart import part by part with CRC-64/NVME, completed, read back, its status."""
    data = secrets.token_bytes(MULTIPART_SIZE)
    step(f"multipart import of {mib(MULTIPART_SIZE)} in parts of {mib(PART_SIZE)}, 4 at a time:")
    with Uploader(import_url, concurrency=4, part_size=PART_SIZE) as uploader:
        result = uploader.upload(
            data,
            content_type="application/octet-stream",
            filename="measurements.bin",
            metadata={"source": "demo"},
            progress=print_part,
        )
        state = uploader.status(result.import_id)
    stored = s3.get_object(Bucket=result.bucket, Key=result.key, ChecksumMode="ENABLED")
    if stored["Body"].read() != data:
        raise RuntimeError("the multipart object read back differs from the bytes uploaded")
    if state.get("status") != "complete":
        raise RuntimeError(f"GET /import/{{import_id}} answered {state}")

    part_size = result.part_size or PART_SIZE
    last = len(data) - (result.part_count - 1) * part_size
    print()
    print("  summary")
    print(f"    import id     {result.import_id}")
    print(f"    object        s3://{result.bucket}/{result.key}")
    print(f"    size          {len(data)} bytes, identical to the upload")
    print(f"    parts         {result.part_count} x {mib(part_size)} (the last {mib(last)})")
    print(
        f"    CRC64NVME     {result.checksum_crc64nvme} computed in one pass, "
        f"{stored.get('ChecksumCRC64NVME')} stored"
    )
    print(f"    status        {state['status']} (GET /import/{{id}}), etag {state.get('etag')}")
    print(f"    upload speed  {len(data) / 2**20 / result.seconds:.0f} MiB/s")
    print()


def command_line(import_url: str) -> None:
    """The `signed-import` command, as a consumer runs it, on a 40 MiB file."""
    with tempfile.TemporaryDirectory(prefix="signed-import-cli-") as directory:
        path = Path(directory) / "dataset.bin"
        path.write_bytes(secrets.token_bytes(CLI_SIZE))
        command = [str(CLI), "upload", str(path), "--api", import_url, "--auth", "none"]
        step(f"$ signed-import upload dataset.bin ({mib(CLI_SIZE)}) --api {import_url}")
        environment = {**os.environ, "SIGNED_IMPORT_STATE_DIR": str(Path(directory) / "state")}
        done = subprocess.run(
            command, env=environment, stderr=subprocess.STDOUT, check=False, timeout=300
        )
        if done.returncode != 0:
            raise RuntimeError(f"signed-import exited with {done.returncode}")
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

        with ApiClient(import_url) as api:
            refused = api.call("POST", payload={"size": 10, "content_type": "image/png"})
        step(f"a disallowed type is refused: {refused.status} {refused.body['error']['code']}")

        s3 = moto.client("s3")
        single_put(import_url, s3)
        replay(import_url, s3)
        multipart(import_url, s3)
        command_line(import_url)
    step(f"demo finished in {time.perf_counter() - started:.1f} s; nothing left running")


def browser_page_steps(origins: list[str], invoke_url: str, api_key: str | None = None) -> str:
    """How to open examples/browser against this API, for each origin it can be served on (with
    a consumer's API key when the routes require one)."""
    if not origins:
        return """
A web page: restart with its origin allowed, e.g.
  make local-api CORS_ORIGINS=http://127.0.0.1:8080
"""
    lines = [
        "",
        "Browser page (examples/browser), allowed origins: " + " ".join(origins),
        "  cd examples/browser && npm ci        # once: the page imports ./node_modules/...",
    ]
    for origin in origins:
        url = urlsplit(origin)
        if url.scheme != "http" or url.hostname not in ("127.0.0.1", "localhost") or not url.port:
            lines.append(f"  {origin}: serve examples/browser there yourself")
            continue
        page = f"{origin}/index.html?api={quote(invoke_url, safe=':/')}&token=local"
        if api_key is not None:
            page += f"&api_key={quote(api_key, safe='')}"
        lines += [
            f"  python3 -m http.server {url.port} --bind 127.0.0.1   # in examples/browser",
            f"  open {page}",
        ]
    lines += [
        "  The page's origin must be one of these exactly: http://localhost:8080 and",
        "  http://127.0.0.1:8080 are different origins. Any token works locally (nothing is",
        "  verified here); in AWS a page sends a Cognito or Lambda-authorizer token.",
        "",
    ]
    return "\n".join(lines)


def api_key_lines(keys: dict[str, str]) -> str:
    """The consumers' API keys, and what the routes then require."""
    if not keys:
        return ""
    lines = ["", "Every route requires an API key (x-api-key; the CLI's --api-key):"]
    lines += [f"  {consumer}: {key}" for consumer, key in sorted(keys.items())]
    return "\n".join(lines) + "\n"


def serve_forever(cors_origins: list[str], api_consumers: list[str] | None = None) -> None:
    with demo_stack(cors_origins, api_consumers) as (moto, stack):
        import_url = stack.import_url
        invoke_url = stack.gateway.invoke_url
        outputs = stack.outputs
        keys: dict[str, str] = dict(outputs.get("api_keys") or {})
        first_key = keys[api_consumers[0]] if api_consumers else None
        curl_key = f" -H 'x-api-key: {first_key}'" if first_key else ""
        cli_key = f" --api-key {first_key}" if first_key else ""
        print(
            f"""
Local API ready. Authorization is not enforced locally; the caller is the access key id of a
SigV4 Authorization header (curl --aws-sigv4 ... --user KEY:SECRET), else a fixed local user.

  stage URL (invoke_url):   {invoke_url}
  import URL (import_url):  {import_url}

Try:

  curl -sS -X POST {import_url} -H 'Content-Type: application/json'{curl_key} \\
       -d '{{"size": 5, "content_type": "text/csv"}}'

then PUT 5 bytes to the returned upload.url with every header in upload.headers, e.g.
  curl -sS -X PUT --data-binary hello -H 'Content-Type: text/csv' -H 'If-None-Match: *' \\
       '<upload.url>'

or upload a file with the signed-import command (installed in .venv by make venv):
  .venv/bin/signed-import upload FILE --api {import_url} --auth none{cli_key}

Multipart: add "multipart": true (and "part_size") to the POST body, then
  POST {import_url}/<import_id>/parts     {{"part_numbers": [1, 2]}}
  GET  {import_url}/<import_id>/parts
  POST {import_url}/<import_id>/complete  {{"parts": [{{"part_number": 1, "etag": "..."}}]}}
  GET  {import_url}/<import_id>           DELETE aborts
{api_key_lines(keys)}{browser_page_steps(cors_origins, invoke_url, first_key)}
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


def _origin(text: str) -> str:
    """An origin as a browser sends it: scheme://host[:port], no path, no trailing slash."""
    url = urlsplit(text.strip())
    if url.scheme not in ("http", "https") or not url.hostname or url.path not in ("", "/"):
        raise argparse.ArgumentTypeError(f"not an origin: {text!r} (e.g. http://127.0.0.1:8080)")
    if url.query or url.fragment:
        raise argparse.ArgumentTypeError(f"an origin has no query or fragment: {text!r}")
    return f"{url.scheme}://{url.netloc}"


def _consumer(text: str) -> str:
    """A consumer name as the module's api_consumers takes it."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,128}", text):
        raise argparse.ArgumentTypeError(f"not a consumer name: {text!r} (letters, digits, .-_)")
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--serve", action="store_true", help="keep the local API running")
    parser.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        type=_origin,
        help="with --serve: a web page origin allowed to use the API, e.g. http://127.0.0.1:8080 "
        "(repeatable; the module's cors_allowed_origins)",
    )
    parser.add_argument(
        "--api-consumer",
        action="append",
        default=[],
        metavar="NAME",
        type=_consumer,
        help="with --serve: a consumer given an API key on a local usage plan (repeatable; the "
        "routes then require a key, as with the module's usage_plans and api_consumers)",
    )
    args = parser.parse_args()
    if args.cors_origin and not args.serve:
        parser.error("--cors-origin needs --serve")
    if args.api_consumer and not args.serve:
        parser.error("--api-consumer needs --serve")
    _interrupt_on_signals()
    try:
        serve_forever(args.cors_origin, args.api_consumer) if args.serve else run_demo()
    except KeyboardInterrupt:
        print("\ninterrupted: everything started was stopped and destroyed", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
