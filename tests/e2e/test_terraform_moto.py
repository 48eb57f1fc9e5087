"""Apply examples/local on moto_server, check what AWS would hold, run the consumer flow through
the local gateway with the deployed zip, and prove `terraform destroy` leaves nothing behind."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localdev.consumer import put_signed, request_import, sha256_b64, upload
from localdev.emulator import REGION, MotoServer
from localdev.stack import LocalStack, deployed

NAME = "signed-import-local"


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    saved = dict(os.environ)
    # The deployed handler is loaded with its Lambda environment: restore ours afterwards.
    with MotoServer() as server:
        yield server
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="module")
def deployment(moto: MotoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with deployed(moto, tmp_path_factory.mktemp("tf")) as stack:
        yield stack
    assert stack.terraform.resources() == []
    # Nothing the module created is left in the emulator.
    assert moto.client("s3").list_buckets()["Buckets"] == []
    assert moto.client("lambda").list_functions()["Functions"] == []
    assert moto.client("apigateway").get_rest_apis()["items"] == []
    assert [r["RoleName"] for r in moto.client("iam").list_roles()["Roles"]] == []
    assert moto.client("logs").describe_log_groups()["logGroups"] == []


@pytest.fixture(scope="module")
def outputs(deployment: LocalStack) -> dict[str, Any]:
    return deployment.outputs


@pytest.fixture(scope="module")
def gateway(deployment: LocalStack) -> str:
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
    s3_statements = [s for s in document["Statement"] if str(s["Action"]).startswith("s3:")]
    assert s3_statements, "the signer must be allowed to put objects"
    for statement in s3_statements:
        assert statement["Action"] == "s3:PutObject"
        assert statement["Resource"] == f"arn:aws:s3:::{bucket}/imports/*"


def test_function_and_logs(moto: MotoServer, outputs: dict[str, Any]) -> None:
    config = moto.client("lambda").get_function(FunctionName=NAME)["Configuration"]
    assert config["Runtime"] == "python3.13"
    assert config["Architectures"] == ["arm64"]
    assert config["Handler"] == "signed_import.handler.handler"
    assert config["Environment"]["Variables"]["BUCKET_NAME"] == outputs["bucket_name"]
    assert config["Environment"]["Variables"]["KEY_PREFIX"] == "imports/"
    groups = moto.client("logs").describe_log_groups()["logGroups"]
    retention = {g["logGroupName"]: g.get("retentionInDays") for g in groups}
    assert retention[f"/aws/lambda/{NAME}"] == 365
    assert retention[f"/aws/apigateway/{NAME}/v1/access"] == 365


def test_only_this_route_may_invoke_the_signer(moto: MotoServer, outputs: dict[str, Any]) -> None:
    policy = json.loads(moto.client("lambda").get_policy(FunctionName=NAME)["Policy"])
    api_id = outputs["rest_api_id"]
    [statement] = policy["Statement"]
    assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == (
        f"arn:aws:execute-api:{REGION}:123456789012:{api_id}/v1/POST/import"
    )


def test_api_is_built_from_the_openapi_body(moto: MotoServer, outputs: dict[str, Any]) -> None:
    apigateway = moto.client("apigateway")
    api_id = outputs["rest_api_id"]
    resources = apigateway.get_resources(restApiId=api_id)["items"]
    imports = [r for r in resources if r["path"] == "/import"]
    assert len(imports) == 1
    assert "POST" in imports[0]["resourceMethods"]
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
    assert result.put_status == 200
    answer = result.import_response
    assert answer["key"] == f"imports/{answer['import_id']}"
    stored = moto.client("s3").get_object(Bucket=answer["bucket"], Key=answer["key"])
    assert stored["Body"].read() == data
    assert stored["ContentType"] == "text/csv"
    assert stored["Metadata"] == {"filename": "orders.csv", "source": "e2e"}


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"content_type": "text/csv"}, 400, "InvalidBody"),  # refused by the validator
        ({"size": 0}, 400, "InvalidBody"),
        ({"size": 10, "content_type": "image/png"}, 415, "ContentTypeNotAllowed"),
        ({"size": 64 * 1024 * 1024 + 1}, 413, "SizeTooLarge"),
        ({"size": 5, "filename": "../../etc/passwd"}, 400, "InvalidFilename"),
    ],
    ids=["missing-size", "zero-size", "type-not-allowed", "over-limit", "path-in-filename"],
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
    before = s3.list_object_versions(Bucket=bucket).get("Versions", [])
    answer_status, answer = request_import(gateway, payload)
    assert (answer_status, answer["error"]["code"]) == (status, code)
    assert s3.list_object_versions(Bucket=bucket).get("Versions", []) == before


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
        "x-amz-checksum-sha256": sha256_b64(data),
    }
    assert put_signed(answer["upload"]["url"], headers, data, None) == 200


def test_existing_bucket_is_used_not_managed(
    moto: MotoServer, outputs: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    s3 = moto.client("s3")
    existing = f"landing-{secrets.token_hex(4)}"
    s3.create_bucket(Bucket=existing)
    variables = {
        "name": "existing-bucket-import",
        "create_bucket": "false",
        "bucket_name": existing,
    }
    with deployed(moto, tmp_path_factory.mktemp("tf-existing"), variables) as stack:
        assert not [a for a in stack.terraform.resources() if ".aws_s3_bucket" in a]
        assert stack.outputs["bucket_name"] == existing
        policy = moto.client("iam").get_role_policy(
            RoleName="existing-bucket-import-signer", PolicyName="existing-bucket-import-signer"
        )["PolicyDocument"]
        policy = json.loads(policy) if isinstance(policy, str) else policy
        resources = [s["Resource"] for s in policy["Statement"] if s["Action"] == "s3:PutObject"]
        assert resources == [f"arn:aws:s3:::{existing}/imports/*"]
        result = upload(
            stack.import_url, b"id\n1\n", content_type="text/csv", filename="a.csv", metadata={}
        )
        assert result.put_status == 200
        key = result.import_response["key"]
        assert s3.get_object(Bucket=existing, Key=key)["Body"].read() == b"id\n1\n"
    assert stack.terraform.resources() == []
    # The consumer's bucket and its objects survive the module's destroy.
    assert s3.get_object(Bucket=existing, Key=key)["Body"].read() == b"id\n1\n"
    s3.delete_object(Bucket=existing, Key=key)
    s3.delete_bucket(Bucket=existing)
