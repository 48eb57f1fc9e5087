"""The shared examples/local stack on moto_server: check what AWS would hold, and run the consumer
flows (single PUT and multipart, interrupted and resumed) through the local gateway with the
deployed zip. That `terraform destroy` leaves nothing behind is checked when the stack goes
(localdev.shared_stacks); test_existing_bucket.py has a stack of its own.

Callers are told apart as API Gateway would (the local gateway derives the IAM user from the
SigV4 access key id); moto checks no signature, so what S3 itself refuses is proven against
LocalStack (test_signatures_localstack.py), not here.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from localdev.emulator import REGION, MotoServer
from localdev.gateway.stage_throttle import Limits
from localdev.keys import partition_of
from localdev.stack import MotoStack
from signed_import_client import ApiClient, ApiError, Progress, SigV4, Uploader, UploadInterrupted
from signed_import_client.auth import Auth
from signed_import_client.checksums import crc64nvme, to_b64
from signed_import_client.retry import NO_RETRY

NAME = "signed-import-local"
MIB = 1024 * 1024
ALICE = SigV4.from_keys("AKIAALICE00000000001", "alice-secret")
BOB = SigV4.from_keys("AKIABOB0000000000002", "bob-secret")
# The stack is shared with other suites: a test that reads what the bucket holds acts as a
# caller of its own and reads under that caller's partition.
CAROL = SigV4.from_keys("AKIACAROL00000000003", "carol-secret")
DAVE = SigV4.from_keys("AKIADAVE000000000004", "dave-secret")
KEY = r"imports/[a-z2-7]{26}/"  # key_prefix + the caller's partition + "/"
ROUTES = {
    "/import": {"POST"},
    "/import/{import_id}": {"GET", "DELETE"},
    "/import/{import_id}/parts": {"GET", "POST"},
    "/import/{import_id}/complete": {"POST"},
    "/imports": {"POST"},
}


# --- the HTTP contract, route by route: (status, JSON body) as the API answered -------------

Answer = tuple[int, dict[str, Any]]


def call(
    gateway: str, method: str, *path: str, payload: object = None, auth: Auth | None = None
) -> Answer:
    with ApiClient(gateway, auth, retry=NO_RETRY) as api:
        answer = api.call(method, *path, payload=payload)
    return answer.status, answer.body


def request_import(gateway: str, payload: dict[str, Any], auth: Auth | None = None) -> Answer:
    return call(gateway, "POST", payload=payload, auth=auth)


def import_status(gateway: str, import_id: str, auth: Auth | None = None) -> Answer:
    return call(gateway, "GET", import_id, auth=auth)


def list_parts(gateway: str, import_id: str, auth: Auth | None = None) -> Answer:
    return call(gateway, "GET", import_id, "parts", auth=auth)


def sign_parts(
    gateway: str, import_id: str, parts: list[int] | dict[int, str], auth: Auth | None = None
) -> Answer:
    payload: dict[str, Any] = (
        {"parts": [{"part_number": n, "checksum_crc64nvme": c} for n, c in parts.items()]}
        if isinstance(parts, dict)
        else {"part_numbers": parts}
    )
    return call(gateway, "POST", import_id, "parts", payload=payload, auth=auth)


def complete_import(
    gateway: str,
    import_id: str,
    etags: dict[int, str],
    auth: Auth | None = None,
    checksum_crc64nvme: str | None = None,
) -> Answer:
    payload: dict[str, Any] = {
        "parts": [{"part_number": n, "etag": etags[n]} for n in sorted(etags)]
    }
    if checksum_crc64nvme is not None:
        payload["checksum_crc64nvme"] = checksum_crc64nvme
    return call(gateway, "POST", import_id, "complete", payload=payload, auth=auth)


def abort_import(gateway: str, import_id: str, auth: Auth | None = None) -> Answer:
    return call(gateway, "DELETE", import_id, auth=auth)


def put_signed(url: str, headers: dict[str, str], data: bytes) -> int:
    """PUT exactly `data` with exactly the signed headers; S3's status."""
    return httpx.put(url, content=data, headers=headers).status_code


def sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def crc64nvme_b64(data: bytes) -> str:
    return to_b64(crc64nvme(data))


class Stop(Exception):
    """Raised by a progress callback: the upload stops as if interrupted."""


def stop_after(parts: int) -> Callable[[Progress], None]:
    def callback(event: Progress) -> None:
        if event.event == "part" and event.parts_done >= parts:
            raise Stop

    return callback


