"""A local stand-in for the module's API Gateway REST API, like `sam local start-api` for SAM.

It is driven by the rendered OpenAPI document (the `openapi_document` output), so local requests
meet the same routes, request validators and gateway responses as the deployed stage, and the
Lambda handler receives the REST (v1) proxy event API Gateway would send it.

Authorization is not enforced here (`LocalGateway.auth_note` says what the deployed API requires
instead), but the event carries a caller identity where API Gateway would put one, derived from
the request without verifying anything, so that per-caller behaviour can be exercised locally:

- sigv4 (`awsSigv4`): `requestContext.identity` names the IAM user
  `arn:aws:iam::123456789012:user/<access key id>`, the key id taken from the
  `Authorization: AWS4-HMAC-SHA256 Credential=<AKID>/...` header; without one, the user `local`.
- cognito_user_pools: `requestContext.authorizer.claims` is the payload of the JWT in the
  `Authorization` header (`Bearer ` optional; the signature is not checked), every value a
  string as API Gateway passes them; without a readable token, `{"sub": "local-user",
  "iss": "local"}`.
- custom (Lambda authorizer): `requestContext.authorizer.principalId` is the value of the
  identity-source header, as if the authorizer had returned it; without one, `local-user`.
- no security: no identity, as API Gateway sends it.

The stage's throttle is applied, a token bucket per method as API Gateway applies the stage's
method settings (`StageThrottle`): past it a request gets 429 THROTTLED.

API keys are enforced: a method whose security requires the x-api-key scheme admits only an
enabled key on one of the stage's usage plans (`UsagePlans`, read from moto's API Gateway), within
its plan's throttle and quota, and answers INVALID_API_KEY, THROTTLED or QUOTA_EXCEEDED as API
Gateway does.

The package, one purpose a module: `document` compiles the OpenAPI document into routes and
operations, `stage` answers a request (routing, API keys, validation, integration, access log),
`proxy` maps the Lambda proxy event and response, `identity` derives the unverified caller
identity, `stage_throttle` throttles each method, `usage_plans` meters API keys, `responses`
renders gateway responses, `mock` runs MOCK integrations, `access_log` writes the stage's access
log and `server` serves it all over HTTP.
"""

from localdev.gateway.server import MAX_PAYLOAD_BYTES
from localdev.gateway.stage import Invoke, LambdaContext, LocalGateway, LocalResponse
from localdev.gateway.stage_throttle import StageThrottle
from localdev.gateway.usage_plans import UsagePlans

__all__ = [
    "MAX_PAYLOAD_BYTES",
    "Invoke",
    "LambdaContext",
    "LocalGateway",
    "LocalResponse",
    "StageThrottle",
    "UsagePlans",
]
