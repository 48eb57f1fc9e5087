"""The stage's access log, written as API Gateway writes it: the stage's format with each
`$context` variable replaced by its value, as text, without escaping ("Access logging uses the
format you specify ... $context variables", API Gateway developer guide, "Set up CloudWatch
logging for REST APIs"; a variable with no value is logged as "-").

The local gateway knows the request, its route, its answer, a gateway response's type and
message and the integration's status and latency; what it does not emulate (the caller
identity's IAM user, a Lambda authorizer's principal) is logged as "-", as API Gateway logs a
variable that has no value for the request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# Longest name first is implied: the pattern takes the whole dotted name, so
# `$context.error.messageString` never matches as `$context.error.message` followed by text.
_VARIABLE = re.compile(r"\$context\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)")
MISSING = "-"


def render(log_format: str, values: Mapping[str, object]) -> str:
    """One access-log line: `log_format` with every `$context.<name>` replaced by
    values[<name>] as text, or "-" when it has none."""

    def value(match: re.Match[str]) -> str:
        found = values.get(match.group(1))
        return MISSING if found is None or found == "" else str(found)

    return _VARIABLE.sub(value, log_format)
