"""Property tests of the signer (hypothesis): whatever a client sends, every route answers a 2xx or
a 4xx error in the module's shape and a refusal writes nothing to S3; keys stay under the prefix
and the caller's partition; signed URLs are SigV4 over exactly the declared headers; part plans
cover the declared size exactly within S3's bounds.

The handler runs in process on moto (tests/unit/conftest.py), with multipart on and caller
isolation by IAM identity, the settings where most can go wrong. Examples are derandomized, so CI
runs the same cases every time; `make fuzz` runs many more with fresh randomness
(PROPERTY_EXAMPLES_SCALE). Each test counts the examples it ran and fails when hypothesis ran
fewer than it was asked for; the counts are written to build/adversarial/properties.json.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import string
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from signed_import.config import (
    MAX_PART_COUNT,
    MAX_PART_SIZE,
    MIN_PART_SIZE,
    S3_OBJECT_LIMIT,
)
from signed_import.errors import ClientError
from signed_import.keys import decode_import_id, new_multipart_id, new_single_id, object_key
from signed_import.planning import plan_parts

from .helpers import KEY_PREFIX, LambdaContext, LoadSigner, Signer, route_event, sigv4_accepts

ROOT = Path(__file__).resolve().parents[2]
REPORT = ROOT / "build" / "adversarial" / "properties.json"
MIB = 1024**2
ACCOUNT = "123456789012"
ALICE = {"userArn": f"arn:aws:iam::{ACCOUNT}:user/alice", "caller": "AIDAALICE"}
BOB = {"userArn": f"arn:aws:iam::{ACCOUNT}:user/bob", "caller": "AIDABOB"}
ALLOWED_TYPES = ("application/octet-stream", "text/csv", "application/json", "image/png")
ROUTES = (
    ("POST", "/import"),
    ("GET", "/import/{import_id}"),
    ("DELETE", "/import/{import_id}"),
    ("POST", "/import/{import_id}/parts"),
    ("GET", "/import/{import_id}/parts"),
    ("POST", "/import/{import_id}/complete"),
)
ID_CHARS = re.compile(r"[a-z2-7]+")
PARTITION = re.compile(r"[a-z2-7]{26}")
SIGV2_PARAMETERS = {"AWSAccessKeyId", "Signature", "Expires"}

# CI: a fixed set of cases (derandomized). `make fuzz`: SCALE times as many, random each run.
SCALE = int(os.environ.get("PROPERTY_EXAMPLES_SCALE", "1"))
RAN: Counter[str] = Counter()
OUTCOMES: Counter[str] = Counter()  # "METHOD resource status [error code]" of any_request
ASKED: dict[str, int] = {}


def examples(name: str, count: int) -> settings:
    """Settings for a property asked to run `count` examples (times SCALE)."""
    ASKED[name] = count * SCALE
    return settings(
        max_examples=count * SCALE,
        derandomize=SCALE == 1,
        deadline=None,  # moto's first calls are slow; the suite is bounded by example counts
        database=None,
        # One signer (and bucket) serves every example of a test: refusals are checked to
        # write nothing by comparing S3 before and after each example, not by a fresh bucket.
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    yield
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(
        json.dumps(
            {
                "scale": SCALE,
                "examples": dict(sorted(RAN.items())),
                "any_request_outcomes": dict(sorted(OUTCOMES.items())),
            },
            indent=2,
        )
        + "\n"
    )


def ran(name: str) -> None:
    RAN[name] += 1


def assert_ran_all(name: str) -> None:
    assert RAN[name] >= ASKED[name], f"{name}: {RAN[name]} of {ASKED[name]} examples ran"


@pytest.fixture
def isolated(load_signer: LoadSigner) -> Signer:
    """Multipart from 8 MiB, imports up to S3's largest object, callers isolated by IAM user."""
    return load_signer(
        CALLER_ISOLATION="iam",
        MULTIPART_ENABLED="true",
        MULTIPART_THRESHOLD_BYTES=str(8 * MIB),
        MAX_UPLOAD_BYTES=str(S3_OBJECT_LIMIT),
        ALLOWED_CONTENT_TYPES=",".join(ALLOWED_TYPES),
    )