def interrupted_upload(gateway: str, data: bytes, parts: int, auth: Auth, **kwargs: Any) -> str:
    """A multipart import (5 MiB parts unless told) stopped once `parts` are stored; its id."""
    kwargs.setdefault("part_size", 5 * MIB)
    part_size = kwargs.pop("part_size")
    with (
        Uploader(gateway, auth, concurrency=1, part_size=part_size) as uploader,
        pytest.raises(UploadInterrupted) as stopped,
    ):
        uploader.upload(data, progress=stop_after(parts), **kwargs)
    assert isinstance(stopped.value.__cause__, Stop)
    assert stopped.value.import_id is not None
    return stopped.value.import_id


def queued_events(sqs: Any, queue_url: str, until: set[str]) -> list[dict[str, Any]]:
    """The events on the queue until one has come for each key of `until`, and those of one
    more receive (the queue gives messages in the order they came)."""
    events: list[dict[str, Any]] = []
    deadline = time.monotonic() + 30
    waiting = True
    while time.monotonic() < deadline:
        batch = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=60
        ).get("Messages", [])
        events += [json.loads(message["Body"]) for message in batch]
        if not waiting or not batch:
            break
        waiting = not until <= {event["detail"]["object"]["key"] for event in events}
    return events


def written(s3: Any, bucket: str, prefix: str) -> tuple[list[Any], list[Any]]:
    """The object versions and multipart uploads under `prefix`."""
    versions = s3.list_object_versions(Bucket=bucket, Prefix=prefix).get("Versions", [])
    uploads = s3.list_multipart_uploads(Bucket=bucket, Prefix=prefix).get("Uploads", [])
    return versions, uploads


def upload(gateway: str, data: bytes, auth: Auth | None = None, **kwargs: Any) -> Any:
    with Uploader(gateway, auth) as uploader:
        return uploader.upload(data, **kwargs)


@pytest.fixture(scope="module")
def deployment(local_stack: MotoStack) -> MotoStack:
    """The shared stack: its `terraform destroy` and what it must leave behind (nothing) are
    checked by localdev.shared_stacks when it goes."""
    return local_stack


@pytest.fixture(scope="module")
def outputs(deployment: MotoStack) -> dict[str, Any]:
    return deployment.outputs


@pytest.fixture(scope="module")
def gateway(deployment: MotoStack) -> str:
    return deployment.import_url


