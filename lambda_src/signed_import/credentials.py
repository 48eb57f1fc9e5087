"""The runtime's AWS credentials, found as botocore's chain finds them in Lambda.

The usual runtime puts the execution role's credentials in the environment, without an expiry:
botocore's EnvProvider then returns static credentials, read once. That case, the one on every
cold start, is read here directly, because importing botocore.credentials (with botocore.compat,
urllib3 and http.client behind it) costs more than half of the signer's cold start. Every other
case is left to botocore's own providers, imported only then: AWS_CREDENTIAL_EXPIRATION set
(refreshable credentials), a partial set (botocore's PartialCredentialsError), or no keys at all
(the container credentials endpoint, as with SnapStart, refreshed before they expire).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from typing import Protocol


class NoCredentialsError(RuntimeError):
    """Neither the environment nor the container endpoint gave credentials."""


class FrozenCredentials(Protocol):
    """One consistent set of keys (botocore's ReadOnlyCredentials has these fields)."""

    @property
    def access_key(self) -> str | None: ...
    @property
    def secret_key(self) -> str | None: ...
    @property
    def token(self) -> str | None: ...


class CredentialSource(Protocol):
    """What the signer asks of credentials (botocore's Credentials answers it, and refreshes
    refreshable ones near their expiry)."""

    def get_frozen_credentials(self) -> FrozenCredentials: ...


# botocore's EnvProvider reads these names, the tokens in this order.
_ACCESS_KEY = "AWS_ACCESS_KEY_ID"
_SECRET_KEY = "AWS_SECRET_ACCESS_KEY"  # noqa: S105 (a variable's name, not a secret)
_TOKENS = ("AWS_SECURITY_TOKEN", "AWS_SESSION_TOKEN")
_EXPIRY = "AWS_CREDENTIAL_EXPIRATION"


class StaticCredentials:
    """Keys that do not change: what botocore's EnvProvider returns without an expiry."""

    __slots__ = ("access_key", "secret_key", "token")

    def __init__(self, access_key: str, secret_key: str, token: str | None) -> None:
        self.access_key = access_key
        self.secret_key = secret_key
        self.token = token

    def get_frozen_credentials(self) -> StaticCredentials:
        return self


def static_from_environment(environ: Mapping[str, str]) -> StaticCredentials | None:
    """The environment's keys when botocore's EnvProvider would make static credentials of
    them (an access key, a secret key, no expiry), else None."""
    access_key = environ.get(_ACCESS_KEY, "")
    secret_key = environ.get(_SECRET_KEY, "")
    if not access_key or not secret_key or environ.get(_EXPIRY, ""):
        return None
    token = next((environ[name] for name in _TOKENS if environ.get(name, "")), None)
    return StaticCredentials(access_key, secret_key, token)


def load_credentials(environ: Mapping[str, str] = os.environ) -> CredentialSource:
    """The runtime's credentials: the environment's static keys, else botocore's environment
    provider (for what it alone handles), else the container credentials endpoint."""
    static = static_from_environment(environ)
    if static is not None:
        return static
    # Imported here: a cold start with keys in the environment never pays for it.
    from botocore.credentials import ContainerProvider, EnvProvider  # noqa: PLC0415

    for provider in (EnvProvider(environ=environ), ContainerProvider(environ=environ)):
        credentials = provider.load()
        if credentials is not None:
            return credentials
    raise NoCredentialsError("no AWS credentials in the environment or the container endpoint")


def expiry(credentials: CredentialSource) -> float | None:
    """When refreshable credentials expire (epoch seconds), or None when unknown (static).
    botocore keeps it in an attribute of its own: read defensively, never required; without it
    a URL keeps its configured lifetime (at most url_expiry_seconds)."""
    expiry_time = getattr(credentials, "_expiry_time", None)
    return expiry_time.timestamp() if isinstance(expiry_time, datetime) else None