def call(
    signer: Signer,
    method: str,
    resource: str,
    *,
    import_id: str | None = None,
    body: str | None = None,
    headers: dict[str, str] | None = None,
    base64_body: bool = False,
    identity: dict[str, str] = ALICE,
) -> tuple[int, dict[str, str], str]:
    event = route_event(method, resource, import_id=import_id, identity=identity)
    event["body"] = body
    event["headers"] = headers
    event["multiValueHeaders"] = None if headers is None else {k: [v] for k, v in headers.items()}
    event["isBase64Encoded"] = base64_body
    raw = signer.module.handler(event, LambdaContext())
    return raw["statusCode"], raw["headers"], raw["body"]


def s3_state(signer: Signer) -> tuple[frozenset[str], frozenset[str]]:
    """Every object key and every multipart upload in the bucket."""
    objects = signer.s3.list_objects_v2(Bucket=signer.bucket).get("Contents", [])
    uploads = signer.s3.list_multipart_uploads(Bucket=signer.bucket).get("Uploads", [])
    return (
        frozenset(str(o["Key"]) for o in objects),
        frozenset(str(u["UploadId"]) for u in uploads),
    )


def create(signer: Signer, identity: dict[str, str] = ALICE, **fields: Any) -> dict[str, Any]:
    status, _, body = call(
        signer,
        "POST",
        "/import",
        body=json.dumps({"content_type": "text/csv", **fields}),
        headers={"Content-Type": "application/json"},
        identity=identity,
    )
    assert status == 201, body
    created: dict[str, Any] = json.loads(body)
    return created


def partition_of(identity: dict[str, str]) -> str:
    """The caller's key segment, computed here as the README specifies it."""
    digest = hashlib.sha256(f"iam:{identity['userArn']}".encode()).digest()[:16]
    return base64.b32encode(digest).decode().rstrip("=").lower()


# --- any request: 2xx or a 4xx error, and a refusal writes nothing ------------------------------

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()  # unbounded: 2**53 and far beyond
    | st.floats()  # NaN and infinities too: Python's json writes (and reads) them
    | st.text()
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=25,
)
NUMBERS = st.sampled_from(
    [0, -1, 1, 2**53, 2**53 + 1, 2**63, -(2**63), 10_000, 10_001, MIN_PART_SIZE, MAX_PART_SIZE]
) | st.integers(min_value=-(2**70), max_value=2**70)
PART_NUMBERS = st.integers(1, 3) | NUMBERS


def b64_of(length: int) -> st.SearchStrategy[str]:
    return st.binary(min_size=length, max_size=length).map(lambda d: base64.b64encode(d).decode())


