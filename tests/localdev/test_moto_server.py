"""The fixes localdev.moto_server applies to moto, checked on moto's own classes."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

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
    policy = Policy(SimpleNamespace(function_arn=FUNCTION_ARN))  # type: ignore[arg-type]
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