def test_bucket_is_hardened(moto: MotoServer, outputs: dict[str, Any]) -> None:
    s3 = moto.client("s3")
    bucket = outputs["bucket_name"]
    assert bucket.startswith(f"{NAME}-")
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    ownership = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]
    assert ownership["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    encryption = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    default = encryption["Rules"][0]["ApplyServerSideEncryptionByDefault"]
    assert default["SSEAlgorithm"] == "AES256"
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert any(r.get("AbortIncompleteMultipartUpload") for r in rules if r["Status"] == "Enabled")
    assert any(r.get("NoncurrentVersionExpiration") for r in rules if r["Status"] == "Enabled")
    # Delete markers left by expired or deleted imports are removed once they mark nothing.
    assert any(
        r.get("Expiration", {}).get("ExpiredObjectDeleteMarker") is True
        for r in rules
        if r["Status"] == "Enabled"
    )
    # examples/local turns the TLS-only policy off on purpose (moto ignores conditions).
    with pytest.raises(ClientError, match="NoSuchBucketPolicy"):
        s3.get_bucket_policy(Bucket=bucket)


def test_signer_role_is_scoped_to_the_prefix(moto: MotoServer, outputs: dict[str, Any]) -> None:
    iam = moto.client("iam")
    bucket = outputs["bucket_name"]
    role = iam.get_role(RoleName=f"{NAME}-signer")["Role"]
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "lambda.amazonaws.com"}]
    policy = iam.get_role_policy(RoleName=f"{NAME}-signer", PolicyName=f"{NAME}-signer")
    document = policy["PolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    granted = set()
    for statement in document["Statement"]:
        actions = statement["Action"]
        resources = statement["Resource"]
        for action in [actions] if isinstance(actions, str) else actions:
            if action.startswith("s3:"):
                assert statement["Effect"] == "Allow"
                for resource in [resources] if isinstance(resources, str) else resources:
                    granted.add((action, resource, json.dumps(statement.get("Condition"))))
    objects = f"arn:aws:s3:::{bucket}/imports/*"
    prefix_only = json.dumps({"StringLike": {"s3:prefix": "imports/*"}})
    assert granted == {
        ("s3:PutObject", objects, "null"),
        ("s3:GetObject", objects, "null"),
        ("s3:AbortMultipartUpload", objects, "null"),
        ("s3:ListMultipartUploadParts", objects, "null"),
        ("s3:ListBucket", f"arn:aws:s3:::{bucket}", prefix_only),
        ("s3:ListBucketMultipartUploads", f"arn:aws:s3:::{bucket}", "null"),
    }


def test_function_and_logs(moto: MotoServer, outputs: dict[str, Any]) -> None:
    config = moto.client("lambda").get_function(FunctionName=NAME)["Configuration"]
    assert config["Runtime"] == "python3.13"
    assert config["Architectures"] == ["arm64"]
    assert config["Handler"] == "signed_import.handler.handler"
    variables = config["Environment"]["Variables"]
    assert variables["BUCKET_NAME"] == outputs["bucket_name"]
    assert variables["KEY_PREFIX"] == "imports/"
    assert variables["MULTIPART_ENABLED"] == "true"
    assert variables["MULTIPART_THRESHOLD_BYTES"] == str(16 * MIB)
    assert variables["MAX_UPLOAD_BYTES"] == str(1024 * MIB)
    assert variables["CALLER_ISOLATION"] == "iam"
    groups = moto.client("logs").describe_log_groups()["logGroups"]
    retention = {g["logGroupName"]: g.get("retentionInDays") for g in groups}
    assert retention[f"/aws/lambda/{NAME}"] == 365
    assert retention[f"/aws/apigateway/{NAME}/v1/access"] == 365


def test_only_the_api_routes_may_invoke_the_signer(
    moto: MotoServer, outputs: dict[str, Any]
) -> None:
    policy = json.loads(moto.client("lambda").get_policy(FunctionName=NAME)["Policy"])
    api_id = outputs["rest_api_id"]
    execution_arn = f"arn:aws:execute-api:{REGION}:123456789012:{api_id}/v1/"
    for statement in policy["Statement"]:
        assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
        assert statement["Action"] == "lambda:InvokeFunction"
    source_arns = sorted(s["Condition"]["ArnLike"]["AWS:SourceArn"] for s in policy["Statement"])
    assert source_arns == sorted(
        execution_arn + method + path.replace("{import_id}", "*")
        for path, methods in ROUTES.items()
        for method in methods
    )


def test_the_local_gateway_applies_the_stages_throttle(deployment: MotoStack) -> None:
    # The module's method settings (throttling_rate_limit and _burst_limit, 50 by default), read
    # from the stage Terraform applied: the local gateway is never kinder than the stage.
    assert deployment.gateway.stage_throttle.settings == {"*/*": Limits(rate=50.0, burst=50)}


def test_api_is_built_from_the_openapi_body(moto: MotoServer, outputs: dict[str, Any]) -> None:
    apigateway = moto.client("apigateway")
    api_id = outputs["rest_api_id"]
    resources = apigateway.get_resources(restApiId=api_id)["items"]
    methods = {r["path"]: set(r.get("resourceMethods", {})) for r in resources}
    assert {path: methods.get(path) for path in ROUTES} == ROUTES
    assert set(methods) - set(ROUTES) == {"/"}
    stage = apigateway.get_stage(restApiId=api_id, stageName="v1")
    assert json.loads(stage["accessLogSettings"]["format"])["requestId"] == "$context.requestId"
    assert stage["tracingEnabled"] is True


def test_consumer_uploads_through_the_local_api(
    moto: MotoServer, outputs: dict[str, Any], gateway: str
) -> None:
    data = secrets.token_bytes(3 * 1024 * 1024 + 17)
    result = upload(
        gateway, data, content_type="text/csv", filename="orders.csv", metadata={"source": "e2e"}
    )
    assert result.method == "PUT"
    assert re.fullmatch(KEY + re.escape(result.import_id), result.key)
    stored = moto.client("s3").get_object(Bucket=result.bucket, Key=result.key)
    assert stored["Body"].read() == data
    assert stored["ContentType"] == "text/csv"
    assert stored["Metadata"] == {"filename": "orders.csv", "source": "e2e"}


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"content_type": "text/csv"}, 400, "InvalidBody"),  # refused by the validator
        ({"size": -1}, 400, "InvalidBody"),
        ({"size": 0, "multipart": True}, 400, "EmptyMultipart"),
        ({"size": 10, "content_type": "image/png"}, 415, "ContentTypeNotAllowed"),
        ({"size": 1024 * MIB + 1}, 413, "SizeTooLarge"),
        ({"size": 5, "checksum_algorithm": "CRC64NVME"}, 400, "MissingChecksum"),
        (
            {"size": 20 * MIB, "multipart": True, "checksum_sha256": "A" * 43 + "="},
            400,
            "InvalidChecksum",
        ),
        ({"size": 5, "filename": "../../etc/passwd"}, 400, "InvalidFilename"),
    ],
    ids=[
        "missing-size",
        "negative-size",
        "empty-multipart",
        "type-not-allowed",
        "over-limit",
        "single-put-crc-not-given",
        "sha256-on-multipart",
        "path-in-filename",
    ],
)
def test_bad_requests_write_nothing(  # noqa: PLR0917 (pytest passes fixtures positionally)
    moto: MotoServer,
    outputs: dict[str, Any],
    gateway: str,
    payload: dict[str, Any],
    status: int,
    code: str,
) -> None:
    s3 = moto.client("s3")
    bucket = outputs["bucket_name"]
    # Where the signer would write for Carol (it writes nowhere else: test_properties.py).
    signed = request_import(gateway, {"size": 1, "content_type": "text/csv"}, auth=CAROL)
    carols = partition_of(signed[1]["key"])
    before = written(s3, bucket, carols)
    answer_status, answer = request_import(gateway, payload, auth=CAROL)
    assert (answer_status, answer["error"]["code"]) == (status, code)
    assert written(s3, bucket, carols) == before


