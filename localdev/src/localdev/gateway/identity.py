"""The caller identity the local gateway puts in the Lambda event, derived from the request
without verifying anything (the rules are in the package's docstring)."""

from __future__ import annotations

import base64
import binascii
import json
import re

ACCOUNT_ID = "123456789012"

# The access key id of a SigV4 Authorization header (the signature itself is not checked).
_SIGV4_CREDENTIAL = re.compile(r"AWS4-HMAC-SHA256\s+Credential=([A-Za-z0-9]+)/")
_BEARER = re.compile(r"bearer\s+", re.IGNORECASE)
LOCAL_IAM_USER = "local"
LOCAL_PRINCIPAL = "local-user"
LOCAL_CLAIMS = {"sub": LOCAL_PRINCIPAL, "iss": "local"}


def _claim_text(value: object) -> str:
    """A claim as API Gateway passes it to a REST proxy integration: always a string."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"))


def jwt_claims(authorization: str | None) -> dict[str, str] | None:
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


def iam_identity(authorization: str | None) -> dict[str, str | None]:
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
