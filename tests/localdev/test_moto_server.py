"""The fixes localdev.moto_server applies to moto, checked on moto's own classes."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

from moto.apigateway.models import APIGatewayBackend
from moto.awslambda.policy import Policy

import localdev.moto_server  # noqa: F401 (applies the fixes)

FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:signed-import-local"


def permission(sid: str, source_arn: str) -> str:
    return json.dumps(
        {
            "StatementId": sid,
            "Action": "lambda:InvokeFunction",
            "Principal": "apigateway.amazonaws.com",
            "SourceArn": source_arn,
        }
    )


def test_a_retried_add_permission_keeps_one_statement_per_id() -> None:
    policy = Policy(SimpleNamespace(function_arn=FUNCTION_ARN))
    get = permission(
        "AllowApiGateway-getImport", "arn:aws:execute-api:us-east-1:1:a/v1/GET/import/*"
    )
    parts = permission(
        "AllowApiGateway-listParts", "arn:aws:execute-api:us-east-1:1:a/v1/GET/import/*/parts"
    )

    first: Any = policy.add_statement(get)
    policy.add_statement(parts)
    again: Any = policy.add_statement(get)  # the same call, retried

    assert [s["Sid"] for s in policy.statements] == [
        "AllowApiGateway-getImport",
        "AllowApiGateway-listParts",
    ]
    assert again[0] is first[0]
    policy.del_statement("AllowApiGateway-getImport")
    assert [s["Sid"] for s in policy.statements] == ["AllowApiGateway-listParts"]


def policy_of(api: Any) -> Any:
    """The policy as a client reads it: GetRestApi answers an escaped JSON string."""
    escaped = api.to_dict().get("policy")
    return json.loads(json.loads(f'"{escaped}"')) if escaped else None


def test_a_body_import_sets_replaces_and_removes_the_resource_policy() -> None:
    backend = APIGatewayBackend("us-east-1", "123456789012")
    deny = {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke"}
    policy = {
        "Version": "2012-10-17",
        "Statement": [{**deny, "Resource": ["execute-api:/*", "execute-api:/v1/GET/import/*"]}],
    }
    api = backend.create_rest_api("signed-import-local", "")
    arn = f"arn:aws:execute-api:us-east-1:123456789012:{api.id}"
    body: dict[str, Any] = {"openapi": "3.0.1", "info": {"title": "t"}, "paths": {}}
    with_policy = {**body, "x-amazon-apigateway-policy": policy}

    backend.put_rest_api(api.id, with_policy, fail_on_warnings=False, mode="overwrite")
    stored = {
        "Version": "2012-10-17",
        "Statement": [{**deny, "Resource": [f"{arn}/*", f"{arn}/v1/GET/import/*"]}],
    }
    assert policy_of(api) == stored  # "execute-api:/" expanded to the API's ARN on import
    assert '\\"Version\\"' in api.to_dict()["policy"]  # answered escaped, as API Gateway does

    backend.put_rest_api(api.id, body, fail_on_warnings=False, mode="merge")
    assert policy_of(api) == stored  # merge keeps what the body does not name

    backend.put_rest_api(api.id, body, fail_on_warnings=False, mode="overwrite")
    assert policy_of(api) is None  # overwrite: a body without x-amazon-apigateway-policy has none