def test_put_without_signed_header_is_not_what_was_declared(
    moto: MotoServer, outputs: dict[str, Any], gateway: str
) -> None:
    data = b"a,b\n1,2\n"
    status, answer = request_import(
        gateway,
        {"size": len(data), "content_type": "text/csv", "checksum_sha256": sha256_b64(data)},
    )
    assert status == 201
    headers = answer["upload"]["headers"]
    assert headers == {
        "Content-Type": "text/csv",
        "Content-Length": str(len(data)),
        "If-None-Match": "*",
        "x-amz-checksum-sha256": sha256_b64(data),
    }
    assert put_signed(answer["upload"]["url"], headers, data) == 200


def test_completed_imports_reach_eventbridge(
    moto: MotoServer, outputs: dict[str, Any], gateway: str
) -> None:
    # moto 5.2 applies the bucket's EventBridge setting (events are delivered) but leaves
    # EventBridgeConfiguration out of GetBucketNotificationConfiguration: delivery is the proof.
    bucket = outputs["bucket_name"]
    events, sqs = moto.client("events"), moto.client("sqs")
    queue_url = sqs.create_queue(QueueName="imports-created")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    pattern = outputs["object_created_event_pattern"]
    assert json.loads(pattern)["detail"]["bucket"]["name"] == [bucket]
    events.put_rule(Name="imports-created", EventPattern=pattern)
    events.put_targets(Rule="imports-created", Targets=[{"Id": "queue", "Arn": queue_arn}])
    try:
        moto.client("s3").put_object(Bucket=bucket, Key="elsewhere/c", Body=b"not an import")
        single = upload(
            gateway, b"id\n1\n", DAVE, content_type="text/csv", filename="a.csv", metadata={}
        )
        # Above examples/local's 16 MiB threshold: the server plans multipart.
        multipart = upload(gateway, secrets.token_bytes(17 * MIB), DAVE, filename="b.bin")
        # Other suites' imports reach the queue too: keep Dave's, and any outside the prefix.
        daves = partition_of(single.key)
        received = [
            event
            for event in queued_events(sqs, queue_url, until={single.key, multipart.key})
            if event["detail"]["object"]["key"].startswith(daves)
            or not event["detail"]["object"]["key"].startswith("imports/")
        ]
    finally:
        events.remove_targets(Rule="imports-created", Ids=["queue"])
        events.delete_rule(Name="imports-created")
        sqs.delete_queue(QueueUrl=queue_url)

    assert multipart.method == "MULTIPART"
    delivered = received
    # An event for each completed import, none for the object outside key_prefix. (S3 sends one
    # per object; moto sends a completed multipart upload's twice, with `reason` "ObjectCreated"
    # where S3 says PutObject or CompleteMultipartUpload.)
    assert {(e["detail-type"], e["detail"]["object"]["key"]) for e in delivered} == {
        ("Object Created", single.key),
        ("Object Created", multipart.key),
    }
    assert all(e["detail"]["bucket"]["name"] == bucket for e in delivered)


