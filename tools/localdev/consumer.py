"""What a consumer of the module does, over the HTTP contract only.

Single PUT: POST /import, then PUT the bytes with exactly the signed headers.
Multipart: POST /import (`multipart: true`), sign part URLs with POST /import/{id}/parts, PUT each
part with exactly its signed headers, collect the ETags, POST /import/{id}/complete; an interrupted
upload resumes from GET /import/{id}/parts. With `checksum=True` the import declares CRC-64/NVME:
each part's CRC is signed into its URL and the whole file's CRC is checked by S3 at completion.

Every API call is optionally SigV4-signed for execute-api (`Sigv4Key`); the deployed API verifies
the signature, the local gateway only reads the access key id from it to tell callers apart.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import math
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from awscrt import checksums  # type: ignore[import-untyped]
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

CHUNK = 256 * 1024
SIGN_BATCH = 10  # part URLs asked for at a time: signed shortly before they are used
CHECKSUM_ALGORITHM = "CRC64NVME"
HTTP_TIMEOUT = 60
Progress = Callable[[int, int], None]
Answer = tuple[int, dict[str, Any]]


# --- checksums ---------------------------------------------------------------------------------


def sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def crc64nvme(data: bytes | memoryview, previous: int = 0) -> int:
    """CRC-64/NVME of `data`, continuing from the CRC of the bytes before it (`previous`)."""
    return int(checksums.crc64nvme(data, previous))


def crc64nvme_b64(data: bytes | memoryview, previous: int = 0) -> str:
    """S3's form of a CRC-64/NVME (x-amz-checksum-crc64nvme): base64 of 8 big-endian bytes."""
    return crc64nvme_to_b64(crc64nvme(data, previous))


def crc64nvme_to_b64(value: int) -> str:
    return base64.b64encode(value.to_bytes(8, "big")).decode("ascii")


