"""The local gateway's stage: routing a request to its operation, request validation, the
integration (the Lambda on its own thread, or a MOCK) and the access log."""

from __future__ import annotations

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
from http.server import ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, unquote

from jsonschema import Draft4Validator
from jsonschema.exceptions import best_match

from localdev.gateway import access_log, mock
from localdev.gateway.document import Operation, Route, compile_routes
from localdev.gateway.identity import ACCOUNT_ID
from localdev.gateway.proxy import (
    MalformedResponseError,
    matches_media_type,
    media_type,
    proxy_event,
    proxy_response,
)
from localdev.gateway.responses import gateway_response
from localdev.gateway.server import MAX_PAYLOAD_BYTES, Server
from localdev.gateway.stage_throttle import StageThrottle
from localdev.gateway.usage_plans import API_KEY_HEADER, UsagePlans

LOGGER = logging.getLogger("localdev.gateway")
ACCESS_LOGGER = logging.getLogger("localdev.gateway.access")

Invoke = Callable[[dict[str, Any], Any], dict[str, Any]]
HeaderPairs = Iterable[tuple[str, str]]


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
class Request:
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
        usage_plans: UsagePlans | None = None,
        stage_throttle: StageThrottle | None = None,
    ) -> None:
        """`function_timeout_ms`: the function's own timeout (its configuration's Timeout),
        after which Lambda stops an invocation and API Gateway answers 502; None leaves only
        the integration timeout of each operation (504). `access_log_format`: the stage's
        (accessLogSettings.format); each request's line is logged and kept in `access_log`.
        `usage_plans`: the stage's usage plans and their keys, which a method that requires an
        API key admits by; None has no key, so such a method refuses every request (as API
        Gateway does a key on no plan of the stage). `stage_throttle`: the stage's method
        settings' throttles (StageThrottle.from_stage); None throttles nothing."""
        if not re.fullmatch(r"[A-Za-z0-9_-]+", stage):
            raise ValueError(f"invalid stage name {stage!r}")
        self.stage = stage
        self.access_log_format = access_log_format
        self.access_log: deque[str] = deque(maxlen=10_000)
        self.function_name = function_name
        self.function_timeout_ms = function_timeout_ms
        self._invoke = invoke
        self._usage_plans = usage_plans if usage_plans is not None else UsagePlans({})
        self.stage_throttle = stage_throttle if stage_throttle is not None else StageThrottle({})
        self._gateway_responses: Mapping[str, Any] = document.get(
            "x-amazon-apigateway-gateway-responses", {}
        )
        self._binary_media_types: list[str] = document.get(
            "x-amazon-apigateway-binary-media-types", []
        )
        self._routes, requirements = compile_routes(document)
        self.auth_note = (
            "Authorization is NOT enforced locally (no SigV4, Cognito or Lambda authorizer "
            "checks): the caller identity in the Lambda event is derived from the request "
            "without verification (the SigV4 access key id, the JWT's claims, or the identity "
            "source header; a fixed local caller without one). In AWS "
            + "; ".join(requirements or ["no method is defined"])
            + ". API keys, usage plans and the stage's throttle are enforced."
        )
        self._server: Server | None = None
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
        request = Request(
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
        self, request: Request, response: LocalResponse, latency_ms: int
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
        self._server = Server((host, port), self)
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

    def _respond(self, request: Request) -> LocalResponse:
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
        refused = self._refusal(operation, request)
        if refused is not None:
            return self._gateway_response(*refused, request)
        if operation.mock is not None:
            mocked = mock.respond(operation.mock, request.headers)
            headers = (*mocked.headers, ("x-amzn-RequestId", request.request_id))
            return LocalResponse(mocked.status, headers, mocked.body.encode())
        event = proxy_event(
            request,
            route,
            operation,
            resource_path,
            path_parameters,
            stage=self.stage,
            binary_media_types=self._binary_media_types,
        )
        return self._integrate(operation, event, request)

    def _refusal(self, operation: Operation, request: Request) -> tuple[str, str] | None:
        """The gateway response type and message refusing the request before its integration:
        the stage's throttle, its API key (usage plans), then its parameters and body (the
        request validator)."""
        refused = self.stage_throttle.admit(str(request.context["resourcePath"]), request.method)
        if refused is not None:
            return refused
        if operation.api_key_required:
            refused = self._usage_plans.admit(request.header(API_KEY_HEADER))
            if refused is not None:
                return refused
        missing = self._missing_parameters(operation, request)
        if missing:
            return (
                "BAD_REQUEST_PARAMETERS",
                f"Missing required request parameters: [{', '.join(missing)}]",
            )
        validator = operation.body_validator
        if validator is not None and not self._body_is_valid(validator, request):
            return "BAD_REQUEST_BODY", "Invalid request body"
        return None

    @staticmethod
    def _missing_parameters(operation: Operation, request: Request) -> list[str]:
        query = {name for name, _ in parse_qsl(request.query, keep_blank_values=True)}
        return [
            name
            for where, name in operation.required_parameters
            if (where == "header" and request.header(name.lower()) is None)
            or (where == "query" and name not in query)
        ]

    def _find(self, request: Request) -> tuple[Route, Operation, str, dict[str, str]] | None:
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

    def _body_is_valid(self, validator: Draft4Validator, request: Request) -> bool:
        content_type = media_type(request.header("content-type"))
        if content_type not in (None, "application/json"):
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

    def _integrate(
        self, operation: Operation, event: dict[str, Any], request: Request
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
            accept = media_type(request.header("accept"))
            decode = matches_media_type(accept, self._binary_media_types)
            try:
                status, headers, body = proxy_response(payload, decode)
            except MalformedResponseError as err:
                LOGGER.error(
                    "request %s: malformed Lambda proxy response: %s", request.request_id, err
                )
            else:
                headers.append(("x-amzn-RequestId", request.request_id))
                return LocalResponse(status, tuple(headers), body)
        return self._gateway_response("DEFAULT_5XX", "Internal server error", request)

    def _gateway_response(
        self, response_type: str, message: str, request: Request
    ) -> LocalResponse:
        """Answer with a gateway response (see `responses.gateway_response`); its type and message
        are the access log's $context.error values."""
        request.context.update({"error.responseType": response_type, "error.message": message})
        status, headers, body = gateway_response(
            self._gateway_responses, response_type, message, request
        )
        headers.append(("x-amzn-RequestId", request.request_id))
        return LocalResponse(status, tuple(headers), body)


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
