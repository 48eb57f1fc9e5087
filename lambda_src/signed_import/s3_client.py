"""The S3 API client, for the calls a presigned URL cannot make (multipart create, list,
complete, abort), and the botocore it needs."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import botocore

from .config import ConfigError, Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def make_s3_client(settings: Settings) -> S3Client:
    """One client per container. SigV4 always: botocore falls back to SigV2 presigns with a
    custom endpoint otherwise. In AWS the host is regional and virtual-hosted (never the global
    s3.amazonaws.com); emulators behind AWS_ENDPOINT_URL(_S3) get path style. Checksums only
    when an operation requires one: botocore would otherwise give every new multipart upload a
    CRC32 algorithm that the presigned part URLs do not carry."""
    import boto3  # noqa: PLC0415 (deferred: single-PUT signing never needs the client)
    from botocore.config import Config  # noqa: PLC0415

    config = Config(
        signature_version="s3v4",
        s3={
            "addressing_style": "path" if settings.endpoint_url else "virtual",
            "us_east_1_regional_endpoint": "regional",
        },
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    return boto3.client(
        "s3", region_name=settings.region, endpoint_url=settings.endpoint_url, config=config
    )


# botocore learnt MpuObjectSize, ChecksumType and ChecksumCRC64NVME in 1.36.0; multipart
# imports send them, and an older botocore refuses unknown parameters on every call.
MULTIPART_BOTOCORE = (1, 36, 0)


def require_multipart_api(version: str | None = None) -> None:
    """Fail the init, not every completion, when the runtime's botocore is too old."""
    version = version or botocore.__version__
    numbers = tuple(int(part) for part in re.findall(r"\d+", version)[:3])
    if numbers < MULTIPART_BOTOCORE:
        needed = ".".join(str(n) for n in MULTIPART_BOTOCORE)
        raise ConfigError(
            f"multipart imports need botocore >= {needed} (MpuObjectSize, ChecksumType), "
            f"the runtime has {version}; use a current Lambda runtime"
        )


class LazyS3Client:
    """The S3 client, built on first use: only the multipart routes call the S3 API, so a
    container that signs single PUTs never pays for loading the service model."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._client: S3Client | None = None

    def __getattr__(self, name: str) -> Any:
        if self._client is None:
            self._client = make_s3_client(self._settings)
        return getattr(self._client, name)
