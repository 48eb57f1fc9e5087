"""Presigned S3 URLs without an S3 client: botocore's own SigV4 query signer on a request whose
URL is built by the endpoint rules the client would apply.

Building a boto3 client (loading and parsing the S3 service model, the endpoint rule set, the
event hooks) is most of a cold start and most of a warm presign; a presigned URL needs none of
it. The rules kept here are exactly the client's for this module's configuration (SigV4 query
auth, regional virtual-hosted URLs, path style for dotted buckets and behind
AWS_ENDPOINT_URL(_S3)); tests/unit/test_presign_equivalence.py proves byte-for-byte equality with
`generate_presigned_url` over a matrix of regions, partitions, endpoints, buckets, keys and
headers.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import botocore
from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import ContainerProvider, Credentials, EnvProvider
from botocore.utils import percent_encode

from .config import Settings

_SIGV4_TIMESTAMP = "%Y%m%dT%H%M%SZ"


class NoCredentialsError(RuntimeError):
    """Neither the environment nor the container endpoint gave credentials."""


@dataclass(frozen=True)
class Presigned:
    url: str
    expires_at: datetime  # X-Amz-Date + X-Amz-Expires: when S3 stops accepting the URL


@cache
def _partitions() -> list[dict[str, Any]]:
    """botocore's own partition data (DNS suffixes and region patterns)."""
    path = Path(botocore.__file__).parent / "data" / "partitions.json"
    partitions: list[dict[str, Any]] = json.loads(path.read_text())["partitions"]
    return partitions


def dns_suffix(region: str) -> str:
    """The partition's DNS suffix for `region` (amazonaws.com, amazonaws.com.cn, …), found as
    botocore finds it: an explicitly listed region first, then the partitions' region patterns."""
    for partition in _partitions():
        if region in partition.get("regions", {}):
            return str(partition["outputs"]["dnsSuffix"])
    for partition in _partitions():
        if re.match(partition["regionRegex"], region):
            return str(partition["outputs"]["dnsSuffix"])
    return "amazonaws.com"  # botocore's default partition for unknown regions


def object_url(settings: Settings, bucket: str, key: str) -> str:
    """The URL the client would address: path style behind an endpoint override and for dotted
    buckets (a wildcard certificate covers one label only), virtual-hosted otherwise."""
    path = percent_encode(key, safe="/~")
    if settings.endpoint_url:
        return f"{settings.endpoint_url.rstrip('/')}/{bucket}/{path}"
    host = f"s3.{settings.region}.{dns_suffix(settings.region)}"
    if "." in bucket:
        return f"https://{host}/{bucket}/{path}"
    return f"https://{bucket}.{host}/{path}"


def load_credentials() -> Credentials:
    """The runtime's credentials, as botocore's chain would find them in Lambda: the environment
    (the usual runtime), else the container credentials endpoint (SnapStart), which botocore
    refreshes before they expire."""
    for provider in (EnvProvider(), ContainerProvider()):
        credentials = provider.load()
        if credentials is not None:
            return credentials
    raise NoCredentialsError("no AWS credentials in the environment or the container endpoint")


def _expiry(credentials: Credentials) -> float | None:
    """When refreshable credentials expire (epoch seconds), or None when unknown (static)."""
    expiry = getattr(credentials, "_expiry_time", None)
    return expiry.timestamp() if isinstance(expiry, datetime) else None


class Presigner:
    """Presigns S3 requests for one function's settings; credentials are loaded on first use."""

    def __init__(self, settings: Settings, credentials: Credentials | None = None) -> None:
        self._settings = settings
        self._credentials = credentials

    @property
    def credentials(self) -> Credentials:
        if self._credentials is None:
            self._credentials = load_credentials()
        return self._credentials

    def presign(
        self,
        method: str,
        bucket: str,
        key: str,
        *,
        headers: Mapping[str, str],
        params: Mapping[str, str] | None = None,
        expires_in: int,
    ) -> Presigned:
        """A URL for `method` on `key` that S3 accepts only with exactly `headers`.

        A URL signed with temporary credentials dies with them: when their expiry is known the
        URL's lifetime is cut to what they have left, so expires_at never promises more."""
        credentials = self.credentials
        frozen = credentials.get_frozen_credentials()  # refreshes near expiry
        expiry = _expiry(credentials)
        lifetime = expires_in
        if expiry is not None:
            lifetime = max(1, min(expires_in, int(expiry - time.time())))
        request = AWSRequest(
            method=method,
            url=object_url(self._settings, bucket, key),
            headers=dict(headers),
            params=dict(params or {}),
        )
        S3SigV4QueryAuth(frozen, "s3", self._settings.region, expires=lifetime).add_auth(request)
        signed_at = datetime.strptime(request.context["timestamp"], _SIGV4_TIMESTAMP)
        expires_at = signed_at.replace(tzinfo=UTC) + timedelta(seconds=lifetime)
        return Presigned(url=str(request.url), expires_at=expires_at)
