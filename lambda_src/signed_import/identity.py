"""Who is calling, from what API Gateway put in the event after authorizing the request.

With caller isolation on, every key lives under the caller's partition: 26 base32 characters of
SHA-256 over a stable name of the caller. Stable means the same caller tomorrow: an assumed
role's session name changes with every session, so it is dropped and the role itself is the
caller (except for Cognito identity pool and IAM Identity Center sessions, see `_iam_caller`);
a Cognito user is its user pool (issuer) and `sub`; a Lambda authorizer's caller is the
`principalId` it returned.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from .errors import ClientError

_ASSUMED_ROLE = re.compile(r"^(arn:[a-z-]+:sts::\d{12}:assumed-role/([^/]+))/.+$")
_IDENTITY_CENTER_ROLE = "AWSReservedSSO_"


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _iam_caller(identity: dict[str, Any]) -> str | None:
    """A role's sessions are one caller, except where the session *is* the person: Cognito
    identity pool users all share one role and session name (their identity id tells them
    apart), and IAM Identity Center names each user's session after the user."""
    identity_id = _text(identity.get("cognitoIdentityId"))
    if identity_id is not None:
        return f"iam:cognito-identity:{identity.get('cognitoIdentityPoolId') or ''}|{identity_id}"
    arn = _text(identity.get("userArn"))
    if arn is None:
        return None
    role = _ASSUMED_ROLE.match(arn)
    if role is None or role.group(2).startswith(_IDENTITY_CENTER_ROLE):
        return "iam:" + arn
    return "iam:" + role.group(1)


def caller_name(event: dict[str, Any], mode: str) -> str | None:
    """The stable name of the caller for isolation `mode`, or None when the event has none."""
    context = event.get("requestContext") or {}
    if mode == "iam":
        return _iam_caller(context.get("identity") or {})
    authorizer = context.get("authorizer") or {}
    if mode == "cognito":
        claims = authorizer.get("claims") or {}
        sub = _text(claims.get("sub"))
        return None if sub is None else f"cognito:{claims.get('iss') or ''}|{sub}"
    if mode == "custom":
        principal = _text(authorizer.get("principalId"))
        return None if principal is None else "custom:" + principal
    return None


def caller_partition(event: dict[str, Any], mode: str) -> str:
    """The key segment of this caller; "" when isolation is off."""
    if mode == "off":
        return ""
    name = caller_name(event, mode)
    if name is None:
        raise ClientError(
            403, "NoCallerIdentity", "the request carries no caller identity to isolate imports by"
        )
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).digest()[:16]
    return base64.b32encode(digest).decode("ascii").rstrip("=").lower()
