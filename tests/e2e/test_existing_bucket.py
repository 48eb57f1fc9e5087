"""examples/local applied on a moto_server of this module's own, with `create_bucket = false`:
the module uses a bucket the consumer already has and leaves it (and what it holds) alone, and a
body change keeps the API's resource policy. Its own stack, because these tests change it and
need a bucket that exists before the apply; the shared stack is never changed."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from localdev.emulator import REGION, MotoServer
from localdev.stack import MotoStack, deployed, leftovers
from signed_import_client import Uploader

# A source-range resource policy, as a caller writes it (see the README).
SOURCE_RANGE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "execute-api:Invoke",
            "Resource": "execute-api:/*",
        },
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "execute-api:Invoke",
            "Resource": "execute-api:/*",
            "Condition": {"NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24"]}},
        },
    ],
}


@dataclass(frozen=True)
class ExistingBucketStack:
    moto: MotoServer
    bucket: str  # the consumer's, made before the module is applied
    stack: MotoStack
    # What must still be in the bucket after the destroy: key → bytes.
    kept: dict[str, bytes] = field(default_factory=dict)


CONSUMERS_OWN_OBJECT = ("reports/2026-11.csv", b"month,total\n11,42\n")


@pytest.fixture(scope="module")
def existing_bucket_stack(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ExistingBucketStack]:
    """examples/local applied on a moto_server of its own with create_bucket = false, into a
    bucket the consumer already has (with an object of theirs in it). The tests that change a
    stack change this one, never the shared one. On the way out: destroyed, and the consumer's
    bucket and object are still there while nothing the module created is."""
    with MotoServer() as moto:
        s3 = moto.client("s3")
        existing = f"landing-{secrets.token_hex(4)}"
        s3.create_bucket(Bucket=existing)
        key, data = CONSUMERS_OWN_OBJECT
        s3.put_object(Bucket=existing, Key=key, Body=data)
        variables = {
            "name": "existing-bucket-import",
            "create_bucket": "false",
            "bucket_name": existing,
        }
        with deployed(moto, tmp_path_factory.mktemp("tf-existing"), variables) as stack:
            applied = ExistingBucketStack(moto, existing, stack, {key: data})
            yield applied
        assert stack.terraform.resources() == []
        for kept, kept_data in applied.kept.items():
            assert s3.get_object(Bucket=existing, Key=kept)["Body"].read() == kept_data, kept
            s3.delete_object(Bucket=existing, Key=kept)
        s3.delete_bucket(Bucket=existing)
        assert leftovers(moto) == []


def test_existing_bucket_is_used_not_managed(existing_bucket_stack: ExistingBucketStack) -> None:
    moto, existing, stack = (
        existing_bucket_stack.moto,
        existing_bucket_stack.bucket,
        existing_bucket_stack.stack,
    )
    s3 = moto.client("s3")
    assert not [a for a in stack.terraform.resources() if ".aws_s3_bucket" in a]
    assert stack.outputs["bucket_name"] == existing
    policy = moto.client("iam").get_role_policy(
        RoleName="existing-bucket-import-signer", PolicyName="existing-bucket-import-signer"
    )["PolicyDocument"]
    policy = json.loads(policy) if isinstance(policy, str) else policy
    resources = [s["Resource"] for s in policy["Statement"] if s["Action"] == "s3:PutObject"]
    assert resources == [f"arn:aws:s3:::{existing}/imports/*"]
    # The module leaves the consumer's bucket alone: no notification configuration.
    notifications = s3.get_bucket_notification_configuration(Bucket=existing)
    assert "EventBridgeConfiguration" not in notifications
    with Uploader(stack.import_url) as uploader:
        result = uploader.upload(b"id\n1\n", content_type="text/csv", filename="a.csv")
    assert s3.get_object(Bucket=existing, Key=result.key)["Body"].read() == b"id\n1\n"
    existing_bucket_stack.kept[result.key] = b"id\n1\n"  # an import outlives the module too


def stored_policy(moto: MotoServer, api_id: str) -> Any:
    """The API's policy as GetRestApi answers it (an escaped JSON string), decoded."""
    escaped = moto.client("apigateway").get_rest_api(restApiId=api_id).get("policy")
    return json.loads(json.loads(f'"{escaped}"')) if escaped else None


def test_the_resource_policy_survives_a_body_change(
    existing_bucket_stack: ExistingBucketStack,
) -> None:
    """A body change is a PutRestApi in overwrite mode, which replaces the API's policy with the
    body's (moto is made to, as API Gateway does): the policy must still be there afterwards."""
    moto, stack = existing_bucket_stack.moto, existing_bucket_stack.stack
    api_id = stack.outputs["rest_api_id"]
    arn = f"arn:aws:execute-api:{REGION}:123456789012:{api_id}"
    expected = json.loads(json.dumps(SOURCE_RANGE_POLICY).replace('"execute-api:/', f'"{arn}/'))
    terraform = stack.terraform
    assert stored_policy(moto, api_id) is None

    terraform.variables["api_resource_policy"] = json.dumps(SOURCE_RANGE_POLICY)
    terraform.apply()  # a policy added to the API later, as a user would
    assert stored_policy(moto, api_id) == expected  # "execute-api:/*" expanded to the API's ARN

    terraform.variables["cors_allowed_origins"] = json.dumps(["http://127.0.0.1:9"])
    terraform.apply()  # a new body: OPTIONS methods for the preflights

    methods = {
        method
        for resource in moto.client("apigateway").get_resources(restApiId=api_id)["items"]
        for method in resource.get("resourceMethods", {})
    }
    assert "OPTIONS" in methods, "the body did change"
    assert stored_policy(moto, api_id) == expected
