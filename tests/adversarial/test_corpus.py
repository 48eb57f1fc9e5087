"""The hostile corpus (corpus/hostile.json) against the deployed module: each request gets exactly
the status, error code and answering layer the corpus names, and none of them writes anything to
S3 (no object, no multipart upload, no part appears, changes or disappears).

Requests the gateway's validator refuses are also sent past it, to the function alone: what the
function answers then is named too (`behind_validator`) and writes nothing either. So a request
that API Gateway's own validator lets through, where the local one refused it, still meets the
signer's own checks (a 4xx, or for two encoding cases a harmless 201, see the corpus notes).
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from localdev.keys import partition_of

from .conftest import REPORTS, Deployment

CORPUS_PATH = Path(__file__).with_name("corpus") / "hostile.json"
CORPUS: list[dict[str, Any]] = json.loads(CORPUS_PATH.read_text())["requests"]
MIB = 1024 * 1024
# The local gateway names the caller after the access key id of a SigV4 Authorization header.
CALLERS = {
    name: f"AWS4-HMAC-SHA256 Credential={key}/20260101/us-east-1/execute-api/aws4_request, "
    "SignedHeaders=host, Signature=0"
    for name, key in (("alice", "AKIACORPUSALICE00001"), ("bob", "AKIACORPUSBOB0000002"))
}
# What API Gateway itself says (the function's messages are its own sentences).
GATEWAY_MESSAGES = {
    "Invalid request body",
    "Missing Authentication Token",
    "Request Too Long",
}
KEY = re.compile(r"imports/[a-z2-7]{26}/[a-z2-7]{40,80}")
SIGNED_HEADER = re.compile(
    r"Content-Type|Content-Length|If-None-Match|x-amz-(checksum-\w+|meta-.+)"
)
RESULTS: Counter[tuple[str, int, str]] = Counter()


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def send(
    base_url: str, method: str, path: str, headers: dict[str, str], body: bytes | None = None
) -> Answer:
    """One request exactly as given: the path is not normalised, the body not re-encoded."""
    url = urlsplit(base_url)
    connection = http.client.HTTPConnection(url.netloc, timeout=60)
    try:
        connection.putrequest(method, url.path + path, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders()
        if body is not None:
            # Refused before the whole body was read: the answer is waiting all the same.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                connection.send(body)
        response = connection.getresponse()
        return Answer(
            response.status,
            {name.lower(): value for name, value in response.getheaders()},
            response.read(),
        )
    finally:
        connection.close()


def call(
    base_url: str, method: str, path: str, caller: str = "alice", body: object = None
) -> Answer:
    headers = {"Authorization": CALLERS[caller]}
    raw = None
    if body is not None:
        headers["Content-Type"] = "application/json"
        raw = json.dumps(body).encode()
    return send(base_url, method, path, headers, raw)


def put(url: str, headers: dict[str, str], data: bytes) -> str:
    """Upload through a signed URL (moto_server); the ETag S3 answered."""
    split = urlsplit(url)
    connection = http.client.HTTPConnection(split.netloc, timeout=60)
    try:
        connection.request("PUT", f"{split.path}?{split.query}", body=data, headers=headers)
        response = connection.getresponse()
        response.read()
        assert response.status == 200, response.status
        return str(response.getheader("ETag"))
    finally:
        connection.close()


@pytest.fixture(scope="module")
def ids(deployment: Deployment) -> dict[str, str]:
    """The imports the corpus names: Alice's of every kind and state, and one of Bob's."""
    api = deployment.api.invoke_url

    def create(caller: str = "alice", **fields: Any) -> dict[str, Any]:
        answer = call(api, "POST", "/import", caller, {"content_type": "text/csv", **fields})
        assert answer.status == 201, answer.body
        created: dict[str, Any] = answer.json()
        return created

    single = create(size=10)
    multipart = create(size=6 * MIB, multipart=True, part_size=5 * MIB)
    parts = multipart["upload"]["parts"]
    etags = [put(part["url"], part["headers"], b"p" * part["size"]) for part in parts]
    complete = create(size=10, multipart=True)
    part = complete["upload"]["parts"][0]
    etag = put(part["url"], part["headers"], b"c" * 10)
    done = call(
        api,
        "POST",
        f"/import/{complete['import_id']}/complete",
        body={"parts": [{"part_number": 1, "etag": etag}]},
    )
    assert done.status == 200, done.body
    bob = create("bob", size=6 * MIB, multipart=True)
    return {
        "alice_single": single["import_id"],
        "alice_single_upper": single["import_id"].upper(),
        "alice_multipart": multipart["import_id"],
        "alice_part_1_etag": etags[0],
        "alice_part_2_etag": etags[1],
        "alice_crc": create(size=6 * MIB, multipart=True, checksum_algorithm="CRC64NVME")[
            "import_id"
        ],
        "alice_complete": complete["import_id"],
        "bob_multipart": bob["import_id"],
        # Where the signer writes for each caller: key_prefix and the caller's partition.
        "alice_partition": partition_of(single["key"]),
        "bob_partition": partition_of(bob["key"]),
    }


def fill(value: Any, ids: dict[str, str]) -> Any:
    """The corpus value with every {placeholder} replaced by the id it names."""
    if isinstance(value, str):
        return re.sub(r"\{(alice_\w+|bob_\w+)\}", lambda m: ids[m.group(1)], value)
    if isinstance(value, list):
        return [fill(item, ids) for item in value]
    if isinstance(value, dict):
        return {fill(key, ids): fill(item, ids) for key, item in value.items()}
    return value


def request_of(entry: dict[str, Any], ids: dict[str, str]) -> tuple[dict[str, str], bytes | None]:
    """The headers and body bytes an entry describes."""
    body: bytes | None = None
    if "segments" in entry:
        body = "".join(text * count for text, count in entry["segments"]).encode()
    elif "text" in entry:
        body = entry["text"].encode("utf-8", "surrogatepass")
    elif "body_b64" in entry:
        body = base64.b64decode(entry["body_b64"])
    elif "json" in entry:
        body = json.dumps(fill(entry["json"], ids)).encode()
    headers = {"Authorization": CALLERS[entry.get("caller", "alice")]}
    if body is not None:
        headers["Content-Type"] = "application/json"
    for name, value in entry.get("headers", {}).items():
        if value is None:
            headers.pop(name, None)
        else:
            headers[name] = value
    return headers, body


def s3_state(deployment: Deployment, ids: dict[str, str]) -> tuple[Any, ...]:
    """Every object and upload under the corpus callers' partitions, and the parts of their
    uploads (other suites write to the same shared stack under partitions of their own). That
    the signer calls S3 to write nowhere at all is counted by the deployment's handler."""
    s3, bucket = deployment.s3(), deployment.bucket
    prefixes = (ids["alice_partition"], ids["bob_partition"])
    objects = frozenset(
        (o["Key"], o["ETag"])
        for prefix in prefixes
        for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    )
    uploads = [
        upload
        for prefix in prefixes
        for upload in s3.list_multipart_uploads(Bucket=bucket, Prefix=prefix).get("Uploads", [])
    ]
    ours = [ids[name] for name in ("alice_multipart", "alice_crc", "bob_multipart")]
    parts = frozenset(
        (u["UploadId"], p["PartNumber"], p["ETag"])
        for u in uploads
        if any(u["Key"].endswith("/" + import_id) for import_id in ours)
        for p in s3.list_parts(Bucket=bucket, Key=u["Key"], UploadId=u["UploadId"]).get("Parts", [])
    )
    return objects, frozenset((u["Key"], u["UploadId"]) for u in uploads), parts


