"""Presigned S3 URLs without an S3 client: the canonical request SigV4 query auth defines,
signed as SigV4 specifies (HMAC-SHA256, the standard library), on the URL the client's endpoint
rules would build.

Building a boto3 client (loading and parsing the S3 service model, the endpoint rule set, the
event hooks) is most of a cold start and most of a warm presign; a presigned URL needs none of
it. The rules kept here are exactly the client's for this module's configuration (SigV4 query
auth, regional virtual-hosted URLs, path style for dotted buckets and behind
AWS_ENDPOINT_URL(_S3)); tests/unit/test_presign_equivalence.py proves byte-for-byte equality with
`generate_presigned_url` over a matrix of regions, partitions, endpoints, buckets, keys and
headers. UPLOAD_ENDPOINT_URL is addressed as an endpoint override (path style).

Of botocore only its partition data is read here (and its credential providers, in
credentials.py, when the environment has no static keys): the Lambda runtime ships a botocore that
AWS updates without notice, so the signer never leans on its private names, and a cold start
imports no more of it than the package itself.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import botocore

from .config import Settings
from .credentials import (
    CredentialSource,
    FrozenCredentials,
    NoCredentialsError,
    expiry,
    load_credentials,
)

_SIGV4_TIMESTAMP = "%Y%m%dT%H%M%SZ"
_ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"  # a presigned URL never signs its body
_DEFAULT_PORTS = {"http": 80, "https": 443}


@lru_cache(maxsize=256)
def _encoded(text: str, safe: str = "-_.~") -> str:
    """botocore's percent_encode (UTF-8, then every byte but the unreserved ones and `safe`),
    remembered: a batch of part URLs encodes the same key, credential scope, signed header names
    and (long) session token for every URL."""
    return quote(text, safe=safe)


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


@lru_cache(maxsize=16)
def _host_and_base(endpoint_url: str | None, region: str, bucket: str) -> tuple[str, str]:
    """The host (as SigV4 signs it: no default port) and the path before the key that the
    client would address: path style behind an endpoint override and for dotted buckets (a
    wildcard certificate covers one label only), virtual-hosted otherwise."""
    if endpoint_url:
        return _endpoint_host(endpoint_url), f"/{bucket}/"
    host = f"s3.{region}.{dns_suffix(region)}"
    if "." in bucket:
        return host, f"/{bucket}/"
    return f"{bucket}.{host}", "/"


@cache
def _endpoint_host(endpoint_url: str) -> str:
    """The Host header SigV4 signs for an endpoint URL: the host name (IPv6 in brackets) and
    the port unless it is the scheme's default."""
    url = urlsplit(endpoint_url)
    host = url.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if url.port is not None and url.port != _DEFAULT_PORTS.get(url.scheme):
        host = f"{host}:{url.port}"
    return host


@cache
def _scheme(endpoint_url: str | None) -> str:
    return urlsplit(endpoint_url).scheme if endpoint_url else "https"


def utc_now() -> datetime:
    """The signing clock: UTC, naive (SigV4 timestamps carry no zone)."""
    return datetime.now(UTC).replace(tzinfo=None)


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret_key: str, datestamp: str, region: str, service: str = "s3") -> bytes:
    """SigV4's signing key: derived from the secret, the date, the region and the service alone,
    so every URL of a day (and of a batch) can share it."""
    key = _hmac(f"AWS4{secret_key}".encode(), datestamp)
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    return key


def _query_sort_key(pair: str) -> tuple[str, str]:
    """botocore's order for query pairs: by encoded name, then value."""
    name, _, value = pair.partition("=")
    return name, value


def _canonical_request(
    method: str, path: str, query_string: str, headers: dict[str, str], signed_headers: str
) -> str:
    """SigV4's canonical request for a presigned S3 URL, formed as botocore forms it: the path
    as given (S3 does not normalise it), query pairs sorted by encoded key then value, headers
    lowercase and sorted with trimmed values, and an unsigned payload."""
    pairs = sorted(query_string.split("&"), key=_query_sort_key)
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


class Presigner:
    """Presigns S3 requests for one function's settings; credentials are loaded on first use."""

    def __init__(self, settings: Settings, credentials: CredentialSource | None = None) -> None:
        self._settings = settings
        self._credentials = credentials
        self._signing_key: tuple[str | None, str, bytes] = ("", "", b"")  # secret, date, key

    @property
    def credentials(self) -> CredentialSource:
        if self._credentials is None:
            self._credentials = load_credentials()
        return self._credentials

    def batch(self, expires_in: int) -> PresignBatch:
        """URLs signed now, with the current credentials, valid for `expires_in` seconds.

        A URL signed with temporary credentials dies with them: when their expiry is known the
        URLs' lifetime is cut to what they have left, so expires_at never promises more."""
        credentials = self.credentials
        frozen = credentials.get_frozen_credentials()  # refreshes near expiry
        expires = expiry(credentials)
        lifetime = expires_in
        if expires is not None:
            lifetime = max(1, min(expires_in, int(expires - time.time())))
        if not frozen.access_key or not frozen.secret_key:
            raise NoCredentialsError("the credentials found have no access key or secret key")
        now = utc_now()
        datestamp = now.strftime(_SIGV4_TIMESTAMP)[:8]
        if self._signing_key[:2] != (frozen.secret_key, datestamp):
            key = signing_key(frozen.secret_key, datestamp, self._settings.region)
            self._signing_key = (frozen.secret_key, datestamp, key)
        return PresignBatch(self._settings, self._signing_key[2], frozen, now, lifetime)

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
        """One URL: see PresignBatch.presign."""
        return self.batch(expires_in).presign(method, bucket, key, headers=headers, params=params)


