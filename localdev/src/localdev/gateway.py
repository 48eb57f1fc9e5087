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
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, unquote

from jsonschema import Draft4Validator
from jsonschema.exceptions import best_match

from localdev import access_log, mock_integration

LOGGER = logging.getLogger("localdev.gateway")
ACCESS_LOGGER = logging.getLogger("localdev.gateway.access")

Invoke = Callable[[dict[str, Any], Any], dict[str, Any]]
HeaderPairs = Iterable[tuple[str, str]]

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway's REST payload limit
DEFAULT_TIMEOUT_MS = 29_000
ACCOUNT_ID = "123456789012"
API_ID = "local"

# Default status of each gateway response this stand-in produces (API Gateway's table).
_DEFAULT_STATUS = {
    "BAD_REQUEST_BODY": 400,
    "MISSING_AUTHENTICATION_TOKEN": 403,
    "BAD_REQUEST_PARAMETERS": 400,
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
_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch"})
_ANY_METHOD = "x-amazon-apigateway-any-method"
_PROXY_RESPONSE_KEYS = frozenset(
    {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}
)
# API Gateway frames the response itself; the Lambda's values for these would corrupt it.
_FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding", "connection"})
# The access key id of a SigV4 Authorization header (the signature itself is not checked).
_SIGV4_CREDENTIAL = re.compile(r"AWS4-HMAC-SHA256\s+Credential=([A-Za-z0-9]+)/")
_BEARER = re.compile(r"bearer\s+", re.IGNORECASE)
_HEADER_SOURCE = re.compile(r"method\.request\.header\.([^,\s]+)")
LOCAL_IAM_USER = "local"
LOCAL_PRINCIPAL = "local-user"
LOCAL_CLAIMS = {"sub": LOCAL_PRINCIPAL, "iss": "local"}


@dataclass(frozen=True)
class LocalResponse:
    """What the client receives; headers keep their order and repeats."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        """The first value of header `name`, matched case-insensitively."""
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class LambdaContext:
    """The parts of Lambda's context object handlers read. The deadline is the function's own
    timeout when the gateway knows it, else the integration timeout."""

    aws_request_id: str
    function_name: str
    invoked_function_arn: str
    deadline: float = field(repr=False)  # time.monotonic() value
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 128

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


@dataclass(frozen=True)
class _Authorizer:
    """Which identity API Gateway would put in the event after authorizing the operation."""

    kind: str  # "sigv4", "cognito", "custom" or "none"
    header: str = "Authorization"  # where the credential (or identity source) is read from


@dataclass(frozen=True)
class _Operation:
    security: list[dict[str, list[str]]]
    timeout_ms: int
    body_validator: Draft4Validator | None  # set when a validator checks the JSON body
    authorizer: _Authorizer
    # (location, name) of each required header or query parameter, when a validator checks them
    required_parameters: tuple[tuple[str, str], ...] = ()
    mock: Mapping[str, Any] | None = None  # a MOCK integration (CORS preflights), else Lambda


@dataclass(frozen=True)
class _Route:
    template: str
    pattern: re.Pattern[str]
    parameters: tuple[str, ...]
    operations: dict[str, _Operation]  # upper-case method, or "ANY"


@dataclass(frozen=True)
class _Request:
    method: str
    path: str  # as received, stage included
    headers: tuple[tuple[str, str], ...]
    query: str
    body: bytes
    source_ip: str
    request_id: str
    protocol: str = "HTTP/1.1"
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    # $context values learned while answering (route, error, integration): the access log's.
    context: dict[str, object] = field(default_factory=dict, compare=False)

    def header(self, name: str) -> str | None:
        """The last value, as API Gateway's single-value `headers` keeps it."""
        values = [v for k, v in self.headers if k.lower() == name]
        return values[-1] if values else None

    def header_as_sent(self, name: str) -> str | None:
        """The last value of the header named exactly `name` (case-sensitive, as a mapping
        expression `method.request.header.<name>` reads it)."""
        values = [v for k, v in self.headers if k == name]
        return values[-1] if values else None


class _MalformedResponseError(ValueError):
    """The Lambda's result is not a proxy response API Gateway could map."""


def _media_type(value: str | None) -> str | None:
    if value is None:
        return None
    return value.split(";", 1)[0].strip().lower() or None


def _matches_media_type(media_type: str | None, patterns: Iterable[str]) -> bool:
    if media_type is None:
        return False
    for pattern in (p.lower() for p in patterns):
        if pattern in ("*/*", media_type):
            return True
        if pattern.endswith("/*") and media_type.startswith(pattern[:-1]):
            return True
    return False


def _compile_template(template: str) -> tuple[re.Pattern[str], tuple[str, ...], tuple[int, ...]]:
    """A path template as a regex over the raw path, its parameter names, and a sort key that
    tries literal segments before {param} before {proxy+}, as API Gateway prefers them."""
    parts: list[str] = []
    names: list[str] = []
    rank: list[int] = []
    for segment in template.strip("/").split("/") if template != "/" else []:
        if greedy := re.fullmatch(r"\{(.+)\+\}", segment):
            parts.append("(.+)")
            names.append(greedy.group(1))
            rank.append(2)
        elif param := re.fullmatch(r"\{(.+)\}", segment):
            parts.append("([^/]+)")
            names.append(param.group(1))
            rank.append(1)
        else:
            parts.append(re.escape(segment))
            rank.append(0)
    return re.compile("/" + "/".join(parts)), tuple(names), tuple(rank)


def _request_validator(
    document: Mapping[str, Any], operation: Mapping[str, Any]
) -> Mapping[str, Any]:
    """The operation's request validator (or the document's default); {} when there is none."""
    validators = document.get("x-amazon-apigateway-request-validators", {})
    name = operation.get(
        "x-amazon-apigateway-request-validator",
        document.get("x-amazon-apigateway-request-validator"),
    )
    if name is None:
        return {}
    if name not in validators:
        raise ValueError(f"request validator {name!r} is not defined in the document")
    validator: Mapping[str, Any] = validators[name]
    return validator


def _required_parameters(
    validator: Mapping[str, Any], path_item: Mapping[str, Any], operation: Mapping[str, Any]
) -> tuple[tuple[str, str], ...]:
    """Required header and query parameters (path parameters are required by routing itself);
    operation-level parameters override path-level ones of the same name and location."""
    if not validator.get("validateRequestParameters"):
        return ()
    declared = {
        (p.get("in"), p.get("name")): bool(p.get("required"))
        for p in (*path_item.get("parameters", []), *operation.get("parameters", []))
    }
    return tuple(
        (str(where), str(name))
        for (where, name), required in declared.items()
        if required and where in ("header", "query")
    )


# Keywords API Gateway's request validator leaves out: "The maxItems and minItems tags are not
# included in simple request validation" (API Gateway developer guide, "Amazon API Gateway
# important notes", REST APIs). Left out here too, so the signer is what refuses such bodies.
_UNVALIDATED_KEYWORDS = frozenset({"minItems", "maxItems"})


def _as_validated(schema: Any) -> Any:
    """`schema` without the keywords API Gateway's validator does not apply."""
    if isinstance(schema, dict):
        return {
            key: _as_validated(value)
            for key, value in schema.items()
            if key not in _UNVALIDATED_KEYWORDS
        }
    if isinstance(schema, list):
        return [_as_validated(item) for item in schema]
    return schema


def _body_validator(
    document: Mapping[str, Any], validator: Mapping[str, Any], operation: Mapping[str, Any]
) -> Draft4Validator | None:
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    if not validator.get("validateRequestBody") or schema is None:
        return None
    # `#/components/...` refs resolve against the root schema: give it the components. Draft 4
    # ignores the siblings of a root `$ref`, so the extra key never becomes a constraint.
    root = _as_validated({**schema, "components": document.get("components", {})})
    Draft4Validator.check_schema(root)
    return Draft4Validator(root)


def _authorizer(
    security: list[dict[str, list[str]]], schemes: Mapping[str, Any], where: str
) -> _Authorizer:
    """The authorizer API Gateway would run: a method has one, its first security scheme."""
    names = [name for requirement in security for name in requirement]
    if not names:
        return _Authorizer("none")
    if names[0] not in schemes:
        raise ValueError(f"{where}: security scheme {names[0]!r} is not defined in the document")
    scheme: Mapping[str, Any] = schemes[names[0]]
    authorizer: Mapping[str, Any] = scheme.get("x-amazon-apigateway-authorizer", {})
    kind = str(scheme.get("x-amazon-apigateway-authtype", authorizer.get("type", ""))).lower()
    if kind == "awssigv4":
        return _Authorizer("sigv4")
    if kind == "cognito_user_pools":
        return _Authorizer("cognito")
    if kind in ("custom", "token", "request"):
        source = _HEADER_SOURCE.search(str(authorizer.get("identitySource", "")))
        if source is not None:
            return _Authorizer("custom", source.group(1))
        header = scheme.get("name") if scheme.get("in") == "header" else None
        return _Authorizer("custom", str(header or "Authorization"))
    return _Authorizer("none")  # e.g. an API key requirement: no authorizer, no identity


def _operation(
    document: Mapping[str, Any],
    where: str,
    path_item: Mapping[str, Any],
    spec: Mapping[str, Any],
) -> _Operation:
    integration = spec.get("x-amazon-apigateway-integration", {})
    kind = str(integration.get("type", "")).lower()
    if kind not in ("aws_proxy", "mock"):
        raise ValueError(
            f"{where}: only aws_proxy and mock integrations are emulated, not {kind!r}"
        )
    security = spec.get("security", document.get("security", []))
    schemes = document.get("components", {}).get("securitySchemes", {})
    validator = _request_validator(document, spec)
    return _Operation(
        security=security,
        timeout_ms=int(integration.get("timeoutInMillis", DEFAULT_TIMEOUT_MS)),
        body_validator=_body_validator(document, validator, spec),
        authorizer=_authorizer(security, schemes, where),
        required_parameters=_required_parameters(validator, path_item, spec),
        mock=integration if kind == "mock" else None,
    )


def _claim_text(value: object) -> str:
    """A claim as API Gateway passes it to a REST proxy integration: always a string."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"))


def _jwt_claims(authorization: str | None) -> dict[str, str] | None:
    """The payload of an (unverified) JWT, `Bearer ` prefix optional; None if unreadable."""
    if not authorization:
        return None
    token = _BEARER.sub("", authorization.strip(), count=1)
    segments = token.split(".")
    if len(segments) != 3:
        return None
    payload = segments[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, binascii.Error):  # UnicodeDecodeError is a ValueError
        return None
    if not isinstance(claims, dict):
        return None
    return {str(name): _claim_text(value) for name, value in claims.items()}


def _iam_identity(authorization: str | None) -> dict[str, str | None]:
    """The identity fields API Gateway fills for a SigV4-authorized IAM user."""
    match = _SIGV4_CREDENTIAL.search(authorization or "")
    access_key = match.group(1) if match else None
    user = access_key or LOCAL_IAM_USER
    return {
        "accountId": ACCOUNT_ID,
        "caller": user,
        "user": user,
        "userArn": f"arn:aws:iam::{ACCOUNT_ID}:user/{user}",
        "accessKey": access_key,
    }


def _describe_security(security: list[dict[str, list[str]]], schemes: Mapping[str, Any]) -> str:
    if not security:
        return "no authorization"
    alternatives = []
    for requirement in security:
        parts = []
        for name, scopes in requirement.items():
            scheme = schemes.get(name, {})
            kind = scheme.get("x-amazon-apigateway-authtype", scheme.get("type", "unknown"))
            parts.append(f"{name} ({kind}{', scopes ' + ' '.join(scopes) if scopes else ''})")
        alternatives.append(" and ".join(parts))
    return " or ".join(alternatives)


def _header_value(value: object) -> str:
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str | int | float):
        text = str(value)
    else:
        raise _MalformedResponseError(f"header value {value!r} is not a scalar")
    if "\r" in text or "\n" in text:
        raise _MalformedResponseError("header value contains a line break")
    return text


def _response_headers(single: object, multi: object) -> list[tuple[str, str]]:
    """`headers` and `multiValueHeaders` merged as API Gateway does: a pair present in both
    appears once, from multiValueHeaders."""
    single = {} if single is None else single
    multi = {} if multi is None else multi
    if not isinstance(single, dict) or not isinstance(multi, dict):
        raise _MalformedResponseError("headers and multiValueHeaders must be objects")
    multi_pairs: list[tuple[str, str]] = []
    for name, values in multi.items():
        if not isinstance(values, list):
            raise _MalformedResponseError(f"multiValueHeaders[{name!r}] is not a list")
        multi_pairs.extend((name, _header_value(v)) for v in values)
    seen = {(name.lower(), value) for name, value in multi_pairs}
    pairs = [(name, _header_value(v)) for name, v in single.items()]
    pairs = [(name, v) for name, v in pairs if (name.lower(), v) not in seen] + multi_pairs
    return [(name, v) for name, v in pairs if name.lower() not in _FRAMING_HEADERS]


def _proxy_response(
    payload: object, decode_base64: bool
) -> tuple[int, list[tuple[str, str]], bytes]:
    if not isinstance(payload, dict):
        raise _MalformedResponseError(f"expected an object, got {type(payload).__name__}")
    unknown = sorted(set(payload) - _PROXY_RESPONSE_KEYS)
    if unknown:
        raise _MalformedResponseError(f"unexpected field(s): {', '.join(unknown)}")
    status = payload.get("statusCode")
    if isinstance(status, str) and status.isdecimal():
        status = int(status)  # AWS's own blueprints return "200"; API Gateway accepts it
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise _MalformedResponseError(f"statusCode {status!r} is not an HTTP status")
    body = payload.get("body")
    if body is not None and not isinstance(body, str):
        raise _MalformedResponseError("body must be a string")
    is_base64 = payload.get("isBase64Encoded")
    if is_base64 is not None and not isinstance(is_base64, bool):
        raise _MalformedResponseError("isBase64Encoded must be a boolean")
    headers = _response_headers(payload.get("headers"), payload.get("multiValueHeaders"))
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))  # API Gateway's default
    if is_base64 and decode_base64:
        try:
            return status, headers, base64.b64decode(body or "", validate=True)
        except binascii.Error:
            raise _MalformedResponseError("body is not valid base64") from None
    return status, headers, (body or "").encode()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class LocalGateway:
    """API Gateway's request path for one stage of the document, in front of `invoke`."""

    def __init__(
        self,
        document: Mapping[str, Any],
        stage: str,
        invoke: Invoke,
        *,
        function_name: str = "signed-import",
        function_timeout_ms: int | None = None,
        access_log_format: str | None = None,
    ) -> None:
        """`function_timeout_ms`: the function's own timeout (its configuration's Timeout),
        after which Lambda stops an invocation and API Gateway answers 502; None leaves only
        the integration timeout of each operation (504). `access_log_format`: the stage's
        (accessLogSettings.format); each request's line is logged and kept in `access_log`."""
        if not re.fullmatch(r"[A-Za-z0-9_-]+", stage):
            raise ValueError(f"invalid stage name {stage!r}")
        self.stage = stage
        self.access_log_format = access_log_format
        self.access_log: deque[str] = deque(maxlen=10_000)
        self.function_name = function_name
        self.function_timeout_ms = function_timeout_ms
        self._invoke = invoke
        self._gateway_responses: Mapping[str, Any] = document.get(
            "x-amazon-apigateway-gateway-responses", {}
        )
        self._binary_media_types: list[str] = document.get(
            "x-amazon-apigateway-binary-media-types", []
        )
        schemes = document.get("components", {}).get("securitySchemes", {})
        routes: list[tuple[tuple[int, ...], _Route]] = []
        requirements: list[str] = []
        for template, item in document.get("paths", {}).items():
            pattern, parameters, rank = _compile_template(template)
            operations: dict[str, _Operation] = {}
            for key, spec in item.items():
                method = "ANY" if key == _ANY_METHOD else key.upper()
                if key in _HTTP_METHODS or key == _ANY_METHOD:
                    where = f"{method} {template}"
                    operations[method] = _operation(document, where, item, spec)
                    security = _describe_security(operations[method].security, schemes)
                    requirements.append(f"{method} {template} requires {security}")
            routes.append((rank, _Route(template, pattern, parameters, operations)))
        self._routes = [route for _, route in sorted(routes, key=lambda entry: entry[0])]
        self.auth_note = (
            "Authorization is NOT enforced locally (no SigV4, Cognito or Lambda authorizer "
            "checks): the caller identity in the Lambda event is derived from the request "
            "without verification (the SigV4 access key id, the JWT's claims, or the identity "
            "source header; a fixed local caller without one). In AWS "
            + "; ".join(requirements or ["no method is defined"])
            + "."
        )
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def handle(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str] | HeaderPairs = (),
        *,
        query: str = "",
        body: bytes = b"",
        source_ip: str = "127.0.0.1",
        protocol: str = "HTTP/1.1",
    ) -> LocalResponse:
        """Answer one request as the deployed stage would; never raises for a bad request or a
        failing Lambda. `path` includes the stage (`/v1/import`); `query` excludes the `?`."""
        started = time.monotonic()
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        request = _Request(
            method.upper(),
            path,
            tuple(pairs),
            query,
            body,
            source_ip,
            str(uuid.uuid4()),
            protocol,
        )
        response = self._respond(request)
        latency_ms = round((time.monotonic() - started) * 1000)
        if self.access_log_format is None:
            ACCESS_LOGGER.info(
                "%s %s %d %dms requestId=%s",
                request.method,
                request.path,
                response.status,
                latency_ms,
                request.request_id,
            )
        else:
            line = access_log.render(
                self.access_log_format, self._access_values(request, response, latency_ms)
            )
            self.access_log.append(line)
            ACCESS_LOGGER.info("%s", line)
        return response

    def _access_values(
        self, request: _Request, response: LocalResponse, latency_ms: int
    ) -> dict[str, object]:
        """The $context values of one request that the access log format can name."""
        return {
            "requestId": request.request_id,
            "extendedRequestId": request.request_id,
            "requestTime": request.started.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "requestTimeEpoch": int(request.started.timestamp() * 1000),
            "identity.sourceIp": request.source_ip,
            "httpMethod": request.method,
            "path": request.path,
            "stage": self.stage,
            "status": response.status,
            "protocol": request.protocol,
            "responseLength": len(response.body),
            "responseLatency": latency_ms,
            **request.context,
        }

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
        """Serve HTTP on a daemon thread until `close()`; port 0 picks a free port (see `url`)."""
        if self._server is not None:
            raise RuntimeError(f"already serving on {self.url}")
        LOGGER.warning("%s", self.auth_note)
        self._server = _Server((host, port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},  # how long close() may wait for the loop to notice
            name="local-gateway",
            daemon=True,
        )
        self._thread.start()
        return self._server

    @property
    def url(self) -> str:
        """The server's root, e.g. http://127.0.0.1:PORT; the stage is the first path segment."""
        if self._server is None:
            raise RuntimeError("not serving: call serve() first")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def invoke_url(self) -> str:
        """The stage's base URL, like the module's `invoke_url` output."""
        return f"{self.url}/{self.stage}"

    def close(self) -> None:
        """Stop serving, release the port and wait for the serving thread; safe to repeat."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join()

    def __enter__(self) -> LocalGateway:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _respond(self, request: _Request) -> LocalResponse:
        if len(request.body) > MAX_PAYLOAD_BYTES:
            return self._gateway_response("REQUEST_TOO_LARGE", "Request Too Long", request)
        found = self._find(request)
        if found is None:
            # API Gateway answers an unknown path and an undefined method alike, before auth.
            return self._gateway_response(
                "MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token", request
            )
        route, operation, resource_path, path_parameters = found
        request.context["resourcePath"] = route.template
        missing = self._missing_parameters(operation, request)
        if missing:
            message = f"Missing required request parameters: [{', '.join(missing)}]"
            return self._gateway_response("BAD_REQUEST_PARAMETERS", message, request)
        validator = operation.body_validator
        if validator is not None and not self._body_is_valid(validator, request):
            return self._gateway_response("BAD_REQUEST_BODY", "Invalid request body", request)
        if operation.mock is not None:
            mocked = mock_integration.respond(operation.mock, request.headers)
            headers = (*mocked.headers, ("x-amzn-RequestId", request.request_id))
            return LocalResponse(mocked.status, headers, mocked.body.encode())
        event = self._proxy_event(request, route, operation, resource_path, path_parameters)
        return self._integrate(operation, event, request)

    @staticmethod
    def _missing_parameters(operation: _Operation, request: _Request) -> list[str]:
        query = {name for name, _ in parse_qsl(request.query, keep_blank_values=True)}
        return [
            name
            for where, name in operation.required_parameters
            if (where == "header" and request.header(name.lower()) is None)
            or (where == "query" and name not in query)
        ]

    def _find(self, request: _Request) -> tuple[_Route, _Operation, str, dict[str, str]] | None:
        """The route and operation for the request, its path without the stage, and its path
        parameters; None where API Gateway finds no resource or no method on it."""
        prefix = f"/{self.stage}"
        if request.path == prefix:
            resource_path = "/"
        elif request.path.startswith(prefix + "/"):
            resource_path = request.path[len(prefix) :]
        else:
            return None
        for route in self._routes:
            # Match the raw path, so an encoded %2F inside a parameter never splits it.
            match = route.pattern.fullmatch(resource_path)
            if match is None:
                continue
            operation = route.operations.get(request.method) or route.operations.get("ANY")
            if operation is None:
                return None
            values = (unquote(value) for value in match.groups())
            return route, operation, resource_path, dict(zip(route.parameters, values, strict=True))
        return None

    def _body_is_valid(self, validator: Draft4Validator, request: _Request) -> bool:
        media_type = _media_type(request.header("content-type"))
        if media_type not in (None, "application/json"):
            return True  # the document models JSON only; other types pass unvalidated
        try:
            document = json.loads(request.body, parse_constant=_reject_constant)
        except (ValueError, RecursionError) as err:
            LOGGER.info("request %s: body is not JSON: %s", request.request_id, err)
            return False
        error = best_match(validator.iter_errors(document))
        if error is not None:
            # API Gateway's execution log detail; the client only learns "Invalid request body".
            LOGGER.info(
                "request %s: body does not match the model: %s", request.request_id, error.message
            )
        return error is None

    def _proxy_event(
        self,
        request: _Request,
        route: _Route,
        operation: _Operation,
        resource_path: str,
        path_parameters: dict[str, str],
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
            content_type = _media_type(request.header("content-type"))
            is_base64 = _matches_media_type(content_type, self._binary_media_types)
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
            "stage": self.stage,
            "resourcePath": route.template,
            "httpMethod": request.method,
            "path": f"/{self.stage}{resource_path}",
            "protocol": "HTTP/1.1",
            "requestId": request.request_id,
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "identity": identity,
        }
        authorizer = operation.authorizer
        credential = request.header(authorizer.header.lower())
        if authorizer.kind == "sigv4":
            identity.update(_iam_identity(credential))
        elif authorizer.kind == "cognito":
            context["authorizer"] = {"claims": _jwt_claims(credential) or dict(LOCAL_CLAIMS)}
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

    def _integrate(
        self, operation: _Operation, event: dict[str, Any], request: _Request
    ) -> LocalResponse:
        started = time.monotonic()
        function_ms = self.function_timeout_ms
        context = LambdaContext(
            aws_request_id=str(uuid.uuid4()),
            function_name=self.function_name,
            invoked_function_arn=f"arn:aws:lambda:local:{ACCOUNT_ID}:function:{self.function_name}",
            deadline=started + (function_ms or operation.timeout_ms) / 1000,
        )
        invocation = _Invocation(self._invoke, event, context, request.request_id)
        # API Gateway answers at its integration timeout, and Lambda stops the function at its
        # own, whichever comes first, however long the handler would still run. Here the
        # handler cannot be stopped: it runs on in its thread, its answer discarded.
        waited_ms = min(operation.timeout_ms, function_ms or operation.timeout_ms)
        finished = invocation.wait(waited_ms / 1000)
        if not finished or (time.monotonic() - started) * 1000 > waited_ms:
            if function_ms is not None and function_ms < operation.timeout_ms:
                LOGGER.error(
                    "request %s: Task timed out after %.2f seconds",
                    request.request_id,
                    function_ms / 1000,
                )
                return self._gateway_response("DEFAULT_5XX", "Internal server error", request)
            return self._gateway_response(
                "INTEGRATION_TIMEOUT", "Endpoint request timed out", request
            )
        payload, failed = invocation.payload, invocation.failed
        # "For Lambda proxy integration, the status code returned from AWS Lambda, not from the
        # backend Lambda function code" ($context.integration.status): Invoke answered 200.
        request.context["integration.status"] = 200
        request.context["integration.latency"] = round((time.monotonic() - started) * 1000)
        if not failed:
            # Binary responses are decoded only for clients that accept a binary media type.
            accept = _media_type(request.header("accept"))
            decode = _matches_media_type(accept, self._binary_media_types)
            try:
                status, headers, body = _proxy_response(payload, decode)
            except _MalformedResponseError as err:
                LOGGER.error(
                    "request %s: malformed Lambda proxy response: %s", request.request_id, err
                )
            else:
                headers.append(("x-amzn-RequestId", request.request_id))
                return LocalResponse(status, tuple(headers), body)
        return self._gateway_response("DEFAULT_5XX", "Internal server error", request)

    def _gateway_response(
        self, response_type: str, message: str, request: _Request
    ) -> LocalResponse:
        """Render an error API Gateway answers itself, through the document's gateway responses
        (falling back to DEFAULT_4XX / DEFAULT_5XX, then to API Gateway's own default)."""
        default_status = _DEFAULT_STATUS[response_type]
        request.context.update({"error.responseType": response_type, "error.message": message})
        fallback = "DEFAULT_4XX" if default_status < 500 else "DEFAULT_5XX"
        spec = (
            self._gateway_responses.get(response_type)
            or self._gateway_responses.get(fallback)
            or {}
        )
        if response_type in _NOT_CUSTOMIZABLE:
            spec = {}  # API Gateway's own answer, whatever the document says
        templates = spec.get("responseTemplates") or _DEFAULT_TEMPLATES
        content_type = (
            "application/json" if "application/json" in templates else next(iter(templates))
        )
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
        headers.append(("x-amzn-RequestId", request.request_id))
        status = int(spec.get("statusCode", default_status))
        return LocalResponse(status, tuple(headers), body.encode())


class _Invocation:
    """One Lambda invocation on its own thread, so that the gateway can stop waiting for it."""

    def __init__(
        self, invoke: Invoke, event: dict[str, Any], context: Any, request_id: str
    ) -> None:
        self.payload: object = None
        self.failed = False
        self._invoke = invoke
        self._event = event
        self._context = context
        self._request_id = request_id
        self._done = threading.Event()
        threading.Thread(target=self._run, name="local-lambda", daemon=True).start()

    def _run(self) -> None:
        try:
            # Lambda hands API Gateway JSON: a result that cannot be serialised never arrives.
            self.payload = json.loads(json.dumps(self._invoke(self._event, self._context)))
        except Exception:
            LOGGER.exception("request %s: Lambda invocation failed", self._request_id)
            self.failed = True
        finally:
            self._done.set()

    def wait(self, seconds: float) -> bool:
        """True when the invocation finished within `seconds`."""
        return self._done.wait(seconds)


class _Server(ThreadingHTTPServer):
    # socketserver's default listen backlog (5) resets connections beyond the fifth that
    # arrives at once: concurrent consumers would see errors API Gateway never gives.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], gateway: LocalGateway) -> None:
        super().__init__(address, _Handler)
        self.gateway = gateway


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    timeout = 30  # a client that never sends its declared body holds only its own thread

    def _dispatch(self) -> None:
        path, _, query = self.path.partition("?")
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.send_error(411, "Send a Content-Length; chunked bodies are not supported here")
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self.send_error(400, "Invalid Content-Length")
            return
        # Read at most one byte past the limit: enough for the gateway to refuse the request.
        oversized = length > MAX_PAYLOAD_BYTES
        body = self.rfile.read(min(length, MAX_PAYLOAD_BYTES + 1))
        response = self.server.gateway.handle(
            self.command,
            path,
            self.headers.items(),
            query=query,
            body=body,
            source_ip=self.client_address[0],
            protocol=self.request_version,
        )
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if oversized:
            self.close_connection = True  # the rest of the body is still unread
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _dispatch

    def __getattr__(self, name: str) -> Any:
        # Any other method (TRACE, PROPFIND, ...) reaches the gateway too, which answers it as
        # API Gateway answers a method the document does not define, not with a 501 page.
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        LOGGER.debug(format, *args)  # the gateway writes its own access log