def check_answer(answer: Answer, expect: dict[str, Any], calls: int, entry: str) -> None:
    assert answer.status == expect["status"], (entry, answer.status, answer.body[:300])
    assert answer.headers["content-type"] == "application/json", entry
    if "body" in expect:  # API Gateway's own answer, which no document can customize
        assert (answer.json(), calls) == (expect["body"], 0), entry
        return
    assert answer.headers["cache-control"] == "no-store", entry
    assert calls == (1 if expect["layer"] == "lambda" else 0), (
        f"{entry}: answered by the wrong layer"
    )
    if answer.status >= 400:
        body = answer.json()
        assert body == {"error": {"code": expect["code"], "message": body["error"]["message"]}}
        message = body["error"]["message"]
        assert isinstance(message, str)
        assert message
        assert (message in GATEWAY_MESSAGES) == (expect["layer"] == "gateway"), message


def check_success(answer: Answer, entry: dict[str, Any], expect: dict[str, Any]) -> None:
    """What a hostile request that is accepted may get: nothing it chose beyond its own fields;
    a batch, each item's expected answer."""
    body = answer.json()
    if entry["route"] == "POST /import":
        check_single_put(body)
    elif entry["route"] == "POST /imports":
        answers = [[r["status"], r.get("error", {}).get("code")] for r in body["results"]]
        assert answers == expect["results"], entry["name"]
        for result in body["results"]:
            if "import" in result:
                check_single_put(result["import"])
    else:
        assert body["status"] == "complete"
    if "filename" in entry.get("json", {}) and entry["route"] == "POST /import":
        assert entry["json"]["filename"] not in body["key"]


