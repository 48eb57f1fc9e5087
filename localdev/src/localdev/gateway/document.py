"""The OpenAPI document compiled into the routes and operations the local gateway answers: each
path template as a pattern, each method's integration, request validator and authorizer."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft4Validator

DEFAULT_TIMEOUT_MS = 29_000

_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch"})
_ANY_METHOD = "x-amazon-apigateway-any-method"
_HEADER_SOURCE = re.compile(r"method\.request\.header\.([^,\s]+)")


@dataclass(frozen=True)
class Authorizer:
    """Which identity API Gateway would put in the event after authorizing the operation."""

    kind: str  # "sigv4", "cognito", "custom" or "none"
    header: str = "Authorization"  # where the credential (or identity source) is read from


@dataclass(frozen=True)
class Operation:
    security: list[dict[str, list[str]]]
    timeout_ms: int
    body_validator: Draft4Validator | None  # set when a validator checks the JSON body
    authorizer: Authorizer
    # (location, name) of each required header or query parameter, when a validator checks them
    required_parameters: tuple[tuple[str, str], ...] = ()
    mock: Mapping[str, Any] | None = None  # a MOCK integration (CORS preflights), else Lambda
    api_key_required: bool = False  # an x-api-key scheme among its security requirement's


@dataclass(frozen=True)
class Route:
    template: str
    pattern: re.Pattern[str]
    parameters: tuple[str, ...]
    operations: dict[str, Operation]  # upper-case method, or "ANY"


def compile_routes(document: Mapping[str, Any]) -> tuple[list[Route], list[str]]:
    """The document's routes, in the order API Gateway tries them, and what each method
    requires in AWS ("GET /x requires ..."), in the document's order."""
    schemes = document.get("components", {}).get("securitySchemes", {})
    routes: list[tuple[tuple[int, ...], Route]] = []
    requirements: list[str] = []
    for template, item in document.get("paths", {}).items():
        pattern, parameters, rank = _compile_template(template)
        operations: dict[str, Operation] = {}
        for key, spec in item.items():
            method = "ANY" if key == _ANY_METHOD else key.upper()
            if key in _HTTP_METHODS or key == _ANY_METHOD:
                where = f"{method} {template}"
                operations[method] = _operation(document, where, item, spec)
                security = _describe_security(operations[method].security, schemes)
                requirements.append(f"{method} {template} requires {security}")
        routes.append((rank, Route(template, pattern, parameters, operations)))
    return [route for _, route in sorted(routes, key=lambda entry: entry[0])], requirements


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
) -> Authorizer:
    """The authorizer API Gateway would run: a method has one, its first security scheme that
    is not the API key."""
    names = [
        name
        for requirement in security
        for name in requirement
        if not _is_api_key(schemes.get(name, {}))
    ]
    if not names:
        return Authorizer("none")
    if names[0] not in schemes:
        raise ValueError(f"{where}: security scheme {names[0]!r} is not defined in the document")
    scheme: Mapping[str, Any] = schemes[names[0]]
    authorizer: Mapping[str, Any] = scheme.get("x-amazon-apigateway-authorizer", {})
    kind = str(scheme.get("x-amazon-apigateway-authtype", authorizer.get("type", ""))).lower()
    if kind == "awssigv4":
        return Authorizer("sigv4")
    if kind == "cognito_user_pools":
        return Authorizer("cognito")
    if kind in ("custom", "token", "request"):
        source = _HEADER_SOURCE.search(str(authorizer.get("identitySource", "")))
        if source is not None:
            return Authorizer("custom", source.group(1))
        header = scheme.get("name") if scheme.get("in") == "header" else None
        return Authorizer("custom", str(header or "Authorization"))
    return Authorizer("none")


def _operation(
    document: Mapping[str, Any],
    where: str,
    path_item: Mapping[str, Any],
    spec: Mapping[str, Any],
) -> Operation:
    integration = spec.get("x-amazon-apigateway-integration", {})
    kind = str(integration.get("type", "")).lower()
    if kind not in ("aws_proxy", "mock"):
        raise ValueError(
            f"{where}: only aws_proxy and mock integrations are emulated, not {kind!r}"
        )
    security = spec.get("security", document.get("security", []))
    schemes = document.get("components", {}).get("securitySchemes", {})
    validator = _request_validator(document, spec)
    return Operation(
        security=security,
        timeout_ms=int(integration.get("timeoutInMillis", DEFAULT_TIMEOUT_MS)),
        body_validator=_body_validator(document, validator, spec),
        authorizer=_authorizer(security, schemes, where),
        required_parameters=_required_parameters(validator, path_item, spec),
        mock=integration if kind == "mock" else None,
        api_key_required=any(
            _is_api_key(schemes.get(name, {})) for requirement in security for name in requirement
        ),
    )


def _is_api_key(scheme: Mapping[str, Any]) -> bool:
    """An API key requirement ("Configure a method to use API keys with an OpenAPI
    definition"): an apiKey scheme in the x-api-key header that no authorizer reads."""
    return (
        scheme.get("type") == "apiKey"
        and scheme.get("in") == "header"
        and str(scheme.get("name", "")).lower() == "x-api-key"
        and "x-amazon-apigateway-authtype" not in scheme
        and "x-amazon-apigateway-authorizer" not in scheme
    )


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
