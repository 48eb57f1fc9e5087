"""Load and faults on the local stack: the shared examples/local stack on moto_server, its deployed
function served by local gateways in processes of their own (localdev.serve), consumers using
the signed-import client library.

Load: 50 concurrent consumers doing the whole flow, single PUT and multipart, every answer 2xx
but the stage's throttles (429, retried, as on AWS) and every object read back equal (`make load`
is the longer form).

Faults: another container of the same function has its S3 endpoint behind a fault proxy
(localdev.faults, in reverse-proxy mode), so that both the signer's own S3 API calls and the
consumers' PUTs to the URLs it signs meet the faults: S3 down, S3 slow, S3 answering 500/503,
and the signer slower than API Gateway's integration timeout. The API must answer each in the
module's error shape (503 with Retry-After from the signer, 504 from the gateway), quickly,
without a traceback; the client must finish once the fault clears; and nothing may be half
written: every object under the consumer's partition is one it completed and equals the bytes
it sent. Multipart uploads left behind (a CreateMultipartUpload that S3 carried out although
its answer never reached the caller) are named by each test; the bucket's lifecycle rule
aborts them after `abort_incomplete_multipart_upload_days`.
"""

from __future__ import annotations

import io
import json
import re
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from localdev.emulator import MotoServer
from localdev.faults import FaultProxy, Rule
from localdev.keys import partition_of
from localdev.load import RecordingTransport, Sample, report, run_load, verify
from localdev.serve import served
from localdev.stack import PACKAGE, MotoStack
from signed_import_client import ApiError, ImportResult, Progress, RetryPolicy, SigV4, Uploader
from signed_import_client.api import USER_AGENT

MIB = 1024 * 1024
ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build" / "e2e"
# The signer's S3 API calls, as they reach the proxy (path style: /bucket/key?query).
CREATE = r"\?uploads$"  # CreateMultipartUpload (POST)
LIST_UPLOADS = r"\?uploads&"  # ListMultipartUploads (GET)
COMPLETE = r"\?uploadId="  # CompleteMultipartUpload (POST)
SLOW_DOWN = (
    b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
)
INTERNAL = (
    b"<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>"
)


@dataclass(frozen=True)
class Store:
    """The deployment's bucket, read through the emulator (never through the proxy)."""

    s3: Any
    bucket: str

    def leftovers(self, consumer: Consumer) -> list[str]:
        """Assert that nothing is half written under the consumer's partition: every object
        is one it completed, byte for byte. Return the keys of the multipart uploads still
        open there."""
        [prefix] = {partition_of(key) for key in consumer.sent}
        listed = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=prefix).get("Contents", [])
        assert {obj["Key"] for obj in listed} == set(consumer.sent)
        for key, data in consumer.sent.items():
            assert self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read() == data, key
        listing = self.s3.list_multipart_uploads(Bucket=self.bucket, Prefix=prefix)
        return sorted(upload["Key"] for upload in listing.get("Uploads", []))

    def leftovers_once(self, consumer: Consumer, count: int, timeout: float = 15) -> list[str]:
        """`leftovers` once there are `count` uploads (a delayed call reaches S3 late)."""
        deadline = time.monotonic() + timeout
        left = self.leftovers(consumer)
        while len(left) < count and time.monotonic() < deadline:
            time.sleep(0.2)
            left = self.leftovers(consumer)
        return left

    def assert_lifecycle_aborts_incomplete_uploads(self) -> None:
        rules = self.s3.get_bucket_lifecycle_configuration(Bucket=self.bucket)["Rules"]
        days = [
            rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"]
            for rule in rules
            if rule.get("Status") == "Enabled" and "AbortIncompleteMultipartUpload" in rule
        ]
        assert days, rules


@pytest.fixture(scope="module")
def store(local_stack: MotoStack, moto: MotoServer) -> Store:
    return Store(moto.client("s3"), str(local_stack.outputs["bucket_name"]))


def serve(
    stack: MotoStack,
    runtime_env: dict[str, str],
    log: Path,
    integration_timeout_ms: int | None = None,
) -> Any:
    return served(
        json.loads(stack.outputs["openapi_document"]),
        stack.outputs["stage_name"],
        stack.function,
        PACKAGE,
        runtime_env,
        integration_timeout_ms=integration_timeout_ms,
        log_path=log,
        method_settings=stack.method_settings,
    )


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("signer-logs")


@pytest.fixture(scope="module")
def proxy(moto: MotoServer) -> Iterator[FaultProxy]:
    with FaultProxy(upstream=moto.endpoint).running() as running:
        yield running