def fields_of(noisy: bool) -> dict[str, st.SearchStrategy[dict[str, Any]]]:
    """Objects of each route's own fields, so that bodies get past the JSON parse into each
    field's validation; `noisy`: a field is now and then any JSON value at all."""

    def field(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return good | good | good | JSON_VALUES if noisy else good

    numbers = st.integers(1, 3) | NUMBERS if noisy else st.integers(1, 3)
    sizes = st.integers(1, 64 * MIB) | NUMBERS if noisy else st.integers(1, 64 * MIB)
    import_fields = st.fixed_dictionaries(
        {"size": field(sizes)},
        optional={
            "content_type": field(st.sampled_from(ALLOWED_TYPES) | st.text(max_size=30)),
            "checksum_sha256": field(b64_of(32)),
            "filename": field(st.text(max_size=40) | st.sampled_from(["../x", "a\x00b", "/etc"])),
            "metadata": field(
                st.dictionaries(st.sampled_from(["a", "b-1", "Bad", ""]), st.text(max_size=30))
            ),
            "multipart": field(st.booleans()),
            "part_size": field(st.integers(MIN_PART_SIZE, 6 * MIB) | NUMBERS),
            "checksum_algorithm": field(st.just("CRC64NVME")),
            "checksum_crc64nvme": field(b64_of(8)),
        },
    )
    part_numbers = st.fixed_dictionaries({"part_numbers": field(st.lists(numbers, max_size=5))})
    parts = st.fixed_dictionaries(
        {
            "parts": field(
                st.lists(
                    st.fixed_dictionaries(
                        {"part_number": field(numbers)},
                        optional={"checksum_crc64nvme": field(b64_of(8))},
                    ),
                    max_size=4,
                )
            )
        }
    )
    complete = st.fixed_dictionaries(
        {
            "parts": field(
                st.lists(
                    st.fixed_dictionaries(
                        {"part_number": field(numbers), "etag": field(st.text(max_size=40))}
                    ),
                    max_size=4,
                )
            )
        },
        optional={"checksum_crc64nvme": field(b64_of(8))},
    )
    return {
        "/import": import_fields,
        "/import/{import_id}/parts": part_numbers | parts,
        "/import/{import_id}/complete": complete,
    }


PLAUSIBLE = fields_of(noisy=False)
NOISY = fields_of(noisy=True)
ANY_BODY = (
    st.none()
    | st.builds(json.dumps, JSON_VALUES)
    | st.text()
    | st.binary().map(lambda raw: raw.decode("latin-1"))
)
HEADER_NAMES = st.text(string.ascii_letters + string.digits + "-", min_size=1, max_size=20)
ANY_HEADERS = st.none() | st.dictionaries(
    HEADER_NAMES | st.sampled_from(["Content-Type", "content-type", "Authorization"]),
    st.text(max_size=60) | st.sampled_from(["application/json", "application/json; charset=utf-8"]),
    max_size=5,
)
JSON_HEADERS = st.just({"Content-Type": "application/json"})


@pytest.fixture
def known_ids(isolated: Signer) -> dict[str, str]:
    """Ids the fuzzed requests may name: the caller's own of each kind, and another caller's."""
    return {
        "single": create(isolated, size=10)["import_id"],
        "multipart": create(isolated, size=9 * MIB)["import_id"],
        "multipart_crc": create(isolated, size=9 * MIB, checksum_algorithm="CRC64NVME")[
            "import_id"
        ],
        "bob": create(isolated, BOB, size=9 * MIB)["import_id"],
    }


@examples("any_request", 500)
@given(data=st.data())
def test_any_request_gets_2xx_or_a_4xx_error_and_refusals_write_nothing(
    isolated: Signer, known_ids: dict[str, str], data: st.DataObject
) -> None:
    method, resource = data.draw(st.sampled_from(ROUTES), "route")
    import_id = which_id = None
    if "{import_id}" in resource:
        which_id = data.draw(st.sampled_from([*known_ids, "random"]), "which id")
        random_id = st.text(max_size=90) | st.text("abcdefghijklmnopqrstuvwxyz234567", max_size=90)
        import_id = data.draw(random_id) if which_id == "random" else known_ids[which_id]
    kind = data.draw(st.sampled_from(["plausible", "noisy", "noisy", "any"]), "body kind")
    body: str | None
    if resource in PLAUSIBLE and kind != "any":
        fields = (PLAUSIBLE if kind == "plausible" else NOISY)[resource]
        body = data.draw(st.builds(json.dumps, fields), "body")
    else:
        body = data.draw(ANY_BODY, "body")
    headers = data.draw(JSON_HEADERS | JSON_HEADERS | ANY_HEADERS, "headers")
    base64_body = body is not None and data.draw(st.integers(0, 7), "base64") == 0
    before = s3_state(isolated)

    status, response_headers, text = call(
        isolated,
        method,
        resource,
        import_id=import_id,
        body=body,
        headers=headers,
        base64_body=base64_body,
    )

    ran("any_request")  # counted once sent: hypothesis discards examples whose draws overrun
    assert 200 <= status < 300 or 400 <= status < 500, (status, text)
    assert response_headers["Content-Type"] == "application/json"
    assert response_headers["Cache-Control"] == "no-store"
    if status == 204:
        assert text == ""
        OUTCOMES[f"{method} {resource} 204"] += 1
    else:
        answer = json.loads(text)
        code = answer["error"]["code"] if status >= 400 else ""
        OUTCOMES[f"{method} {resource} {status} {code}".rstrip()] += 1
    if status >= 400:
        assert set(answer) == {"error"}, answer
        assert set(answer["error"]) == {"code", "message"}, answer
        assert isinstance(answer["error"]["code"], str)
        assert isinstance(answer["error"]["message"], str)
        assert answer["error"]["code"]
        assert answer["error"]["message"]
        assert s3_state(isolated) == before, "a refused request changed S3"
    if which_id == "bob":
        assert status == 404, "another caller's id must be unknown"
    if method == "DELETE" and status == 204 and which_id in known_ids:
        # Aborted: give later examples a live import of the same kind again.
        again: dict[str, Any] = {"size": 9 * MIB}
        if which_id == "multipart_crc":
            again["checksum_algorithm"] = "CRC64NVME"
        known_ids[which_id] = create(isolated, **again)["import_id"]


def test_any_request_ran_every_example() -> None:
    assert_ran_all("any_request")


# --- keys ---------------------------------------------------------------------------------------

CALLER_NAMES = st.text(string.ascii_letters + string.digits + "+=,.@_-", min_size=1, max_size=64)
CLIENT_TEXT = st.text(string.ascii_letters + string.digits + "-_.", min_size=1, max_size=40).filter(
    lambda text: text not in (".", "..")  # refused as filenames (their own test)
)


@examples("keys", 150)
@given(
    user=CALLER_NAMES,
    size=st.integers(1, 20 * MIB),
    filename=CLIENT_TEXT,
    metadata=st.dictionaries(
        st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=10).filter(
            lambda k: k[0] != "-" and k != "filename"
        ),
        CLIENT_TEXT,
        max_size=3,
    ),
)
def test_keys_are_the_prefix_the_callers_partition_and_an_opaque_id(
    isolated: Signer, user: str, size: int, filename: str, metadata: dict[str, str]
) -> None:
    ran("keys")
    identity = {"userArn": f"arn:aws:iam::{ACCOUNT}:user/{user}", "caller": "AIDA" + user}

    created = create(isolated, identity, size=size, filename=filename, metadata=metadata)

    import_id, key = created["import_id"], created["key"]
    partition = partition_of(identity)
    assert PARTITION.fullmatch(partition)
    assert key == f"{KEY_PREFIX}{partition}/{import_id}"
    assert ID_CHARS.fullmatch(import_id)
    # Nothing the client sent can be a segment of the key: both segments are base32 digests.
    assert key.removeprefix(KEY_PREFIX).split("/") == [partition, import_id]
    assert decode_import_id(import_id, partition) is not None
    if partition != partition_of(ALICE):  # another caller's id is unknown to Alice
        assert decode_import_id(import_id, partition_of(ALICE)) is None


