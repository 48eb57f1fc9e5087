"""Configuration from the environment Terraform gives the function, validated once at init."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

S3_SINGLE_PUT_LIMIT = 5 * 1024**3
MIN_PART_SIZE = 5 * 1024**2
MAX_PART_SIZE = S3_SINGLE_PUT_LIMIT
MAX_PART_COUNT = 10_000
S3_OBJECT_LIMIT = MAX_PART_COUNT * MAX_PART_SIZE  # 48.8 TiB, S3's largest object
MIN_EXPIRY_SECONDS = 60
MAX_EXPIRY_SECONDS = 3600  # a URL dies with the role session that signed it anyway
# POST /imports: imports one call may create (the parts route's bound too); 0 turns the route off.
MAX_IMPORTS_PER_REQUEST = 100

# How the caller is named in the event, per authorization type; "off" shares one namespace.
CALLER_ISOLATION_MODES = frozenset({"iam", "cognito", "custom", "off"})

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
# No '*': the prefix is also the signer's IAM resource, where it would be a wildcard.
_PREFIX = re.compile(r"([A-Za-z0-9!_.'()-]+/)+")
# As the module's cors_allowed_origins validation: scheme and host (and port), or "*".
_ORIGIN = re.compile(r"https?://[^\s/,]+|\*")
_CONTENT_TYPE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/(\*|[a-z0-9][a-z0-9!#$&^_.+-]*)$")


# An endpoint for the signed URLs: https and a host name (lowercase labels), nothing else.
_UPLOAD_ENDPOINT = re.compile(
    r"https://[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*"
)


class ConfigError(RuntimeError):
    """The function was deployed with a missing or invalid setting."""


@dataclass(frozen=True)
class Settings:
    bucket: str
    key_prefix: str
    allowed_content_types: frozenset[str]
    max_upload_bytes: int
    url_expiry_seconds: int
    region: str
    endpoint_url: str | None
    multipart_enabled: bool = True
    multipart_threshold_bytes: int = 100 * 1024**2
    caller_isolation: str = "off"
    cors_allowed_origins: frozenset[str] = frozenset()  # "*" for any origin
    upload_endpoint_url: str | None = None  # UPLOAD_ENDPOINT_URL
    malware_scanning: bool = False  # MALWARE_SCANNING: answers carry the GuardDuty scan result
    max_imports_per_request: int = MAX_IMPORTS_PER_REQUEST  # POST /imports; 0: no such route

    @property
    def url_endpoint(self) -> str | None:
        """The endpoint the signed URLs name: UPLOAD_ENDPOINT_URL when set (an S3 interface VPC
        endpoint's bucket name, which consumers inside the network reach), else the S3 client's
        own. The signer's own S3 calls always use the client's."""
        return self.upload_endpoint_url or self.endpoint_url

    def allows(self, media_type: str) -> bool:
        """True when `media_type` (lowercase, no parameters) matches the allowlist."""
        if media_type in self.allowed_content_types:
            return True
        return media_type.split("/", 1)[0] + "/*" in self.allowed_content_types


def _require(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigError(f"environment variable {name} is required")
    return value


def _int_in_range(env: Mapping[str, str], name: str, low: int, high: int) -> int:
    raw = _require(env, name)
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in ("true", "false"):
        raise ConfigError(f"{name} must be 'true' or 'false', got {raw!r}")
    return raw == "true"


def load_settings(env: Mapping[str, str]) -> Settings:
    """Read and validate every setting; raise ConfigError naming the first bad one."""
    bucket = _require(env, "BUCKET_NAME")
    if not _BUCKET.fullmatch(bucket):
        raise ConfigError(f"BUCKET_NAME {bucket!r} is not a valid bucket name")

    key_prefix = _require(env, "KEY_PREFIX")
    # HTTP clients collapse "." and ".." path segments, which would break the signature.
    if not _PREFIX.fullmatch(key_prefix) or {".", ".."} & set(key_prefix.split("/")):
        raise ConfigError(f"KEY_PREFIX {key_prefix!r} must be safe path segments ending in '/'")

    types = frozenset(t.strip().lower() for t in _require(env, "ALLOWED_CONTENT_TYPES").split(","))
    bad = sorted(t for t in types if not _CONTENT_TYPE_PATTERN.fullmatch(t))
    if bad:
        raise ConfigError(f"ALLOWED_CONTENT_TYPES has invalid entries: {bad}")

    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or ""
    if not region:
        raise ConfigError("AWS_REGION is required")

    multipart_enabled = _bool(env, "MULTIPART_ENABLED", default=False)
    threshold = S3_SINGLE_PUT_LIMIT
    if multipart_enabled:
        threshold = _int_in_range(
            env, "MULTIPART_THRESHOLD_BYTES", MIN_PART_SIZE, S3_SINGLE_PUT_LIMIT
        )
    max_upload = S3_OBJECT_LIMIT if multipart_enabled else S3_SINGLE_PUT_LIMIT

    isolation = env.get("CALLER_ISOLATION", "").strip() or "off"
    if isolation not in CALLER_ISOLATION_MODES:
        modes = ", ".join(sorted(CALLER_ISOLATION_MODES))
        raise ConfigError(f"CALLER_ISOLATION must be one of {modes}, got {isolation!r}")

    origins = frozenset(
        o.strip() for o in env.get("CORS_ALLOWED_ORIGINS", "").split(",") if o.strip()
    )
    bad = sorted(o for o in origins if not _ORIGIN.fullmatch(o))
    if bad:
        raise ConfigError(f"CORS_ALLOWED_ORIGINS has invalid entries: {bad}")

    upload_endpoint = env.get("UPLOAD_ENDPOINT_URL", "").strip() or None
    if upload_endpoint is not None and not _UPLOAD_ENDPOINT.fullmatch(upload_endpoint):
        raise ConfigError(
            "UPLOAD_ENDPOINT_URL must be https:// and a host name only, e.g. https://bucket."
            "vpce-0123456789abcdef0-abcd1234.s3.eu-west-1.vpce.amazonaws.com, "
            f"got {upload_endpoint!r}"
        )

    imports_per_request = MAX_IMPORTS_PER_REQUEST
    if env.get("MAX_IMPORTS_PER_REQUEST", "").strip():
        imports_per_request = _int_in_range(
            env, "MAX_IMPORTS_PER_REQUEST", 0, MAX_IMPORTS_PER_REQUEST
        )

    return Settings(
        bucket=bucket,
        key_prefix=key_prefix,
        allowed_content_types=types,
        max_upload_bytes=_int_in_range(env, "MAX_UPLOAD_BYTES", 1, max_upload),
        url_expiry_seconds=_int_in_range(
            env, "URL_EXPIRY_SECONDS", MIN_EXPIRY_SECONDS, MAX_EXPIRY_SECONDS
        ),
        region=region,
        endpoint_url=env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or None,
        multipart_enabled=multipart_enabled,
        multipart_threshold_bytes=threshold,
        caller_isolation=isolation,
        cors_allowed_origins=origins,
        upload_endpoint_url=upload_endpoint,
        malware_scanning=_bool(env, "MALWARE_SCANNING", default=False),
        max_imports_per_request=imports_per_request,
    )