@pytest.fixture(scope="module")
def faulty_api(
    local_stack: MotoStack, moto: MotoServer, proxy: FaultProxy, logs: Path
) -> Iterator[str]:
    """The function with its S3 endpoint behind the proxy; timeouts as deployed (the function's
    10 s, API Gateway's 29 s)."""
    env = {**moto.client_env(), "AWS_ENDPOINT_URL_S3": proxy.url}
    with serve(local_stack, env, logs / "faulty.log") as url:
        yield f"{url}/import"


@pytest.fixture(scope="module")
def impatient_api(
    local_stack: MotoStack, moto: MotoServer, proxy: FaultProxy, logs: Path
) -> Iterator[str]:
    """The same, behind an integration timeout of 1.5 s: a slower signer times out."""
    env = {**moto.client_env(), "AWS_ENDPOINT_URL_S3": proxy.url}
    with serve(local_stack, env, logs / "impatient.log", integration_timeout_ms=1500) as url:
        yield f"{url}/import"


@pytest.fixture
def faults(proxy: FaultProxy) -> Iterator[FaultProxy]:
    proxy.clear()
    yield proxy
    if not proxy.available:
        proxy.up()
    proxy.clear()


@dataclass
class Consumer:
    """One caller (its own access key, hence its own key partition) using the client library,
    with every answer it gets recorded."""

    api: str
    name: str
    sent: dict[str, bytes] = field(default_factory=dict)  # key → the bytes of a completed import

    def __post_init__(self) -> None:
        self.transport = RecordingTransport(httpx.HTTPTransport(trust_env=False), self.api)
        self.http = httpx.Client(
            transport=self.transport, timeout=60, headers={"User-Agent": USER_AGENT}
        )
        # Full backoff (no jitter), so that how long the client keeps trying is known.
        self.retry = RetryPolicy(jitter=lambda: 1.0)
        self.uploader = Uploader(
            self.api,
            SigV4.from_keys(f"AKIAFAULT{self.name.upper()}", "fault-secret", region="us-east-1"),
            concurrency=2,
            part_size=5 * MIB,
            retry=self.retry,
            http=self.http,
        )

    @property
    def samples(self) -> list[Sample]:
        return self.transport.samples

    def upload(self, size: int, *, multipart: bool) -> ImportResult:
        """A multipart import (a stream above 8 MiB, in 5 MiB parts) or a single PUT."""
        data = secrets.token_bytes(size)
        if multipart:
            assert size > 8 * MIB
            result = self.uploader.upload(io.BytesIO(data), size=size)
        else:
            result = self.uploader.upload(data)
        self.sent[result.key] = data
        return result

    def answers(self, route: str) -> list[int | None]:
        return [s.status for s in self.samples if s.route == route]

    def close(self) -> None:
        self.uploader.close()
        self.http.close()


@pytest.fixture
def consumers() -> Iterator[list[Consumer]]:
    made: list[Consumer] = []
    yield made
    for consumer in made:
        consumer.close()


def assert_clean_5xx(samples: list[Sample]) -> None:
    """Every 5xx the API answered is in the module's error shape; the signer's 503 says when
    to come back."""
    for sample in samples:
        if sample.api and sample.status is not None and sample.status >= 500:
            assert sample.error_code is not None, sample
            if sample.status == 503:
                assert (sample.error_code, sample.retry_after) == ("ServiceUnavailable", "1")


def signer_log(logs: Path, name: str) -> str:
    return (logs / f"{name}.log").read_text(errors="replace")


# --- load ------------------------------------------------------------------------------------


def test_fifty_consumers_complete_every_import_without_an_error(
    local_stack: MotoStack, moto: MotoServer, store: Store, logs: Path
) -> None:
    with serve(local_stack, moto.client_env(), logs / "load.log") as url:
        result = run_load(f"{url}/import", consumers=50, imports=4, multipart_every=4)
    verify(result, store.s3, store.bucket)
    table = report(result, title="Load on the local stack (short form)", command="make test-e2e")
    BUILD.mkdir(parents=True, exist_ok=True)
    (BUILD / "load.md").write_text(table)
    print(table)

    assert result.failures == []
    assert result.problems == []
    # No 5xx, no 4xx but the stage's throttle (50 calls a second a method, applied by the local
    # gateway as by API Gateway), whose 429s the consumers retried.
    assert result.unexpected == {}
    assert len(result.completed) == 200
    assert sum(1 for done in result.completed if done.method == "MULTIPART") == 50
    assert len(result.aborted) == 50
    routes = {sample.route for sample in result.samples}
    assert len(routes) == 8, routes  # every API route and both kinds of S3 PUT
    assert "Traceback" not in signer_log(logs, "load")


# --- faults ----------------------------------------------------------------------------------


