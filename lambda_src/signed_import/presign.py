"""Presigned S3 URLs without an S3 client: the canonical request SigV4 query auth defines,
signed by botocore's own S3SigV4QueryAuth (its key derivation and HMAC), on the URL the client's
endpoint rules would build.

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
from urllib.parse import urlsplit

import botocore
import botocore.auth
from botocore.auth import UNSIGNED_PAYLOAD, S3SigV4QueryAuth
from botocore.credentials import ContainerProvider, Credentials, EnvProvider
from botocore.utils import percent_encode, percent_encode_sequence

from .config import Settings

_SIGV4_TIMESTAMP = "%Y%m%dT%H%M%SZ"
_host_from_url = botocore.auth._host_from_url  # type: ignore[attr-defined]  # the signers' own


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


def _host_and_path(settings: Settings, bucket: str, key: str) -> tuple[str, str]:
    """The host (as SigV4 signs it: no default port) and encoded path the client would address:
    path style behind an endpoint override and for dotted buckets (a wildcard certificate covers
    one label only), virtual-hosted otherwise."""
    path = percent_encode(key, safe="/~")
    if settings.endpoint_url:
        return _endpoint_host(settings.endpoint_url), f"/{bucket}/{path}"
    host = f"s3.{settings.region}.{dns_suffix(settings.region)}"
    if "." in bucket:
        return host, f"/{bucket}/{path}"
    return f"{bucket}.{host}", f"/{path}"


@cache
def _endpoint_host(endpoint_url: str) -> str:
    return str(_host_from_url(endpoint_url))


@cache
def _scheme(endpoint_url: str | None) -> str:
    return urlsplit(endpoint_url).scheme if endpoint_url else "https"


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


def _canonical_request(
    method: str, path: str, query_string: str, headers: dict[str, str], signed_headers: str
) -> str:
    """SigV4's canonical request for a presigned S3 URL, formed as botocore forms it: the path
    as given (S3 does not normalise it), query pairs sorted by encoded key then value, headers
    lowercase and sorted with trimmed values, and an unsigned payload."""
    pairs = sorted(query_string.split("&"), key=lambda pair: pair.partition("=")[::2])
    return "\n".join(
        [
            method,
            path,
            "&".join(pairs),
            "".join(f"{name}:{headers[name]}\n" for name in sorted(headers)),
            signed_headers,
            UNSIGNED_PAYLOAD,
        ]
    )


class _Context:
    """What botocore's string_to_sign and signature read from a request: its timestamp."""

    def __init__(self, context: dict[str, str]) -> None:
        self.context = context


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
        settings = self._settings
        host, path = _host_and_path(settings, bucket, key)
        signer = S3SigV4QueryAuth(frozen, "s3", settings.region, expires=lifetime)
        # botocore's clock (naive UTC), the one its own signers read.
        now = botocore.auth.get_current_datetime()  # type: ignore[attr-defined]
        timestamp = now.strftime(_SIGV4_TIMESTAMP)
        names = {name.lower(): " ".join(value.split()) for name, value in headers.items()}
        names["host"] = host
        signed_headers = ";".join(sorted(names))
        credential = f"{frozen.access_key}/{timestamp[:8]}/{settings.region}/s3/aws4_request"
        # percent_encode_sequence of botocore's auth parameters, in its order.
        query_string = (
            "X-Amz-Algorithm=AWS4-HMAC-SHA256"
            f"&X-Amz-Credential={percent_encode(credential)}"
            f"&X-Amz-Date={timestamp}"
            f"&X-Amz-Expires={lifetime}"
            f"&X-Amz-SignedHeaders={percent_encode(signed_headers)}"
        )
        if frozen.token is not None:
            query_string += f"&X-Amz-Security-Token={percent_encode(frozen.token)}"
        if params:
            query_string = percent_encode_sequence(params) + "&" + query_string
        canonical = _canonical_request(method, path, query_string, names, signed_headers)
        context = _Context({"timestamp": timestamp})
        string_to_sign = signer.string_to_sign(context, canonical)  # type: ignore[arg-type]
        signature = signer.signature(string_to_sign, context)  # type: ignore[arg-type]
        expires_at = now.replace(tzinfo=UTC) + timedelta(seconds=lifetime)
        url = f"{_scheme(settings.endpoint_url)}://{host}{path}"
        return Presigned(f"{url}?{query_string}&X-Amz-Signature={signature}", expires_at)
