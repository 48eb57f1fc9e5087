"""A deployed module in memory, for the client's tests: the API's routes and S3 behind signed
URLs, served through `httpx.MockTransport`.

It does what the module and S3 do for the paths the tests take: plans parts like the signer,
refuses a part or an object whose CRC-64/NVME differs from the signed one, stores objects, and —
like S3 and LocalStack, unlike moto — answers the CRC it computed (`reports_checksums`).
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from signed_import_client.checksums import combine, crc64nvme, from_b64, to_b64

API = "https://api.test/v1/import"
S3 = "https://bucket.s3.test"
MIB = 1024 * 1024
PART_SIZE = 5 * MIB


@dataclass
class Import:
    import_id: str
    size: int
    content_type: str
    multipart: bool
    crc: str | None  # the whole object's, as declared
    metadata: dict[str, str] = field(default_factory=dict)  # with the filename, as the signer
    parts: dict[int, tuple[bytes, str]] = field(default_factory=dict)  # number → (bytes, CRC)
    stored: bytes | None = None

    @property
    def key(self) -> str:
        return f"imports/{self.import_id}"

    @property
    def part_count(self) -> int:
        return -(-self.size // PART_SIZE)

    def part_length(self, number: int) -> int:
        return min(PART_SIZE, self.size - (number - 1) * PART_SIZE)


@dataclass
class FakeModule:
    multipart_threshold: int = 8 * MIB
    reports_checksums: bool = True
    imports_per_request: int = 0  # POST /imports takes this many; 0: no such route (404)
    imports: dict[str, Import] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handle))

    def fail_s3(self, failure: Callable[[], httpx.Response], after: int = 0) -> None:
        """S3 stores `after` objects or parts, then answers (or raises) what `failure` does."""
        store = self._s3
        stored = 0

        def s3(request: httpx.Request) -> httpx.Response:
            nonlocal stored
            if stored >= after:
                return failure()
            stored += 1
            return store(request)

        self._s3 = s3  # type: ignore[method-assign]

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            url = str(request.url)
            self.calls.append(f"{request.method} {url.split('?', maxsplit=1)[0]}")
            if url.startswith(S3):
                return self._s3(request)
            return self._api(request)

    # --- the API ---------------------------------------------------------------------------

    def _api(self, request: httpx.Request) -> httpx.Response:
        rest = str(request.url)[len(API) :].strip("/").split("/")
        body = json.loads(request.content) if request.content else {}
        if rest == [""] and request.method == "POST":
            return self._create(body)
        if rest == ["s"] and request.method == "POST" and self.imports_per_request:
            return self._create_many(body)
        found = self.imports.get(rest[0])
        if found is None:
            return api_error(404, "NotFound", "no such import")
        routes = {
            ("GET", ""): self._status,
            ("POST", "parts"): self._sign,
            ("GET", "parts"): self._list_parts,
            ("POST", "complete"): self._complete,
        }
        route = routes.get((request.method, "/".join(rest[1:])))
        if route is None:
            return api_error(403, "MissingAuthentication", "Missing Authentication Token")
        return route(found, body)

    def _create(self, body: dict[str, Any]) -> httpx.Response:
        size = int(body["size"])
        multipart = body.get("multipart", size > self.multipart_threshold)
        if not multipart and "checksum_crc64nvme" not in body:
            return api_error(400, "MissingChecksum", "a single PUT declares checksum_crc64nvme")
        found = Import(
            import_id=f"id{len(self.imports) + 1}",
            size=size,
            content_type=body.get("content_type", "application/octet-stream"),
            multipart=bool(multipart),
            crc=body.get("checksum_crc64nvme"),
            metadata={**body.get("metadata", {}), "filename": body.get("filename", "")},
        )
        self.imports[found.import_id] = found
        answer: dict[str, Any] = {
            "import_id": found.import_id,
            "bucket": "bucket",
            "key": found.key,
            "expires_at": "2999-01-01T00:00:00Z",
        }
        if multipart:
            answer["upload"] = {
                "method": "MULTIPART",
                "part_size": PART_SIZE,
                "part_count": found.part_count,
                "parts": [],
            }
        else:
            answer["upload"] = {
                "method": "PUT",
                "url": f"{S3}/{found.key}?X-Amz-Signature=x",
                "headers": {
                    "Content-Length": str(size),
                    "Content-Type": found.content_type,
                    "If-None-Match": "*",
                    "x-amz-checksum-crc64nvme": found.crc,
                },
            }
        return httpx.Response(201, json=answer)

    def _create_many(self, body: dict[str, Any]) -> httpx.Response:
        items = body["imports"]
        if not 1 <= len(items) <= self.imports_per_request:
            return api_error(400, "InvalidImports", f"1 to {self.imports_per_request} imports")
        results = []
        for item in items:
            if item.get("multipart") or item["size"] > self.multipart_threshold:
                error = {"code": "MultipartNotInBatch", "message": "use POST /import"}
                results.append({"status": 400, "error": error})
                continue
            answer = self._create(item)
            results.append(
                {"status": 201, "import": json.loads(answer.content)}
                if answer.status_code == 201
                else {"status": answer.status_code, **json.loads(answer.content)}
            )
        return httpx.Response(200, json={"results": results})

    def _list_parts(self, found: Import, body: dict[str, Any]) -> httpx.Response:
        if found.stored is not None:
            return api_error(409, "AlreadyComplete", "this import is complete: it has no parts")
        parts = [
            {"part_number": n, "size": len(data), "etag": f'"{n}"', "checksum_crc64nvme": c}
            for n, (data, c) in sorted(found.parts.items())
        ]
        plan = {"size": found.size, "part_size": PART_SIZE, "part_count": found.part_count}
        return httpx.Response(200, json={"import_id": found.import_id, **plan, "parts": parts})

    def _sign(self, found: Import, body: dict[str, Any]) -> httpx.Response:
        parts = []
        for entry in body["parts"]:
            number = int(entry["part_number"])
            parts.append(
                {
                    "part_number": number,
                    "size": found.part_length(number),
                    "url": f"{S3}/{found.key}?partNumber={number}&X-Amz-Signature=x",
                    "headers": {
                        "Content-Length": str(found.part_length(number)),
                        "x-amz-checksum-crc64nvme": entry["checksum_crc64nvme"],
                    },
                }
            )
        return httpx.Response(200, json={"expires_at": "2999-01-01T00:00:00Z", "parts": parts})

    def _complete(self, found: Import, body: dict[str, Any]) -> httpx.Response:
        if found.stored is None:
            whole = 0
            for number in range(1, found.part_count + 1):
                data, crc = found.parts[number]
                whole = combine(whole, from_b64(crc), len(data))
            if to_b64(whole) != body["checksum_crc64nvme"]:
                return api_error(400, "BadDigest", "the object's CRC-64/NVME differs")
            found.stored = b"".join(found.parts[n][0] for n in sorted(found.parts))
            found.parts.clear()
        answer = {
            "import_id": found.import_id,
            "bucket": "bucket",
            "key": found.key,
            "status": "complete",
            "size": found.size,
            "etag": '"whole"',
        }
        if self.reports_checksums:
            answer["checksum_crc64nvme"] = to_b64(crc64nvme(found.stored))
        return httpx.Response(200, json=answer)

    def _status(self, found: Import, body: dict[str, Any]) -> httpx.Response:
        base = {"import_id": found.import_id, "bucket": "bucket", "key": found.key}
        base["method"] = "MULTIPART" if found.multipart else "PUT"
        if found.stored is None:
            return httpx.Response(
                200, json={**base, "status": "uploading" if found.parts else "pending"}
            )
        status = {
            **base,
            "status": "complete",
            "size": len(found.stored),
            "content_type": found.content_type,
            "etag": '"whole"',
        }
        if self.reports_checksums:
            status["checksum_crc64nvme"] = to_b64(crc64nvme(found.stored))
        return httpx.Response(200, json=status)

    # --- S3 --------------------------------------------------------------------------------

    def _s3(self, request: httpx.Request) -> httpx.Response:
        key = urlsplit(str(request.url)).path.lstrip("/")
        found = next(i for i in self.imports.values() if i.key == key)
        data = request.read()
        if request.headers.get("Content-Length") != str(len(data)):
            return httpx.Response(403, text="<Error><Code>SignatureDoesNotMatch</Code></Error>")
        crc = to_b64(crc64nvme(data))
        if request.headers.get("x-amz-checksum-crc64nvme") != crc:
            return httpx.Response(400, text="<Error><Code>BadDigest</Code></Error>")
        headers = {"ETag": '"etag"'}
        if self.reports_checksums:
            headers["x-amz-checksum-crc64nvme"] = crc
        number = request.url.params.get("partNumber")
        if number is not None:
            found.parts[int(number)] = (data, crc)
            headers["ETag"] = f'"{number}"'
        elif found.stored is not None:
            return httpx.Response(412, text="<Error><Code>PreconditionFailed</Code></Error>")
        else:
            found.stored = data
        return httpx.Response(200, headers=headers)


def api_error(status: int, code: str, message: str) -> httpx.Response:
    return httpx.Response(status, json={"error": {"code": code, "message": message}})


def random_file(path: Path, size: int) -> bytes:
    """`size` random bytes written to `path`."""
    data = secrets.token_bytes(size)
    path.write_bytes(data)
    return data


def raising(error: BaseException) -> Callable[[], httpx.Response]:
    """A failure for FakeModule.fail_s3 that raises `error` inside the client."""

    def fail() -> httpx.Response:
        raise error

    return fail
