"""Schemathesis hooks and checks for the contract fuzzing run (loaded by the schemathesis CLI that
tests/adversarial/test_contract.py starts; see schemathesis.toml).

- `error_shape`: every 4xx or 5xx is exactly `{"error": {"code", "message"}}`, non-empty strings,
  served as application/json and never cached. The document's Error model allows more (extra
  fields, empty strings); the module promises this shape.
- `Ledger`: the status of every request sent, by operation, written to $CONTRACT_LEDGER, so the
  test can count responses and server errors itself rather than trust a summary.
- `flatmap_case`: half the bodies of POST /import(s), POST .../parts and POST .../complete are
  consumer-like ones (imports of every kind, parts 1 and 2, the completion of a small import
  with the ETags S3 answered for the bytes the hook uploaded) instead of generated ones, so that
  sequences reach every state: a generated body rarely gets past every check at once.
- `after_call`: acts as a consumer once the API signs URLs: uploads the bytes of small imports
  (a batch's too) and parts (to moto_server), so that later steps of a stateful sequence meet
  imports that have parts, or are complete, not only empty ones.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import http.client
import json
import os
import re
import threading
from typing import Any
from urllib.parse import urlsplit

import schemathesis
from hypothesis import strategies as st

MIB = 1024 * 1024
# Bytes uploaded per import or part at most: the fuzzer asks for sizes up to the module's limit.
UPLOAD_LIMIT = 5 * MIB + 1024
FILL = b"x"  # every uploaded byte, so that a part's ETag (its MD5) is known in advance


def etag(size: int) -> str:
    return '"' + hashlib.md5(FILL * size, usedforsecurity=False).hexdigest() + '"'


# Consumer-like bodies, per operation: imports of every kind and part requests of small plans
# (completions are made from the import's id, see `completion`).
SEEDS: dict[str, tuple[dict[str, Any], ...]] = {
    "POST /import": (
        {"size": 10, "content_type": "text/csv"},
        {"size": 10, "content_type": "text/csv", "multipart": True},
        {"size": 1000, "content_type": "application/json", "multipart": True},
        {"size": 5 * MIB + 10, "multipart": True, "part_size": 5 * MIB},
        {"size": 10, "multipart": True, "checksum_algorithm": "CRC64NVME"},
    ),
    "POST /import/{import_id}/parts": ({"part_numbers": [1]}, {"part_numbers": [1, 2]}),
    "POST /imports": (
        {"imports": [{"size": 10, "content_type": "text/csv"}, {"size": 0}]},
        {"imports": [{"size": 10, "filename": "a.csv"}, {"size": 10, "multipart": True}]},
    ),
}


def completion(import_id: object) -> dict[str, Any] | None:
    """What a consumer who uploaded every part of `import_id` with FILL bytes completes with:
    every part of the plan, each with the ETag S3 answered. The plan is read from the id (kind,
    nonce, size, part size: lambda_src/signed_import/keys.py), as a consumer knows its own."""
    if not isinstance(import_id, str) or not re.fullmatch(r"[a-z2-7]{52,80}", import_id):
        return None
    raw = base64.b32decode(import_id.upper() + "=" * (-len(import_id) % 8))
    if raw[0] not in b"MC":
        return None
    size, part_size = int.from_bytes(raw[17:23], "big"), int.from_bytes(raw[23:28], "big")
    if not 1 <= size <= UPLOAD_LIMIT or part_size < 1:
        return None
    count = -(-size // part_size)
    lengths = [min(part_size, size - (n - 1) * part_size) for n in range(1, count + 1)]
    return {
        "parts": [{"part_number": n, "etag": etag(length)} for n, length in enumerate(lengths, 1)]
    }


@schemathesis.hook
def flatmap_case(context: Any, case: schemathesis.Case[Any]) -> st.SearchStrategy[Any]:
    operation = f"{case.method.upper()} {case.path}"
    seeds = SEEDS.get(operation, ())
    if operation == "POST /import/{import_id}/complete":
        body = completion(case.path_parameters.get("import_id"))
        seeds = () if body is None else (body,)
    if not seeds:
        return st.just(case)

    def seeded(body: Any) -> schemathesis.Case[Any]:
        derived = case.derive(keep_auth=True)
        derived.body = copy.deepcopy(body)  # schemathesis re-derives the case's mode from it
        return derived

    return st.one_of(st.just(case), st.sampled_from(seeds).map(seeded))


def _put(url: str, headers: dict[str, str], size: int) -> None:
    split = urlsplit(url)
    if split.hostname not in ("127.0.0.1", "localhost"):
        raise AssertionError(f"a signed URL outside loopback: {split.hostname}")
    connection = http.client.HTTPConnection(split.netloc, timeout=30)
    try:
        path = f"{split.path}?{split.query}"
        connection.request("PUT", path, body=FILL * size, headers=headers)
        connection.getresponse().read()  # S3 may refuse (a declared checksum): any answer will do
    finally:
        connection.close()


@schemathesis.hook
def after_call(context: Any, case: schemathesis.Case[Any], response: schemathesis.Response) -> None:
    """Upload what the API just signed, when it is small: a single PUT, or parts."""
    request = (case.method.upper(), case.path, response.status_code)
    if request == ("POST", "/imports", 200):
        for result in json.loads(response.content)["results"]:
            upload = result.get("import", {}).get("upload", {})
            if upload and int(upload["headers"]["Content-Length"]) <= UPLOAD_LIMIT:
                _put(upload["url"], upload["headers"], int(upload["headers"]["Content-Length"]))
        return
    if request == ("POST", "/import", 201):
        upload = json.loads(response.content)["upload"]
        if upload["method"] == "PUT":
            size = int(upload["headers"]["Content-Length"])
            if size <= UPLOAD_LIMIT:
                _put(upload["url"], upload["headers"], size)
            return
        parts = upload.get("parts", [])
    elif request == ("POST", "/import/{import_id}/parts", 200):
        parts = json.loads(response.content)["parts"]
    else:
        return
    for part in parts:
        if part["size"] <= UPLOAD_LIMIT:
            _put(part["url"], part["headers"], part["size"])


@schemathesis.check
def error_shape(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case[Any]
) -> bool | None:
    if response.status_code < 400:
        return None
    content_type = response.headers.get("content-type", [""])[0]
    if content_type != "application/json":
        raise AssertionError(f"{response.status_code} served as {content_type!r}, not JSON")
    if response.headers.get("cache-control", [""])[0] != "no-store":
        raise AssertionError(f"{response.status_code} without Cache-Control: no-store")
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"{response.status_code} body is not JSON") from None
    error = body.get("error") if isinstance(body, dict) else None
    if set(body) != {"error"} or not isinstance(error, dict) or set(error) != {"code", "message"}:
        raise AssertionError(f"not the module's error shape: {body!r}")
    if not all(isinstance(value, str) and value for value in error.values()):
        raise AssertionError(f"empty or non-string code or message: {body!r}")
    return None


@schemathesis.check
class Ledger:
    """Every request's status by operation; replays of one case count once (keyed by case id)."""

    def __init__(self) -> None:
        self.path = os.environ["CONTRACT_LEDGER"]
        self.statuses: dict[str, tuple[str, int]] = {}
        self.lock = threading.Lock()

    def after_response(
        self,
        ctx: schemathesis.CheckContext,
        response: schemathesis.Response,
        case: schemathesis.Case[Any],
    ) -> None:
        with self.lock:
            self.statuses[case.id] = (f"{case.method.upper()} {case.path}", response.status_code)

    def after_run(self, ctx: schemathesis.CheckContext) -> None:
        with self.lock, open(self.path, "w", encoding="utf-8") as ledger:
            json.dump(sorted(self.statuses.values()), ledger)
