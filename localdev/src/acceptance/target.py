"""What the acceptance checks need from a deployment, wherever it runs."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, Protocol

from localdev import REPOSITORY

ROOT = REPOSITORY
EXAMPLE = ROOT / "examples" / "complete"
LISTED_ORIGIN = "https://orders.example.com"  # examples/complete's cors_allowed_origins
UNLISTED_ORIGIN = "https://elsewhere.example.net"
SECOND_ORIGIN = "https://partners.example.com"  # added by the body change


class Target(Protocol):
    """examples/complete, applied: on AWS, or on moto behind the local gateway."""

    name: str
    # curl reaches the API over HTTP/2 (the local gateway speaks HTTP/1.1 only).
    http2: bool
    # Requests without a valid token are refused (the local gateway verifies no token).
    verifies_authorization: bool
    # GuardDuty scans the imports and the bucket policy refuses reads of unscanned ones (locally
    # a stand-in tags them, and moto evaluates no policy condition).
    scans_for_malware: bool

    @property
    def outputs(self) -> Mapping[str, Any]: ...

    @property
    def import_url(self) -> str: ...

    def client(self, service: str) -> Any:
        """A boto3 client of the account the stack lives in."""
        ...

    def reapply(self, variables: Mapping[str, object]) -> None:
        """Apply examples/complete again with `variables` changed."""
        ...

    def access_log(self, request_ids: Collection[str]) -> list[str]:
        """The stage's access-log lines of these requests, as written (waiting for delivery)."""
        ...

    def runtime_botocore(self) -> str | None:
        """The botocore version the function's init logged, None if it logged none."""
        ...
