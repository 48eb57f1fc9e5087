"""API Gateway's MOCK integration, as the module's CORS preflights use it.

The integration answers its `default` integration response: the static header values of its
responseParameters ('quoted'), then its response template, which is Velocity (VTL). Only the
VTL the module renders is understood, and anything else is refused loudly rather than
misread:

    #set($name = $input.params().header.get("Header"))   the request header, exactly as named
    #if("$!name" == "")...#end                           $!name is "" when unset
    #if($name == "a" || $name == "b")...#end             string equality, alternatives
    #set($context.responseOverride.header.Name = $name)  sets a response header

Other lines are the body.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_DIRECTIVE = re.compile(r"#(\w+)")
# A directive's closing parenthesis is the one before the next directive or the line's end.
_SET = re.compile(r"#set\(\s*\$([\w.-]+)\s*=\s*(.+?)\s*\)(?=#|\n|$)")
_IF = re.compile(r"#if\(\s*(.+?)\s*\)(?=#|\n|$)")
_HEADER_GET = re.compile(r'\$input\.params\(\)\.header\.get\("([^"]+)"\)')
_VARIABLE = re.compile(r"\$!?([A-Za-z]\w*)")
_QUOTED = re.compile(r'"([^"$]*|\$!?[A-Za-z]\w*)"')
_OVERRIDE = "context.responseOverride.header."


@dataclass(frozen=True)
class MockResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: str


def respond(integration: Mapping[str, Any], headers: tuple[tuple[str, str], ...]) -> MockResponse:
    """What API Gateway answers for a MOCK integration, given the request's headers."""
    response = integration.get("responses", {}).get("default")
    if response is None:
        raise ValueError("a MOCK integration without a default response is not emulated")
    out: list[tuple[str, str]] = []
    for key, value in response.get("responseParameters", {}).items():
        name = key.removeprefix("method.response.header.")
        if name == key or len(value) < 2 or value[0] != "'" or value[-1] != "'":
            raise ValueError(f"only static response headers are emulated, not {key}={value}")
        out.append((name, value[1:-1]))
    template = response.get("responseTemplates", {}).get("application/json", "")
    overrides, body = _render(template, headers)
    out = [(name, value) for name, value in out if name not in overrides]
    out.extend(overrides.items())
    return MockResponse(int(response.get("statusCode", 200)), tuple(out), body)


def _render(template: str, headers: tuple[tuple[str, str], ...]) -> tuple[dict[str, str], str]:
    variables: dict[str, str | None] = {}
    overrides: dict[str, str] = {}
    body: list[str] = []
    active = [True]  # one entry per open #if: whether its branch runs
    position = 0
    while position < len(template):
        found = _DIRECTIVE.search(template, position)
        end = found.start() if found else len(template)
        if all(active):
            body.append(template[position:end])
        if found is None:
            break
        kind = found.group(1)
        if kind not in ("set", "if", "end"):
            raise ValueError(f"unsupported VTL directive #{kind}")
        if kind == "end":
            if len(active) == 1:
                raise ValueError("#end without #if")
            active.pop()
            position = found.end()
            continue
        pattern = _SET if kind == "set" else _IF
        match = pattern.match(template, found.start())
        if match is None:
            raise ValueError(f"unsupported VTL at {template[found.start() :][:60]!r}")
        position = match.end()
        if kind == "if":
            active.append(all(active) and _condition(match.group(1), variables))
        elif all(active):
            value = _expression(match.group(2), variables, headers)
            _assign(match.group(1), value, variables, overrides)
    if len(active) != 1:
        raise ValueError("#if without #end")
    return overrides, "".join(body).strip()


def _assign(
    target: str,
    value: str | None,
    variables: dict[str, str | None],
    overrides: dict[str, str],
) -> None:
    if target.startswith(_OVERRIDE):
        if value is not None:
            overrides[target.removeprefix(_OVERRIDE)] = value
    elif "." in target:
        raise ValueError(f"#set of {target} is not emulated")
    else:
        variables[target] = value


def _expression(
    text: str, variables: Mapping[str, str | None], headers: tuple[tuple[str, str], ...]
) -> str | None:
    header = _HEADER_GET.fullmatch(text)
    if header is not None:
        # A Java map lookup: the header name as the client spelt it.
        return next((value for name, value in headers if name == header.group(1)), None)
    variable = _VARIABLE.fullmatch(text)
    if variable is not None:
        return variables.get(variable.group(1))
    raise ValueError(f"unsupported VTL expression {text!r}")


def _operand(text: str, variables: Mapping[str, str | None]) -> str | None:
    quoted = _QUOTED.fullmatch(text)
    if quoted is not None:
        inner = quoted.group(1)
        if inner.startswith("$!"):
            return variables.get(inner[2:]) or ""  # quiet reference: "" when unset
        if inner.startswith("$"):
            return variables.get(inner[1:])
        return inner
    variable = _VARIABLE.fullmatch(text)
    if variable is not None and not text.startswith("$!"):
        return variables.get(variable.group(1))
    raise ValueError(f"unsupported VTL operand {text!r}")


def _condition(text: str, variables: Mapping[str, str | None]) -> bool:
    outcome = False
    for alternative in text.split("||"):
        left, equals, right = alternative.partition("==")
        if not equals:
            raise ValueError(f"unsupported VTL condition {alternative.strip()!r}")
        a, b = _operand(left.strip(), variables), _operand(right.strip(), variables)
        outcome = outcome or (a is not None and a == b)
    return outcome