# --- calling the API -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Sigv4Key:
    """Credentials that SigV4-sign API calls for execute-api, as an AWS_IAM caller does."""

    access_key: str
    secret_key: str = field(repr=False)
    region: str = "us-east-1"
    session_token: str | None = field(default=None, repr=False)

    def sign(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> dict[str, str]:
        """`headers` plus Authorization, X-Amz-Date (and the session token)."""
        request = AWSRequest(method=method, url=url, data=body, headers=dict(headers))
        credentials = Credentials(self.access_key, self.secret_key, self.session_token)
        SigV4Auth(credentials, "execute-api", self.region).add_auth(request)
        return {name: str(value) for name, value in request.headers.items()}


class ApiError(RuntimeError):
    """The API answered something other than the expected success."""

    def __init__(self, route: str, status: int, answer: Mapping[str, Any]) -> None:
        super().__init__(f"{route} answered {status}: {json.dumps(answer)}")
        self.route = route
        self.status = status
        self.answer = dict(answer)


class UploadError(RuntimeError):
    """S3 refused an upload request."""


def call_api(
    method: str, url: str, payload: object = None, *, auth: Sigv4Key | None = None
) -> Answer:
    """One API call with a JSON body (or none); (status, JSON answer, {} for an empty body)."""
    body = b"" if payload is None else json.dumps(payload).encode()
    headers = {"Accept": "application/json"}
    if payload is not None:
        headers["Content-Type"] = "application/json"
    if auth is not None:
        headers = auth.sign(method, url, headers, body)
    request = urllib.request.Request(
        url, data=body if payload is not None else None, method=method, headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def import_path(import_url: str, import_id: str, *rest: str) -> str:
    """The URL of /import/{import_id}[/rest...] under the POST /import URL."""
    return "/".join([import_url.rstrip("/"), urllib.parse.quote(import_id, safe=""), *rest])


def request_import(
    import_url: str, payload: Mapping[str, Any], *, auth: Sigv4Key | None = None
) -> Answer:
    """POST /import."""
    return call_api("POST", import_url, dict(payload), auth=auth)


def import_status(import_url: str, import_id: str, *, auth: Sigv4Key | None = None) -> Answer:
    """GET /import/{import_id}."""
    return call_api("GET", import_path(import_url, import_id), auth=auth)


def abort_import(import_url: str, import_id: str, *, auth: Sigv4Key | None = None) -> Answer:
    """DELETE /import/{import_id}: 204 with an empty body ({}) when aborted."""
    return call_api("DELETE", import_path(import_url, import_id), auth=auth)


def sign_parts(
    import_url: str,
    import_id: str,
    parts: Sequence[int] | Mapping[int, str],
    *,
    auth: Sigv4Key | None = None,
) -> Answer:
    """POST /import/{import_id}/parts: part numbers, or part number -> base64 CRC-64/NVME (the
    form an import with checksum_algorithm needs: each part's checksum is signed into its URL)."""
    payload: dict[str, Any]
    if isinstance(parts, Mapping):
        payload = {
            "parts": [{"part_number": n, "checksum_crc64nvme": crc} for n, crc in parts.items()]
        }
    else:
        payload = {"part_numbers": list(parts)}
    return call_api("POST", import_path(import_url, import_id, "parts"), payload, auth=auth)


def list_parts(import_url: str, import_id: str, *, auth: Sigv4Key | None = None) -> Answer:
    """GET /import/{import_id}/parts: every part S3 holds."""
    return call_api("GET", import_path(import_url, import_id, "parts"), auth=auth)


def complete_import(
    import_url: str,
    import_id: str,
    etags: Mapping[int, str],
    *,
    checksum_crc64nvme: str | None = None,
    auth: Sigv4Key | None = None,
) -> Answer:
    """POST /import/{import_id}/complete with the parts in ascending order."""
    payload: dict[str, Any] = {
        "parts": [{"part_number": n, "etag": etags[n]} for n in sorted(etags)]
    }
    if checksum_crc64nvme is not None:
        payload["checksum_crc64nvme"] = checksum_crc64nvme
    return call_api("POST", import_path(import_url, import_id, "complete"), payload, auth=auth)


# --- talking to S3 -------------------------------------------------------------------------------


@dataclass(frozen=True)
class S3Answer:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes


def _chunks(data: bytes, progress: Progress | None) -> Iterator[bytes]:
    for start in range(0, len(data), CHUNK):
        chunk = data[start : start + CHUNK]
        yield chunk
        if progress:
            progress(start + len(chunk), len(data))


def put_to_s3(
    url: str, headers: Mapping[str, str], body: bytes | memoryview | Iterator[bytes]
) -> S3Answer:
    """PUT `body` with exactly `headers` (http.client adds only Host)."""
    parts = urllib.parse.urlsplit(url)
    connection_type = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_type(parts.netloc, timeout=HTTP_TIMEOUT)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request("PUT", target, body=body, headers=dict(headers))
        response = connection.getresponse()
        answer = {name.lower(): value for name, value in response.getheaders()}
        return S3Answer(response.status, answer, response.read())
    finally:
        connection.close()


def put_signed(url: str, headers: dict[str, str], data: bytes, progress: Progress | None) -> int:
    """PUT exactly `data` with exactly the signed headers; return S3's status."""
    return put_to_s3(url, headers, _chunks(data, progress)).status


# --- single PUT ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadResult:
    import_response: dict[str, Any]
    put_status: int
    seconds: float


def upload(
    import_url: str,
    data: bytes,
    *,
    content_type: str,
    filename: str,
    metadata: dict[str, str],
    progress: Progress | None = None,
    auth: Sigv4Key | None = None,
) -> UploadResult:
    """One import in one PUT, its SHA-256 declared (and so signed and checked by S3)."""
    status, answer = request_import(
        import_url,
        {
            "size": len(data),
            "content_type": content_type,
            "checksum_sha256": sha256_b64(data),
            "filename": filename,
            "metadata": metadata,
            "multipart": False,
        },
        auth=auth,
    )
    if status != 201:
        raise ApiError("POST /import", status, answer)
    started = time.perf_counter()
    put_status = put_signed(answer["upload"]["url"], answer["upload"]["headers"], data, progress)
    return UploadResult(answer, put_status, time.perf_counter() - started)


# --- multipart -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartUploaded:
    """Reported after each part S3 accepted."""

    part_number: int
    part_count: int
    size: int
    etag: str
    bytes_done: int  # every part S3 holds for this upload, including ones resumed from
    total: int


PartProgress = Callable[[PartUploaded], None]


@dataclass(frozen=True)
class MultipartResult:
    import_id: str
    part_size: int
    part_count: int
    uploaded: tuple[int, ...]  # parts PUT by this call, in order
    held: tuple[int, ...]  # parts S3 already held (resume), not sent again
    etags: dict[int, str]
    completion: dict[str, Any] | None  # the 200 of POST …/complete; None when interrupted
    seconds: float
    import_response: dict[str, Any] | None = None  # the 201 of POST /import (not on resume)

    @property
    def complete(self) -> bool:
        return self.completion is not None


@dataclass(frozen=True)
class _Plan:
    import_id: str
    size: int
    part_size: int
    part_count: int

    def span(self, part_number: int) -> tuple[int, int]:
        start = (part_number - 1) * self.part_size
        return start, min(start + self.part_size, self.size)

    def part_bytes(self, data: bytes, part_number: int) -> memoryview:
        start, end = self.span(part_number)
        return memoryview(data)[start:end]


def _plan(import_id: str, size: int, part_size: int, part_count: int) -> _Plan:
    if part_size < 1 or part_count != math.ceil(size / part_size):
        raise ValueError(f"{part_count} parts of {part_size} bytes cannot hold {size} bytes")
    return _Plan(import_id, size, part_size, part_count)


def _sign_batch(
    import_url: str,
    plan: _Plan,
    data: bytes,
    part_numbers: Sequence[int],
    *,
    checksum: bool,
    auth: Sigv4Key | None,
) -> dict[int, dict[str, Any]]:
    request: Sequence[int] | dict[int, str] = part_numbers
    if checksum:
        request = {n: crc64nvme_b64(plan.part_bytes(data, n)) for n in part_numbers}
    status, answer = sign_parts(import_url, plan.import_id, request, auth=auth)
    if status != 200:
        raise ApiError("POST /import/{import_id}/parts", status, answer)
    return {part["part_number"]: part for part in answer["parts"]}


def _upload_parts(
    import_url: str,
    plan: _Plan,
    data: bytes,
    *,
    signed: dict[int, dict[str, Any]],
    held: dict[int, str],
    checksum: bool,
    progress: PartProgress | None,
    stop_after_parts: int | None,
    auth: Sigv4Key | None,
    started: float,
    import_response: dict[str, Any] | None = None,
) -> MultipartResult:
    """PUT every part not in `held`, signing URLs a batch at a time, then complete."""
    etags = dict(held)
    todo = [n for n in range(1, plan.part_count + 1) if n not in held]
    uploaded: list[int] = []
    done = sum(end - start for start, end in map(plan.span, held))
    for index, number in enumerate(todo):
        if stop_after_parts is not None and len(uploaded) >= stop_after_parts:
            break
        if number not in signed:
            batch = todo[index : index + SIGN_BATCH]
            signed.update(_sign_batch(import_url, plan, data, batch, checksum=checksum, auth=auth))
        part = signed.pop(number)
        body = plan.part_bytes(data, number)
        if part["size"] != len(body):
            raise UploadError(f"part {number} is signed for {part['size']} bytes, not {len(body)}")
        stored = put_to_s3(part["url"], part["headers"], body)
        if stored.status != 200 or "etag" not in stored.headers:
            raise UploadError(f"S3 refused part {number}: {stored.status} {stored.body[:500]!r}")
        etags[number] = stored.headers["etag"]
        uploaded.append(number)
        done += len(body)
        if progress:
            progress(
                PartUploaded(number, plan.part_count, len(body), etags[number], done, plan.size)
            )
    completion = None
    if len(etags) == plan.part_count:
        status, answer = complete_import(import_url, plan.import_id, etags, auth=auth)
        if status != 200:
            raise ApiError("POST /import/{import_id}/complete", status, answer)
        completion = answer
    return MultipartResult(
        import_id=plan.import_id,
        part_size=plan.part_size,
        part_count=plan.part_count,
        uploaded=tuple(uploaded),
        held=tuple(sorted(held)),
        etags=etags,
        completion=completion,
        seconds=time.perf_counter() - started,
        import_response=import_response,
    )


def upload_multipart(
    import_url: str,
    data: bytes,
    *,
    content_type: str,
    filename: str,
    metadata: Mapping[str, str],
    part_size: int | None = None,
    checksum: bool = True,
    progress: PartProgress | None = None,
    stop_after_parts: int | None = None,
    auth: Sigv4Key | None = None,
) -> MultipartResult:
    """A multipart import of `data`, completed unless `stop_after_parts` interrupts it first
    (then `resume_multipart` picks it up). With `checksum`, the file's CRC-64/NVME is declared in
    POST /import and each part's is signed into its URL."""
    started = time.perf_counter()
    payload: dict[str, Any] = {
        "size": len(data),
        "content_type": content_type,
        "filename": filename,
        "metadata": dict(metadata),
        "multipart": True,
    }
    if part_size is not None:
        payload["part_size"] = part_size
    if checksum:
        payload["checksum_algorithm"] = CHECKSUM_ALGORITHM
        payload["checksum_crc64nvme"] = crc64nvme_b64(data)
    status, answer = request_import(import_url, payload, auth=auth)
    if status != 201:
        raise ApiError("POST /import", status, answer)
    upload_plan = answer["upload"]
    if upload_plan["method"] != "MULTIPART":
        raise ApiError("POST /import", status, answer)
    plan = _plan(
        answer["import_id"], len(data), upload_plan["part_size"], upload_plan["part_count"]
    )
    return _upload_parts(
        import_url,
        plan,
        data,
        signed={part["part_number"]: part for part in upload_plan["parts"]},
        held={},
        checksum=checksum,
        progress=progress,
        stop_after_parts=stop_after_parts,
        auth=auth,
        started=started,
        import_response=answer,
    )


def resume_multipart(
    import_url: str,
    import_id: str,
    data: bytes,
    *,
    checksum: bool = True,
    progress: PartProgress | None = None,
    stop_after_parts: int | None = None,
    auth: Sigv4Key | None = None,
) -> MultipartResult:
    """Finish an interrupted multipart import: keep the parts S3 holds with the planned size
    (and, when listed, this data's CRC), upload the others with fresh URLs, complete.
    `checksum` must say what the import was created with."""
    started = time.perf_counter()
    status, answer = list_parts(import_url, import_id, auth=auth)
    if status != 200:
        raise ApiError("GET /import/{import_id}/parts", status, answer)
    if answer["size"] != len(data):
        raise UploadError(f"import {import_id} is {answer['size']} bytes, the data {len(data)}")
    plan = _plan(import_id, answer["size"], answer["part_size"], answer["part_count"])
    held: dict[int, str] = {}
    for part in answer["parts"]:
        number = part["part_number"]
        if not 1 <= number <= plan.part_count:
            continue  # not in the plan: completion lists only planned parts
        body = plan.part_bytes(data, number)
        listed_crc = part.get("checksum_crc64nvme")
        if part["size"] == len(body) and listed_crc in (None, crc64nvme_b64(body)):
            held[number] = part["etag"]
    return _upload_parts(
        import_url,
        plan,
        data,
        signed={},
        held=held,
        checksum=checksum,
        progress=progress,
        stop_after_parts=stop_after_parts,
        auth=auth,
        started=started,
    )


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
