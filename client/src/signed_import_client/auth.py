"""How API calls are authorized, as the module is configured (`authorization_type`).

- AWS_IAM: SigV4 for `execute-api` with the caller's usual AWS credential chain (environment,
  profiles, SSO, container and instance roles), through botocore — no crypto of our own.
- COGNITO_USER_POOLS or CUSTOM (Lambda authorizer): a token in a header (`Authorization` by
  default), sent as given.
- NONE: nothing.

Signed S3 URLs are never authorized this way: they carry their own signature.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

from .errors import AuthenticationError

if TYPE_CHECKING:
    from botocore.credentials import Credentials

_EXECUTE_API_HOST = re.compile(r"\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$")
DEFAULT_REGION = "us-east-1"


class Auth(Protocol):
    def headers(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> dict[str, str]:
        """`headers` plus whatever authorizes this request."""
        ...


class NoAuth:
    """authorization_type NONE (or a local gateway that does not check)."""

    def headers(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> dict[str, str]:
        return dict(headers)

    def __repr__(self) -> str:
        return "NoAuth()"


class BearerToken:
    """A Cognito user pool token or a Lambda authorizer's token, in `header` as given (a Cognito
    authorizer takes the bare ID token; add `Bearer ` yourself if your authorizer wants it)."""

    def __init__(self, token: str, header: str = "Authorization") -> None:
        token = token.strip()
        if not token:
            raise AuthenticationError("the token is empty")
        if any(c in token for c in "\r\n") or any(c in header for c in "\r\n: "):
            raise AuthenticationError("a token or header name cannot contain line breaks")
        self._token = token
        self.header = header

    def headers(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> dict[str, str]:
        return {**headers, self.header: self._token}

    def __repr__(self) -> str:
        return f"BearerToken(header={self.header!r})"


def region_of(url: str) -> str | None:
    """The region of an execute-api URL (https://id.execute-api.REGION.amazonaws.com/...)."""
    host = url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    match = _EXECUTE_API_HOST.search(host.lower())
    return match.group(1) if match else None


class SigV4:
    """SigV4 for `execute-api`. Credentials: given, or the AWS credential chain of `profile`
    (default: the environment's, as the AWS CLI finds them), refreshed as they expire. Region:
    given, else the one in the API's hostname, else the profile's, else us-east-1."""

    def __init__(
        self,
        *,
        region: str | None = None,
        profile: str | None = None,
        credentials: Credentials | None = None,
    ) -> None:
        from botocore.session import Session  # noqa: PLC0415 (only SigV4 callers pay for it)

        session = Session(profile=profile)
        found = credentials or session.get_credentials()
        if found is None:
            raise AuthenticationError(
                "no AWS credentials found",
                hint="configure them as for the AWS CLI (aws configure / aws sso login, "
                "AWS_PROFILE, environment variables, an instance role), or use `token` "
                "for a Cognito or Lambda authorizer API",
            )
        self._credentials = found
        self._region = region
        self._session_region: str | None = session.get_config_variable("region")

    @classmethod
    def from_keys(
        cls,
        access_key: str,
        secret_key: str,
        session_token: str | None = None,
        *,
        region: str | None = None,
    ) -> SigV4:
        from botocore.credentials import Credentials  # noqa: PLC0415

        return cls(region=region, credentials=Credentials(access_key, secret_key, session_token))

    def region_for(self, url: str) -> str:
        return self._region or region_of(url) or self._session_region or DEFAULT_REGION

    def headers(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> dict[str, str]:
        from botocore.auth import SigV4Auth  # noqa: PLC0415
        from botocore.awsrequest import AWSRequest  # noqa: PLC0415

        request = AWSRequest(method=method, url=url, data=body, headers=dict(headers))
        frozen = self._credentials.get_frozen_credentials()  # refreshes temporary credentials
        SigV4Auth(frozen, "execute-api", self.region_for(url)).add_auth(request)
        return {name: str(value) for name, value in request.headers.items()}

    def __repr__(self) -> str:
        return f"SigV4(region={self._region!r})"
