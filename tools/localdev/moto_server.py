"""moto_server, with the two fixes this module's stack needs from moto 5.2.5.

- API Gateway imports a MOCK integration (the CORS preflights of the OpenAPI body) without `uri`
  or `httpMethod`, as AWS's own CORS support writes it; moto's body import passes neither and its
  put_integration requires both, so the import fails with a 500 and Terraform retries until it
  times out. Here they default to None, which moto stores as "no URI" for any integration type.
- Lambda keeps one statement per statement id; moto appends a second one when AddPermission is
  retried (Terraform retries a call that took too long on a busy machine), and the function then
  keeps a permission after RemovePermission, so `terraform destroy` waits and fails. Here a
  statement id that exists is answered with the existing statement, under a lock.

Run as `python -m localdev.moto_server [moto_server options]`.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from moto import server
from moto.apigateway.models import APIGatewayBackend
from moto.awslambda.policy import Policy

_put_integration = APIGatewayBackend.put_integration


def _put_integration_with_optional_uri(self: APIGatewayBackend, *args: Any, **kwargs: Any) -> Any:
    kwargs.setdefault("uri", None)
    kwargs.setdefault("integration_method", None)
    return _put_integration(self, *args, **kwargs)


APIGatewayBackend.put_integration = _put_integration_with_optional_uri  # type: ignore[method-assign]

_add_statement = Policy.add_statement
_policy_lock = threading.Lock()


def _add_statement_once(self: Policy, raw: str, qualifier: str | None = None) -> tuple[Any, str]:
    sid = json.loads(raw).get("StatementId")
    with _policy_lock:
        for statement in self.statements:
            if sid is not None and statement.get("Sid") == sid:
                return statement, self.revision
        return _add_statement(self, raw, qualifier)


Policy.add_statement = _add_statement_once  # type: ignore[method-assign]

if __name__ == "__main__":
    server.main()