def test_replayed_single_put_url_is_refused(
    moto: MotoServer, outputs: dict[str, Any], gateway: str
) -> None:
    data = b"id,amount\n1,9.50\n"
    status, answer = request_import(
        gateway, {"size": len(data), "content_type": "text/csv"}, auth=ALICE
    )
    assert status == 201, answer
    assert put_signed(answer["upload"]["url"], answer["upload"]["headers"], data) == 200
    s3 = moto.client("s3")
    before = s3.list_object_versions(Bucket=answer["bucket"], Prefix=answer["key"])["Versions"]

    replayed = put_signed(
        answer["upload"]["url"], answer["upload"]["headers"], b"other bytes!!!!!!"
    )

    assert replayed == 412
    after = s3.list_object_versions(Bucket=answer["bucket"], Prefix=answer["key"])["Versions"]
    assert [v["VersionId"] for v in after] == [v["VersionId"] for v in before]
    assert s3.get_object(Bucket=answer["bucket"], Key=answer["key"])["Body"].read() == data


def multipart_uploads(moto: MotoServer, bucket: str, key: str) -> list[dict[str, Any]]:
    listed = moto.client("s3").list_multipart_uploads(Bucket=bucket, Prefix=key)
    return [u for u in listed.get("Uploads", []) if u["Key"] == key]


def test_interrupted_multipart_import_resumes_and_completes(
    moto: MotoServer, outputs: dict[str, Any], gateway: str
) -> None:
    data = secrets.token_bytes(64 * MIB)
    bucket = outputs["bucket_name"]

    import_id = interrupted_upload(
        gateway,
        data,
        3,
        ALICE,
        part_size=8 * MIB,
        content_type="application/octet-stream",
        filename="measurements.bin",
        metadata={"source": "e2e"},
    )

    status, state = import_status(gateway, import_id, auth=ALICE)
    assert status == 200, state
    assert (state["status"], state["method"]) == ("uploading", "MULTIPART")
    assert state["checksum_algorithm"] == "CRC64NVME"
    assert (state["part_size"], state["part_count"]) == (8 * MIB, 8)
    assert (state["parts_uploaded"], state["bytes_uploaded"]) == (3, 24 * MIB)
    status, held = list_parts(gateway, import_id, auth=ALICE)
    assert status == 200, held
    assert [(p["part_number"], p["size"]) for p in held["parts"]] == [
        (n, 8 * MIB) for n in (1, 2, 3)
    ]

    with Uploader(gateway, ALICE) as uploader:
        resumed = uploader.resume(import_id, data)

    assert (resumed.parts_resumed, resumed.parts_uploaded) == (3, 5)
    assert dict(resumed.parts)[1] == held["parts"][0]["etag"]
    key = resumed.key
    assert re.fullmatch(KEY + re.escape(import_id), key)
    assert resumed.size == len(data)
    s3 = moto.client("s3")
    stored = s3.get_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    assert stored["Body"].read() == data
    assert stored["ContentType"] == resumed.content_type == "application/octet-stream"
    assert stored["Metadata"] == {"filename": "measurements.bin", "source": "e2e"}
    assert stored["ETag"] == resumed.etag
    assert stored["ETag"].endswith('-8"')
    assert stored["ChecksumCRC64NVME"] == resumed.checksum_crc64nvme == crc64nvme_b64(data)
    assert resumed.bucket == bucket  # from the completion: this call did not create the import
    assert multipart_uploads(moto, bucket, key) == []

    status, state = import_status(gateway, import_id, auth=ALICE)
    assert status == 200, state
    assert state["status"] == "complete"
    assert (state["size"], state["etag"]) == (len(data), resumed.etag)

    # Completing again answers the same 200; aborting a complete import is a conflict.
    # (The whole file's CRC was not declared up front: the client combines it from the parts
    # and gives it at completion, so a completion names it.)
    again = complete_import(
        gateway, import_id, dict(resumed.parts), ALICE, resumed.checksum_crc64nvme
    )
    assert again == (
        200,
        {
            "import_id": import_id,
            "bucket": bucket,
            "key": key,
            "status": "complete",
            "size": len(data),
            "etag": resumed.etag,
            # From HeadObject with checksum mode: moto reports the CRC it was given.
            "checksum_crc64nvme": crc64nvme_b64(data),
        },
    )
    status, conflict = abort_import(gateway, import_id, auth=ALICE)
    assert (status, conflict["error"]["code"]) == (409, "AlreadyComplete")