def test_s3_down_answers_503_at_once_and_the_client_finishes_when_it_is_back(
    faulty_api: str, faults: FaultProxy, store: Store, logs: Path, consumers: list[Consumer]
) -> None:
    faults.down()
    # What a caller sees meanwhile: an immediate 503 in the error shape, with Retry-After.
    started = time.monotonic()
    probe = httpx.post(
        faulty_api, json={"size": 20 * MIB, "content_type": "application/octet-stream"}
    )
    assert time.monotonic() - started < 2
    assert probe.status_code == 503
    assert probe.headers["Retry-After"] == "1"
    assert probe.json()["error"]["code"] == "ServiceUnavailable"
    assert set(probe.json()) == {"error"}

    # Two consumers meanwhile: a multipart import (the signer needs S3 to create it) and a
    # single PUT (signed without S3; its PUT meets S3 down).
    multipart, single = Consumer(faulty_api, "down"), Consumer(faulty_api, "downput")
    consumers += [multipart, single]
    outcome: dict[str, Any] = {}

    def work(consumer: Consumer, size: int, is_multipart: bool) -> None:
        try:
            outcome[consumer.name] = consumer.upload(size, multipart=is_multipart)
        except Exception as err:
            outcome[f"{consumer.name} error"] = err

    workers = [
        threading.Thread(target=work, args=(multipart, 9 * MIB, True)),
        threading.Thread(target=work, args=(single, 100_000, False)),
    ]
    for worker in workers:
        worker.start()
    time.sleep(2.5)
    faults.up()
    for worker in workers:
        worker.join(timeout=120)

    assert set(outcome) == {"down", "downput"}, outcome
    # POST /import (multipart) met S3 down: 503s a second apart, then 201 once it was back.
    creates = multipart.answers("POST /import")
    assert creates[-1] == 201
    assert creates[:-1] == [503] * (len(creates) - 1)
    assert len(creates) >= 3
    # The single PUT was signed at once; its PUT found no S3, and was retried until it did.
    assert single.answers("POST /import") == [201]
    puts = single.answers("PUT object (S3)")
    assert puts[-1] == 200
    assert puts[:-1] == [None] * (len(puts) - 1)  # connection refused: no answer
    assert len(puts) >= 2
    for consumer in (multipart, single):
        assert_clean_5xx(consumer.samples)
        assert store.leftovers(consumer) == []  # S3 refused the connection: nothing created
    log = signer_log(logs, "faulty")
    assert '"outcome": "unavailable"' in log
    assert '"s3_error": "EndpointConnectionError"' in log
    assert "Traceback" not in log


def test_s3_down_longer_than_the_client_tries_leaves_a_resumable_import(
    faulty_api: str, faults: FaultProxy, store: Store, consumers: list[Consumer]
) -> None:
    consumer = Consumer(faulty_api, "outage")
    consumers.append(consumer)
    data = secrets.token_bytes(9 * MIB)

    def s3_dies_before_completion(progress: Progress) -> None:
        if progress.event == "completing":  # both parts are stored
            faults.down()

    with pytest.raises(ApiError) as raised:
        consumer.uploader.upload(
            io.BytesIO(data), size=len(data), progress=s3_dies_before_completion
        )

    error = raised.value
    assert (error.status, error.code, error.route) == (
        503,
        "ServiceUnavailable",
        "POST /import/{id}/complete",
    )
    # Every try of the client's policy, each answered at once, Retry-After apart; then it stops.
    assert consumer.answers("POST /import/{id}/complete") == [503] * consumer.retry.attempts
    assert_clean_5xx(consumer.samples)
    import_id = str(error.import_id)

    faults.up()
    result = consumer.uploader.resume(import_id, data)

    assert (result.import_id, result.parts_resumed, result.parts_uploaded) == (import_id, 2, 0)
    consumer.sent[result.key] = data
    assert store.leftovers(consumer) == []


def test_s3_slower_than_the_signers_timeouts_is_a_503_before_the_function_times_out(
    faulty_api: str,
    faults: FaultProxy,
    store: Store,
    logs: Path,
    consumers: list[Consumer],
) -> None:
    # CreateMultipartUpload answers after 4 s, beyond the signer's 3 s read timeout, twice:
    # both of its attempts time out. S3 still carries both out: two uploads nobody will use.
    faults.add(Rule("POST", CREATE, delay=4.0, times=2))
    consumer = Consumer(faulty_api, "slow")
    consumers.append(consumer)

    result = consumer.upload(9 * MIB, multipart=True)

    create = [s for s in consumer.samples if s.route == "POST /import"]
    assert [s.status for s in create] == [503, 201]
    # Answered by the signer itself (not the function's 10 s timeout, not the gateway's 29 s).
    assert 6 <= create[0].seconds < 9.5
    assert_clean_5xx(consumer.samples)
    assert '"s3_error": "ReadTimeoutError"' in signer_log(logs, "faulty")
    left = store.leftovers_once(consumer, 2)
    # The import whose creation timed out: its id never reached the consumer, and its uploads
    # (one per attempt, no parts) stay until the lifecycle rule aborts them.
    assert len(left) == 2
    assert len(set(left)) == 1
    assert left[0] != result.key
    store.assert_lifecycle_aborts_incomplete_uploads()