def check_single_put(created: dict[str, Any]) -> None:
    assert KEY.fullmatch(created["key"]), created["key"]
    assert created["upload"]["method"] == "PUT"
    for name in created["upload"]["headers"]:
        assert SIGNED_HEADER.fullmatch(name), f"{name} would be signed"


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    yield
    by_route = Counter(entry["route"] for entry in CORPUS)
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / "corpus.json").write_text(
        json.dumps(
            {
                "requests": len(CORPUS),
                "by_route": dict(sorted(by_route.items())),
                "answered": {
                    f"{route} {status} {layer}": n
                    for (route, status, layer), n in sorted(RESULTS.items())
                },
                "server_errors": sum(n for (_, status, _), n in RESULTS.items() if status >= 500),
            },
            indent=2,
        )
        + "\n"
    )


def test_corpus_covers_every_route_with_60_requests_or_more(deployment: Deployment) -> None:
    names = [entry["name"] for entry in CORPUS]
    assert len(names) == len(set(names)) >= 60
    routes = {  # the signer's routes (a CORS preflight, when configured, is API Gateway's own)
        f"{method.upper()} {path}"
        for path, item in deployment.document["paths"].items()
        for method, operation in item.items()
        if operation.get("x-amazon-apigateway-integration", {}).get("type") == "aws_proxy"
    }
    assert len(routes) == 7
    assert routes <= {entry["route"] for entry in CORPUS}, "a route without hostile requests"


@pytest.mark.parametrize("entry", CORPUS, ids=[entry["name"] for entry in CORPUS])
def test_hostile_request(
    deployment: Deployment, ids: dict[str, str], entry: dict[str, Any]
) -> None:
    headers, body = request_of(entry, ids)
    path = fill(entry["path"], ids)
    expect = entry["expect"]
    before = s3_state(deployment, ids)
    writes = len(deployment.function.s3_writes)

    calls = deployment.function.calls
    answer = send(deployment.api.invoke_url, entry["method"], path, headers, body)
    calls = deployment.function.calls - calls

    RESULTS[entry["route"], answer.status, expect["layer"]] += 1
    check_answer(answer, expect, calls, entry["name"])
    if 200 <= answer.status < 300:
        check_success(answer, entry, expect)
    assert s3_state(deployment, ids) == before, f"{entry['name']} wrote to S3"
    assert deployment.function.s3_writes[writes:] == [], f"{entry['name']} called S3 to write"

    behind = expect.get("behind_validator")
    if expect["layer"] == "gateway" and entry["route"] != "undefined method or path":
        assert behind is not None, "name what the function answers without the validator"
    if behind is not None:
        calls = deployment.function.calls
        answer = send(deployment.lambda_only.invoke_url, entry["method"], path, headers, body)
        check_answer(answer, behind, deployment.function.calls - calls, entry["name"])
        if 200 <= answer.status < 300:
            check_success(answer, entry, behind)
        assert s3_state(deployment, ids) == before, f"{entry['name']} wrote to S3"
        assert deployment.function.s3_writes[writes:] == [], f"{entry['name']} called S3 to write"