def test_keys_ran_every_example() -> None:
    assert_ran_all("keys")


def test_no_id_or_key_collides_over_100000_generations() -> None:
    """Ids issued in the same second, of both kinds, for one caller: all distinct."""
    partition = partition_of(ALICE)
    singles = [new_single_id(1_900_000_000).encode(partition) for _ in range(50_000)]
    multiparts = [
        new_multipart_id(9 * MIB, 5 * MIB, verifies_crc64nvme=False, crc64nvme=None).encode(
            partition
        )
        for _ in range(50_000)
    ]
    ids = singles + multiparts
    keys = {object_key(KEY_PREFIX, partition, import_id) for import_id in ids}
    assert len(set(ids)) == len(ids) == 100_000
    assert len(keys) == 100_000


def test_ids_from_the_handler_do_not_collide(isolated: Signer) -> None:
    """The same through the handler: 1,000 imports signed within a few seconds."""
    keys = [create(isolated, size=1)["key"] for _ in range(1_000)]
    assert len(set(keys)) == 1_000


# --- signed URLs --------------------------------------------------------------------------------

MEDIA_PARAMETERS = st.sampled_from(["", "; charset=utf-8", ';  q="a b"', "; x=1"])


@examples("signed_urls", 150)
@given(
    size=st.integers(1, 64 * MIB),
    media_type=st.sampled_from(ALLOWED_TYPES),
    parameters=MEDIA_PARAMETERS,
    sha256=st.none() | st.binary(min_size=32, max_size=32),
    multipart=st.none() | st.booleans(),
    filename=st.none()
    | st.text(min_size=1, max_size=30).filter(
        lambda name: (
            not re.search(r"[/\\\x00-\x1f\x7f\ud800-\udfff]", name) and name not in (".", "..")
        )
    ),
    metadata=st.dictionaries(
        st.sampled_from(["source", "batch", "owner", "x"]),
        st.text(string.ascii_letters + string.digits + " -_.", min_size=1, max_size=20).filter(
            lambda value: value == value.strip()
        ),
        max_size=3,
    ),
)
def test_signed_urls_are_sigv4_over_exactly_the_declared_headers(  # noqa: PLR0917
    isolated: Signer,
    secret_key: str,
    size: int,
    media_type: str,
    parameters: str,
    sha256: bytes | None,
    multipart: bool | None,
    filename: str | None,
    metadata: dict[str, str],
) -> None:
    ran("signed_urls")
    fields: dict[str, Any] = {"size": size, "content_type": media_type + parameters}
    if sha256 is not None:
        fields["checksum_sha256"] = base64.b64encode(sha256).decode()
        multipart = False if multipart else multipart
    if multipart is not None:
        fields["multipart"] = multipart
    if filename is not None:
        fields["filename"] = filename
    if metadata:
        fields["metadata"] = metadata

    status, _, text = call(
        isolated,
        "POST",
        "/import",
        body=json.dumps(fields),
        headers={"Content-Type": "application/json"},
    )

    assert status == 201, text
    upload = json.loads(text)["upload"]
    signed = [upload] if upload["method"] == "PUT" else upload["parts"]
    assert signed, "a multipart import without a checksum signs its first parts at once"
    for entry in signed:
        assert_sigv4_over_exactly(entry["url"], entry["headers"], secret_key)