def test_aborted_import_leaves_nothing(
    moto: MotoServer, outputs: dict[str, Any], gateway: str
) -> None:
    data = secrets.token_bytes(11 * MIB)
    bucket = outputs["bucket_name"]
    # Without checksums this time: part URLs signed by number alone.
    status, created = request_import(
        gateway,
        {"size": len(data), "multipart": True, "part_size": 5 * MIB, "filename": "partial.bin"},
        auth=ALICE,
    )
    assert status == 201, created
    import_id, key = created["import_id"], created["key"]
    status, signed = sign_parts(gateway, import_id, [1, 2], auth=ALICE)
    assert status == 200, signed
    etags = {}
    for part in signed["parts"]:
        start = (part["part_number"] - 1) * 5 * MIB
        body = data[start : start + 5 * MIB]
        response = httpx.put(part["url"], content=body, headers=part["headers"])
        assert response.status_code == 200
        etags[part["part_number"]] = response.headers["ETag"]
    assert len(multipart_uploads(moto, bucket, key)) == 1

    status, answer = abort_import(gateway, import_id, auth=ALICE)

    assert (status, answer) == (204, {})
    assert multipart_uploads(moto, bucket, key) == []
    assert moto.client("s3").list_objects_v2(Bucket=bucket, Prefix=key).get("KeyCount") == 0
    for status, answer in (
        import_status(gateway, import_id, auth=ALICE),
        list_parts(gateway, import_id, auth=ALICE),
        sign_parts(gateway, import_id, [3], auth=ALICE),
        complete_import(gateway, import_id, etags, auth=ALICE),
        abort_import(gateway, import_id, auth=ALICE),
    ):
        assert (status, answer["error"]["code"]) == (404, "NotFound")
    with Uploader(gateway, ALICE) as uploader, pytest.raises(ApiError) as resumed:
        uploader.resume(import_id, data)
    assert resumed.value.status == 404


def test_another_caller_never_sees_an_import(
    moto: MotoServer, outputs: dict[str, Any], gateway: str
) -> None:
    data = secrets.token_bytes(17 * MIB)  # above the threshold: multipart, 4 parts of 5 MiB
    import_id = interrupted_upload(gateway, data, 1, ALICE, filename="mine.bin")
    status, held = list_parts(gateway, import_id, auth=ALICE)
    etags = {p["part_number"]: p["etag"] for p in held["parts"]}
    not_found = {"error": {"code": "NotFound", "message": "no import with this id"}}
    crc = crc64nvme_b64(data[5 * MIB :])

    answers = {
        "GET /import/{id}": import_status(gateway, import_id, auth=BOB),
        "GET /import/{id}/parts": list_parts(gateway, import_id, auth=BOB),
        "POST /import/{id}/parts": sign_parts(gateway, import_id, {2: crc}, auth=BOB),
        "POST /import/{id}/complete": complete_import(gateway, import_id, etags, auth=BOB),
        "DELETE /import/{id}": abort_import(gateway, import_id, auth=BOB),
        # Without an Authorization header: the local gateway's fixed caller, also not Alice.
        "GET /import/{id} (local user)": call(gateway, "GET", import_id),
    }

    assert answers == dict.fromkeys(answers, (404, not_found))
    # Alice's import is untouched, and hers to finish.
    status, state = import_status(gateway, import_id, auth=ALICE)
    assert (status, state["status"], state["parts_uploaded"]) == (200, "uploading", 1)
    with Uploader(gateway, ALICE) as uploader:
        finished = uploader.resume(import_id, data)
    assert finished.parts_resumed == 1
    assert import_status(gateway, import_id, auth=BOB) == (404, not_found)
    assert re.fullmatch(KEY + re.escape(import_id), finished.key)
    # Bob's keys live under another partition of key_prefix.
    bob = upload(gateway, b"x", BOB, content_type="text/csv", filename="b.csv")
    alice_partition = finished.key.split("/")[1]
    assert bob.key.split("/")[1] != alice_partition
