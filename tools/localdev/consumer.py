"""What a consumer of the module does: POST /import, then PUT the bytes with the signed headers."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

CHUNK = 256 * 1024
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class UploadResult:
    import_response: dict[str, Any]
    put_status: int
    seconds: float


def sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def request_import(import_url: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        import_url,
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def _chunks(data: bytes, progress: Progress | None) -> Iterator[bytes]:
    for start in range(0, len(data), CHUNK):
        chunk = data[start : start + CHUNK]
        yield chunk
        if progress:
            progress(start + len(chunk), len(data))


def put_signed(url: str, headers: dict[str, str], data: bytes, progress: Progress | None) -> int:
    """PUT exactly `data` with exactly the signed headers; return S3's status."""
    parts = urllib.parse.urlsplit(url)
    connection_type = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_type(parts.netloc, timeout=60)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request("PUT", target, body=_chunks(data, progress), headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def upload(
    import_url: str,
    data: bytes,
    *,
    content_type: str,
    filename: str,
    metadata: dict[str, str],
    progress: Progress | None = None,
) -> UploadResult:
    status, answer = request_import(
        import_url,
        {
            "size": len(data),
            "content_type": content_type,
            "checksum_sha256": sha256_b64(data),
            "filename": filename,
            "metadata": metadata,
        },
    )
    if status != 201:
        raise RuntimeError(f"POST /import answered {status}: {answer}")
    started = time.perf_counter()
    put_status = put_signed(answer["upload"]["url"], answer["upload"]["headers"], data, progress)
    return UploadResult(answer, put_status, time.perf_counter() - started)


def progress_bar(done: int, total: int, width: int = 32) -> None:
    """Redraw one line on a terminal; in a log (CI), print a line per quarter instead."""
    percent = 100 * done // total
    if not sys.stdout.isatty():
        previous = 100 * max(done - CHUNK, 0) // total
        if done >= total or percent // 25 > previous // 25:
            print(
                f"  uploaded {percent:3d}%  {done / 2**20:5.1f}/{total / 2**20:.1f} MiB", flush=True
            )
        return
    filled = width * done // total
    bar = "#" * filled + "-" * (width - filled)
    sys.stdout.write(f"\r  [{bar}] {percent:3d}%  {done / 2**20:5.1f}/{total / 2**20:.1f} MiB")
    if done >= total:
        sys.stdout.write("\n")
    sys.stdout.flush()
