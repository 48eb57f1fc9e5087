"""Gateway responses: the errors API Gateway answers itself (an unknown route, a request its
validator refuses, a failed integration), rendered through the document's
`x-amazon-apigateway-gateway-responses` as API Gateway renders them."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from localdev.gateway.stage import Request

# Default status of each gateway response this stand-in produces (API Gateway's table).
_DEFAULT_STATUS = {
    "BAD_REQUEST_BODY": 400,
    "MISSING_AUTHENTICATION_TOKEN": 403,
    "BAD_REQUEST_PARAMETERS": 400,
    "INVALID_API_KEY": 403,
    "THROTTLED": 429,
    "QUOTA_EXCEEDED": 429,
    "REQUEST_TOO_LARGE": 413,
    "INTEGRATION_TIMEOUT": 504,
    "DEFAULT_5XX": 502,  # a failed or malformed Lambda proxy response
}
# "Customizing the default gateway response for 413 REQUEST_TOO_LARGE isn't currently
# supported" (API Gateway developer guide, "Amazon API Gateway important notes").
_NOT_CUSTOMIZABLE = frozenset({"REQUEST_TOO_LARGE"})
# API Gateway's own template when the document customises nothing.
_DEFAULT_TEMPLATES = {"application/json": '{"message":$context.error.messageString}'}
# Longest name first, so `error.message` never matches the start of `error.messageString`.
_CONTEXT_VARIABLE = re.compile(
    r"\$context\.(error\.messageString|error\.message|error\.responseType|requestId)"
)


def gateway_response(
    gateway_responses: Mapping[str, Any], response_type: str, message: str, request: Request
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Render an error API Gateway answers itself, through the document's gateway responses
    (falling back to DEFAULT_4XX / DEFAULT_5XX, then to API Gateway's own default)."""
    default_status = _DEFAULT_STATUS[response_type]
    fallback = "DEFAULT_4XX" if default_status < 500 else "DEFAULT_5XX"
    spec = gateway_responses.get(response_type) or gateway_responses.get(fallback) or {}
    if response_type in _NOT_CUSTOMIZABLE:
        spec = {}  # API Gateway's own answer, whatever the document says
    templates = spec.get("responseTemplates") or _DEFAULT_TEMPLATES
    content_type = "application/json" if "application/json" in templates else next(iter(templates))
    values = {
        "error.messageString": json.dumps(message),  # arrives quoted, as in API Gateway
        "error.message": message,
        "error.responseType": response_type,
        "requestId": request.request_id,
    }
    body = _CONTEXT_VARIABLE.sub(lambda m: values[m.group(1)], templates[content_type])
    headers = [("Content-Type", content_type)]
    for key, value in spec.get("responseParameters", {}).items():
        name = key.removeprefix("gatewayresponse.header.")
        if name == key:
            continue  # only headers are emulated
        if len(value) >= 2 and value[0] == value[-1] == "'":
            headers.append((name, value[1:-1]))  # a static value
        elif value.startswith("method.request.header."):
            # A request header's value; none, no header. The name matches exactly as the
            # client sent it: "Header names and query parameters are processed in a
            # case-sensitive way" (important notes), and a regional endpoint passes names
            # through as-is — `Origin` over HTTP/1.1, `origin` over HTTP/2.
            mapped = request.header_as_sent(value.removeprefix("method.request.header."))
            if mapped is not None:
                headers.append((name, mapped))
        else:
            raise ValueError(f"gateway response {response_type}: {key}={value} is not emulated")
    status = int(spec.get("statusCode", default_status))
    return status, headers, body.encode()
