"""moto_server, with the fixes this module's stack needs from moto 5.2.5.

- API Gateway imports a MOCK integration (the CORS preflights of the OpenAPI body) without `uri`
  or `httpMethod`, as AWS's own CORS support writes it; moto's body import passes neither and its
  put_integration requires both, so the import fails with a 500 and Terraform retries until it
  times out. Here they default to None, which moto stores as "no URI" for any integration type.
- Lambda keeps one statement per statement id; moto appends a second one when AddPermission is
  retried (Terraform retries a call that took too long on a busy machine), and the function then
  keeps a permission after RemovePermission, so `terraform destroy` waits and fails. Here a
  statement id that exists is answered with the existing statement, under a lock.
- A REST API's resource policy behaves as in API Gateway. An OpenAPI import (PutRestApi) sets it
  from the body's `x-amazon-apigateway-policy` and, in overwrite mode (what Terraform sends on
  every body change), removes it when the body has none: "items from the existing API that
  aren't specifically defined in the imported definition are deleted" (API Gateway developer
  guide, "Import an OpenAPI file to update an existing API definition"); moto kept the old one.
  "execute-api:/..." resources are expanded to the API's ARN ("On import, execute-api:/* is
  converted to arn:aws:execute-api:region:account-id:api-id/*", x-amazon-apigateway-policy).
  And GetRestApi answers the policy as an escaped JSON string, as API Gateway does (the AWS
  provider unescapes it, and fails on moto's plain JSON).

Run as `python -m localdev.moto_server [moto_server options]`.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from moto import server
from moto.apigateway.models import APIGatewayBackend, RestAPI
from moto.awslambda.policy import Policy

_put_integration = APIGatewayBackend.put_integration


def _put_integration_with_optional_uri(self: APIGatewayBackend, *args: Any, **kwargs: Any) -> Any:
    kwargs.setdefault("uri", None)
    kwargs.setdefault("integration_method", None)
    return _put_integration(self, *args, **kwargs)


APIGatewayBackend.put_integration = _put_integration_with_optional_uri

_put_rest_api = APIGatewayBackend.put_rest_api
_rest_api_to_dict = RestAPI.to_dict
_SHORTHAND = "execute-api:/"


def _expanded(policy: dict[str, Any], arn: str) -> dict[str, Any]:
    """`execute-api:/...` resources written as `<arn>/...`, as API Gateway stores them."""

    def expand(value: Any) -> Any:
        if isinstance(value, list):
            return [expand(item) for item in value]
        if isinstance(value, str) and value.startswith(_SHORTHAND):
            return f"{arn}/{value[len(_SHORTHAND) :]}"
        return value

    statements = policy.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    expanded = [
        {
            key: expand(value) if key in ("Resource", "NotResource") else value
            for key, value in s.items()
        }
        for s in statements
    ]
    return {**policy, "Statement": expanded}


def _put_rest_api_with_its_policy(
    self: APIGatewayBackend,
    function_id: str,
    api_doc: dict[str, Any],
    fail_on_warnings: bool,
    mode: str = "merge",
) -> Any:
    api = _put_rest_api(self, function_id, api_doc, fail_on_warnings, mode)
    policy = api_doc.get("x-amazon-apigateway-policy")
    if policy is not None:
        arn = f"arn:aws:execute-api:{self.region_name}:{self.account_id}:{function_id}"
        api.policy = json.dumps(_expanded(policy, arn))
    elif mode == "overwrite":
        api.policy = None
    return api


def _rest_api_with_an_escaped_policy(self: RestAPI) -> dict[str, Any]:
    answer: dict[str, Any] = _rest_api_to_dict(self)
    if answer.get("policy"):
        answer["policy"] = json.dumps(answer["policy"])[1:-1]  # the JSON string's inside
    return answer


APIGatewayBackend.put_rest_api = _put_rest_api_with_its_policy
RestAPI.to_dict = _rest_api_with_an_escaped_policy

_add_statement = Policy.add_statement
_policy_lock = threading.Lock()


def _add_statement_once(self: Policy, raw: str, qualifier: str | None = None) -> tuple[Any, str]:
    sid = json.loads(raw).get("StatementId")
    with _policy_lock:
        for statement in self.statements:
            if sid is not None and statement.get("Sid") == sid:
                return statement, self.revision
        added: tuple[Any, str] = _add_statement(self, raw, qualifier)
        return added


Policy.add_statement = _add_statement_once

if __name__ == "__main__":
    server.main()
