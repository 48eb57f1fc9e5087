"""moto_server, with the one fix this module's stack needs from moto 5.2.5.

API Gateway imports a MOCK integration (the CORS preflights of the OpenAPI body) without `uri`
or `httpMethod`, as AWS's own CORS support writes it; moto's body import passes neither and its
put_integration requires both, so the import fails with a 500 and Terraform retries until it
times out. Here they default to None, which moto stores as "no URI" for any integration type.

Run as `python -m localdev.moto_server [moto_server options]`.
"""

from __future__ import annotations

from typing import Any

from moto import server
from moto.apigateway.models import APIGatewayBackend

_put_integration = APIGatewayBackend.put_integration


def _put_integration_with_optional_uri(self: APIGatewayBackend, *args: Any, **kwargs: Any) -> Any:
    kwargs.setdefault("uri", None)
    kwargs.setdefault("integration_method", None)
    return _put_integration(self, *args, **kwargs)


APIGatewayBackend.put_integration = _put_integration_with_optional_uri  # type: ignore[method-assign]

if __name__ == "__main__":
    server.main()