def test_s3_slow_but_answering_only_slows_the_import(
    faulty_api: str, faults: FaultProxy, store: Store, consumers: list[Consumer]
) -> None:
    for method in ("GET", "POST", "HEAD"):  # every signer call waits 0.5 s
        faults.add(Rule(method, r"/", delay=0.5, times=1000))
    consumer = Consumer(faulty_api, "sluggish")
    consumers.append(consumer)

    consumer.upload(9 * MIB, multipart=True)

    assert {s.status for s in consumer.samples} <= {200, 201}
    assert min(s.seconds for s in consumer.samples if s.route == "POST /import") >= 0.5
    assert store.leftovers(consumer) == []


def test_s3_500_and_503_on_some_calls(
    faulty_api: str, faults: FaultProxy, store: Store, consumers: list[Consumer]
) -> None:
    # Once: the signer's own retry absorbs it; the consumer never knows.
    faults.add(Rule("POST", CREATE, status=503, body=SLOW_DOWN))
    # Three times in a row: both attempts of a call, then the first of the next request's.
    faults.add(Rule("GET", LIST_UPLOADS, status=500, body=INTERNAL, times=3))
    # A completion refused inside a 200, as S3 may: retried like a 500.
    faults.add(Rule("POST", COMPLETE, status=200, body=INTERNAL, times=2))
    faults.add(Rule("HEAD", r"/", status=503, body=SLOW_DOWN, times=2))  # status, once complete
    # The consumer's own PUTs: a part, then a single PUT.
    faults.add(Rule("PUT", r"partNumber=2&", status=503, body=SLOW_DOWN))
    faults.add(Rule("PUT", r"^(?!.*partNumber=).*X-Amz-Signature=", status=500, body=INTERNAL))
    consumer = Consumer(faulty_api, "flaky")
    consumers.append(consumer)

    multipart = consumer.upload(9 * MIB, multipart=True)
    status = consumer.uploader.status(multipart.import_id)
    consumer.upload(100_000, multipart=False)

    assert status["status"] == "complete"
    assert consumer.answers("POST /import")[0] == 201  # the first SlowDown never showed
    assert [s.status for s in faults.requests("POST", CREATE)] == [503, 200]
    # Two parts signed concurrently: one of them met two 500s in a row and was asked again.
    assert sorted(consumer.answers("POST /import/{id}/parts"), key=str) == [200, 200, 503]
    assert consumer.answers("POST /import/{id}/complete") == [503, 200]
    assert consumer.answers("GET /import/{id}") == [503, 200]
    assert consumer.answers("PUT part (S3)").count(503) == 1
    assert consumer.answers("PUT object (S3)") == [500, 200]
    assert_clean_5xx(consumer.samples)
    assert store.leftovers(consumer) == []


def test_a_signer_slower_than_the_integration_timeout_is_a_504_and_the_retry_finds_the_work(
    impatient_api: str,
    faults: FaultProxy,
    store: Store,
    logs: Path,
    consumers: list[Consumer],
) -> None:
    # Each call answers within the signer's timeouts (2.5 s < 3 s), but the request takes
    # longer than the gateway waits (1.5 s): API Gateway answers 504 while the signer finishes.
    faults.add(Rule("POST", CREATE, delay=2.5, times=1))
    faults.add(Rule("POST", COMPLETE, delay=2.5, times=1))
    consumer = Consumer(impatient_api, "late")
    consumers.append(consumer)

    result = consumer.upload(9 * MIB, multipart=True)

    create = [s for s in consumer.samples if s.route == "POST /import"]
    assert [(s.status, s.error_code) for s in create] == [(504, "Timeout"), (201, None)]
    assert 1.5 <= create[0].seconds < 2.4  # at the deadline, not when the signer was done
    # The completion the gateway gave up on was carried out: asking again finds it complete.
    assert consumer.answers("POST /import/{id}/complete") == [504, 200]
    assert result.etag == store.s3.head_object(Bucket=store.bucket, Key=result.key)["ETag"]
    assert_clean_5xx(consumer.samples)
    left = store.leftovers_once(consumer, 1)
    # The creation answered too late left one upload whose id the consumer never got.
    assert len(left) == 1
    assert left[0] != result.key
    assert re.fullmatch(r"imports/[a-z2-7]{26}/[a-z2-7]+", left[0])
    assert "Traceback" not in signer_log(logs, "impatient")