class PresignBatch:
    """URLs signed at one instant with one set of credentials: what they share (the clock, the
    credential scope, the token, the signing key) is worked out once, not for each URL."""

    def __init__(
        self,
        settings: Settings,
        key: bytes,
        frozen: FrozenCredentials,
        now: datetime,
        lifetime: int,
    ) -> None:
        self._settings = settings
        self._key = key
        timestamp = now.strftime(_SIGV4_TIMESTAMP)
        scope = f"{timestamp[:8]}/{settings.region}/s3/aws4_request"
        self._string_to_sign_head = f"{_ALGORITHM}\n{timestamp}\n{scope}\n"
        # X-Amz-Date has whole seconds: expires_at is exactly when S3 stops accepting the URLs.
        self.expires_at = now.replace(microsecond=0, tzinfo=UTC) + timedelta(seconds=lifetime)
        credential = f"{frozen.access_key}/{scope}"
        # botocore's auth parameters, percent-encoded, in its order; X-Amz-SignedHeaders
        # (which depends on the headers) goes between the two halves.
        self._auth_query = (
            f"X-Amz-Algorithm={_ALGORITHM}"
            f"&X-Amz-Credential={_encoded(credential)}"
            f"&X-Amz-Date={timestamp}"
            f"&X-Amz-Expires={lifetime}"
        )
        self._token_query = ""
        if frozen.token is not None:
            self._token_query = f"&X-Amz-Security-Token={_encoded(frozen.token)}"
        self._scheme = _scheme(settings.url_endpoint)

    def presign(
        self,
        method: str,
        bucket: str,
        key: str,
        *,
        headers: Mapping[str, str],
        params: Mapping[str, str] | None = None,
    ) -> Presigned:
        """A URL for `method` on `key` that S3 accepts only with exactly `headers`."""
        settings = self._settings
        host, base = _host_and_base(settings.url_endpoint, settings.region, bucket)
        path = base + _encoded(key, safe="/~")
        names = {name.lower(): " ".join(value.split()) for name, value in headers.items()}
        names["host"] = host
        signed_headers = ";".join(sorted(names))
        query_string = (
            f"{self._auth_query}&X-Amz-SignedHeaders={_encoded(signed_headers)}{self._token_query}"
        )
        if params:
            # percent_encode_sequence's pairs (string values only), each encoding remembered.
            pairs = (f"{_encoded(name)}={_encoded(value)}" for name, value in params.items())
            query_string = "&".join(pairs) + "&" + query_string
        signature = self.sign(_canonical_request(method, path, query_string, names, signed_headers))
        url = f"{self._scheme}://{host}{path}?{query_string}&X-Amz-Signature={signature}"
        return Presigned(url, self.expires_at)

    def part_urls(self, bucket: str, key: str, upload_id: str) -> PartUrls:
        """A signer for the part URLs of one multipart upload, in this batch."""
        return PartUrls(self, bucket, key, upload_id)

    def sign(self, canonical_request: str) -> str:
        """SigV4: the hex HMAC-SHA256, under the day's signing key, of the algorithm, the
        timestamp, the credential scope and the canonical request's SHA-256."""
        digest = hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
        string_to_sign = self._string_to_sign_head + digest
        return hmac.new(self._key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


_CRC_HEADER = "x-amz-checksum-crc64nvme"


class PartUrls:
    """The part URLs (UploadPart) of one multipart upload, signed in one batch.

    They differ only in the part number, its Content-Length and its CRC, so everything else in
    the URL and in the canonical request is formed once, by the rules PresignBatch.presign
    applies to any request: the URL's query in botocore's order (uploadId, partNumber, the auth
    parameters), the canonical query sorted by name (the X-Amz-* parameters, then partNumber,
    then uploadId: ASCII puts upper case first), the headers sorted by name. The equivalence
    tests compare the result with generate_presigned_url("upload_part")."""

    def __init__(self, batch: PresignBatch, bucket: str, key: str, upload_id: str) -> None:
        settings = batch._settings
        self._batch = batch
        self._host, base = _host_and_base(settings.url_endpoint, settings.region, bucket)
        self._path = base + _encoded(key, safe="/~")
        self._upload = f"uploadId={_encoded(upload_id)}"
        # Per header set (without, with the CRC): the URL's head and tail around the part
        # number, and the canonical query's auth parameters, sorted.
        self._forms: dict[bool, tuple[str, str, str, str]] = {}
        for with_crc in (False, True):
            names = ["content-length", "host", *([_CRC_HEADER] if with_crc else [])]
            signed_headers = ";".join(names)
            auth = (
                f"{batch._auth_query}&X-Amz-SignedHeaders={_encoded(signed_headers)}"
                f"{batch._token_query}"
            )
            sorted_auth = "&".join(sorted(auth.split("&"), key=_query_sort_key))
            head = f"{batch._scheme}://{self._host}{self._path}?{self._upload}&partNumber="
            self._forms[with_crc] = (head, f"&{auth}&X-Amz-Signature=", sorted_auth, signed_headers)

    def sign(self, part_number: int, length: int, crc64nvme: str | None) -> Presigned:
        head, tail, sorted_auth, signed_headers = self._forms[crc64nvme is not None]
        headers = f"content-length:{length}\nhost:{self._host}\n"
        if crc64nvme is not None:
            headers += f"{_CRC_HEADER}:{crc64nvme.strip()}\n"
        canonical = (
            f"PUT\n{self._path}\n{sorted_auth}&partNumber={part_number}&{self._upload}\n"
            f"{headers}\n{signed_headers}\n{UNSIGNED_PAYLOAD}"
        )
        signature = self._batch.sign(canonical)
        return Presigned(f"{head}{part_number}{tail}{signature}", self._batch.expires_at)