def assert_sigv4_over_exactly(url: str, headers: dict[str, str], secret_key: str) -> None:
    params = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    assert params["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert not SIGV2_PARAMETERS & set(params), "a SigV2 parameter in a signed URL"
    assert params["X-Amz-Credential"].endswith("/us-east-1/s3/aws4_request")
    assert params["X-Amz-SignedHeaders"].split(";") == sorted({"host", *map(str.lower, headers)})
    assert sigv4_accepts(url, headers, secret_key), "S3 would refuse the declared request"
    for name in headers:  # leave out any one declared header: refused
        fewer = {k: v for k, v in headers.items() if k != name}
        assert not sigv4_accepts(url, fewer, secret_key), f"accepted without {name}"
    for name, value in headers.items():  # change any one: refused
        assert not sigv4_accepts(url, {**headers, name: value + "0"}, secret_key), name
    extra = {**headers, "x-amz-meta-injected": "1"}  # add an x-amz-* header: refused
    assert not sigv4_accepts(url, extra, secret_key)


def test_signed_urls_ran_every_example() -> None:
    assert_ran_all("signed_urls")


@examples("part_urls", 60)
@given(
    size=st.integers(9 * MIB, S3_OBJECT_LIMIT),
    numbers=st.lists(st.integers(1, MAX_PART_COUNT), min_size=1, max_size=20, unique=True),
    with_crc=st.booleans(),
)
def test_part_urls_sign_each_parts_exact_length(
    isolated: Signer, secret_key: str, size: int, numbers: list[int], with_crc: bool
) -> None:
    ran("part_urls")
    fields: dict[str, Any] = {"size": size, "multipart": True}
    if with_crc:
        fields["checksum_algorithm"] = "CRC64NVME"
    created = create(isolated, **fields)
    plan = created["upload"]
    wanted = [n for n in numbers if n <= plan["part_count"]] or [plan["part_count"]]
    crc = base64.b64encode(bytes(8)).decode()
    body = (
        {"parts": [{"part_number": n, "checksum_crc64nvme": crc} for n in wanted]}
        if with_crc
        else {"part_numbers": wanted}
    )

    status, _, text = call(
        isolated,
        "POST",
        "/import/{import_id}/parts",
        import_id=created["import_id"],
        body=json.dumps(body),
        headers={"Content-Type": "application/json"},
    )

    assert status == 200, text
    parts = json.loads(text)["parts"]
    assert [part["part_number"] for part in parts] == wanted
    count, part_size = plan["part_count"], plan["part_size"]
    assert_plan_covers(size, part_size, count)
    for part in parts:
        expected = part_size if part["part_number"] < count else size - (count - 1) * part_size
        assert part["size"] == expected
        assert part["headers"]["Content-Length"] == str(expected)
        assert ("x-amz-checksum-crc64nvme" in part["headers"]) is with_crc
        assert_sigv4_over_exactly(part["url"], part["headers"], secret_key)


def test_part_urls_ran_every_example() -> None:
    assert_ran_all("part_urls")


# --- part plans ---------------------------------------------------------------------------------

BOUNDARY_SIZES = [
    1,
    MIN_PART_SIZE - 1,
    MIN_PART_SIZE,
    MIN_PART_SIZE + 1,
    16 * MIB * MAX_PART_COUNT,
    16 * MIB * MAX_PART_COUNT + 1,
    MAX_PART_SIZE,
    MAX_PART_SIZE + 1,
    S3_OBJECT_LIMIT - 1,
    S3_OBJECT_LIMIT,
]


def assert_plan_covers(size: int, part_size: int, part_count: int) -> None:
    assert 1 <= part_count <= MAX_PART_COUNT
    assert MIN_PART_SIZE <= part_size <= MAX_PART_SIZE
    last = size - (part_count - 1) * part_size
    assert 1 <= last <= part_size, "the last part is empty or larger than the others"
    assert (part_count - 1) * part_size + last == size


@examples("part_plans", 2_000)
@given(
    size=st.integers(1, S3_OBJECT_LIMIT) | st.sampled_from(BOUNDARY_SIZES),
    requested=st.none() | st.integers(MIN_PART_SIZE, MAX_PART_SIZE),
)
@example(size=S3_OBJECT_LIMIT, requested=None)
@example(size=S3_OBJECT_LIMIT, requested=MAX_PART_SIZE)
@example(size=S3_OBJECT_LIMIT, requested=MAX_PART_SIZE - 1)
@example(size=1, requested=MIN_PART_SIZE)
def test_part_plans_cover_the_size_exactly_within_s3s_bounds(
    size: int, requested: int | None
) -> None:
    ran("part_plans")
    if requested is not None and -(-size // requested) > MAX_PART_COUNT:
        # The only refusal: a requested part size that needs more parts than S3 allows.
        with pytest.raises(ClientError, match="S3 allows") as refused:
            plan_parts(size, requested)
        assert refused.value.status == 400
        return
    plan = plan_parts(size, requested)
    assert plan.size == size
    assert_plan_covers(size, plan.part_size, plan.part_count)
    if requested is not None:
        assert plan.part_size == requested
    assert plan.part_length(plan.part_count) == size - (plan.part_count - 1) * plan.part_size
    if plan.part_count > 1:
        assert plan.part_length(1) == plan.part_length(plan.part_count - 1) == plan.part_size
    for outside in (0, plan.part_count + 1):
        with pytest.raises(ValueError, match="outside"):
            plan.part_length(outside)


def test_part_plans_ran_every_example() -> None:
    assert_ran_all("part_plans")


def test_every_part_length_of_the_largest_plans_adds_up() -> None:
    """Summed part by part (not by formula) for the sizes where rounding could go wrong."""
    for size in BOUNDARY_SIZES:
        plan = plan_parts(size, None)
        assert sum(plan.part_length(n) for n in range(1, plan.part_count + 1)) == size
        assert plan.part_count <= MAX_PART_COUNT
