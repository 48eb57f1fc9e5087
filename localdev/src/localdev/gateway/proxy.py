"""The Lambda proxy integration: the REST (v1) proxy event API Gateway sends the function, and
the mapping of the function's proxy response back to HTTP."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from localdev.gateway.document import Operation, Route
from localdev.gateway.identity import (
    ACCOUNT_ID,
    LOCAL_CLAIMS,
    LOCAL_PRINCIPAL,
    iam_identity,
    jwt_claims,
)

if TYPE_CHECKING:
    from localdev.gateway.stage import Request

API_ID = "local"

_PROXY_RESPONSE_KEYS = frozenset(
    {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}
)
# API Gateway frames the response itself; the Lambda's values for these would corrupt it.
_FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding", "connection"})


class MalformedResponseError(ValueError):
    """The Lambda's result is not a proxy response API Gateway could map."""


def media_type(value: str | None) -> str | None:
    if value is None:
        return None
    return value.split(";", 1)[0].strip().lower() or None


def matches_media_type(media_type: str | None, patterns: Iterable[str]) -> bool:
    if media_type is None:
        return False
    for pattern in (p.lower() for p in patterns):
        if pattern in ("*/*", media_type):
            return True
        if pattern.endswith("/*") and media_type.startswith(pattern[:-1]):
            return True
    return False


def proxy_event(
    request: Request,
    route: Route,
    operation: Operation,
    resource_path: str,
    path_parameters: dict[str, str],
    *,
    stage: str,
    binary_media_types: Iterable[str],
) -> dict[str, Any]:
    headers: dict[str, list[str]] = {}
    spelling: dict[str, str] = {}  # one entry per name, spelt as first received
    for name, value in request.headers:
        headers.setdefault(spelling.setdefault(name.lower(), name), []).append(value)
    query: dict[str, list[str]] = {}
    for name, value in parse_qsl(request.query, keep_blank_values=True):
        query.setdefault(name, []).append(value)
    # A REST API passes a body as text unless its type is one of the binary media types.
    body: str | None = None
    is_base64 = False
    if request.body:
        content_type = media_type(request.header("content-type"))
        is_base64 = matches_media_type(content_type, binary_media_types)
        if is_base64:
            body = base64.b64encode(request.body).decode("ascii")
        else:
            body = request.body.decode("utf-8", errors="replace")
    now = datetime.now(UTC)
    identity: dict[str, str | None] = {
        "sourceIp": request.source_ip,
        "userAgent": request.header("user-agent"),
        "accountId": None,
        "caller": None,
        "user": None,
        "userArn": None,
        "accessKey": None,
        "cognitoIdentityId": None,
        "cognitoIdentityPoolId": None,
        "cognitoAuthenticationType": None,
        "cognitoAuthenticationProvider": None,
    }
    context: dict[str, Any] = {
        "accountId": ACCOUNT_ID,
        "apiId": API_ID,
        "stage": stage,
        "resourcePath": route.template,
        "httpMethod": request.method,
        "path": f"/{stage}{resource_path}",
        "protocol": "HTTP/1.1",
        "requestId": request.request_id,
        "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "requestTimeEpoch": int(now.timestamp() * 1000),
        "identity": identity,
    }
    authorizer = operation.authorizer
    credential = request.header(authorizer.header.lower())
    if authorizer.kind == "sigv4":
        identity.update(iam_identity(credential))
    elif authorizer.kind == "cognito":
        context["authorizer"] = {"claims": jwt_claims(credential) or dict(LOCAL_CLAIMS)}
    elif authorizer.kind == "custom":
        context["authorizer"] = {"principalId": credential or LOCAL_PRINCIPAL}
    return {
        "resource": route.template,
        "path": resource_path,
        "httpMethod": request.method,
        "headers": {name: values[-1] for name, values in headers.items()} or None,
        "multiValueHeaders": headers or None,
        "queryStringParameters": {name: values[-1] for name, values in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": context,
        "body": body,
        "isBase64Encoded": is_base64,
    }


def _header_value(value: object) -> str:
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str | int | float):
        text = str(value)
    else:
        raise MalformedResponseError(f"header value {value!r} is not a scalar")
    if "\r" in text or "\n" in text:
        raise MalformedResponseError("header value contains a line break")
    return text


def _response_headers(single: object, multi: object) -> list[tuple[str, str]]:
    """`headers` and `multiValueHeaders` merged as API Gateway does: a pair present in both
    appears once, from multiValueHeaders."""
    single = {} if single is None else single
    multi = {} if multi is None else multi
    if not isinstance(single, dict) or not isinstance(multi, dict):
        raise MalformedResponseError("headers and multiValueHeaders must be objects")
    multi_pairs: list[tuple[str, str]] = []
    for name, values in multi.items():
        if not isinstance(values, list):
            raise MalformedResponseError(f"multiValueHeaders[{name!r}] is not a list")
        multi_pairs.extend((name, _header_value(v)) for v in values)
    seen = {(name.lower(), value) for name, value in multi_pairs}
    pairs = [(name, _header_value(v)) for name, v in single.items()]
    pairs = [(name, v) for name, v in pairs if (name.lower(), v) not in seen] + multi_pairs
    return [(name, v) for name, v in pairs if name.lower() not in _FRAMING_HEADERS]


def proxy_response(
    payload: object, decode_base64: bool
) -> tuple[int, list[tuple[str, str]], bytes]:
    if not isinstance(payload, dict):
        raise MalformedResponseError(f"expected an object, got {type(payload).__name__}")
    unknown = sorted(set(payload) - _PROXY_RESPONSE_KEYS)
    if unknown:
        raise MalformedResponseError(f"unexpected field(s): {', '.join(unknown)}")
    status = payload.get("statusCode")
    if isinstance(status, str) and status.isdecimal():
        status = int(status)  # AWS's own blueprints return "200"; API Gateway accepts it
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise MalformedResponseError(f"statusCode {status!r} is not an HTTP status")
    body = payload.get("body")
    if body is not None and not isinstance(body, str):
        raise MalformedResponseError("body must be a string")
    is_base64 = payload.get("isBase64Encoded")
    if is_base64 is not None and not isinstance(is_base64, bool):
        raise MalformedResponseError("isBase64Encoded must be a boolean")
    headers = _response_headers(payload.get("headers"), payload.get("multiValueHeaders"))
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))  # API Gateway's default
    if is_base64 and decode_base64:
        try:
            return status, headers, base64.b64decode(body or "", validate=True)
        except binascii.Error:
            raise MalformedResponseError("body is not valid base64") from None
    return status, headers, (body or "").encode()
