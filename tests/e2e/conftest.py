"""Fixtures for the end-to-end tests: the shared examples/local stack on moto_server, served for
a test module; a real SigV4-verifying S3 (LocalStack) and a bucket in it."""

from __future__ import annotations

import os

# Before anything imports botocore: sign as in Lambda, whose runtime has no awscrt (see
# localdev/__init__.py).
os.environ.setdefault("BOTO_DISABLE_CRT", "true")

import secrets
from collections.abc import Iterator
from typing import TYPE_CHECKING, Final

import boto3
import pytest
from botocore.config import Config

from localdev.emulator import MotoServer
from localdev.localstack import run_localstack
from localdev.stack import Deployment, MotoStack, served

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

REGION: Final = "eu-west-1"
ACCESS_KEY = "test"
SECRET_KEY = "test"  # LocalStack verifies every presigned URL against this secret


@pytest.fixture(scope="module")
def moto(local_deployment: Deployment) -> MotoServer:
    """The moto_server holding the shared examples/local stack (localdev's pytest plugin)."""
    return local_deployment.moto


@pytest.fixture(scope="module")
def local_stack(local_deployment: Deployment) -> Iterator[MotoStack]:
    """The shared stack, served by a local gateway of the test module."""
    with served(local_deployment) as stack:
        yield stack


@pytest.fixture(scope="session")
def localstack_s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """http://127.0.0.1:<port> of a LocalStack S3 that verifies signatures, for the session."""
    with run_localstack(tmp_path_factory.mktemp("localstack")) as server:
        yield server.endpoint


def s3_client(endpoint: str, secret_key: str = SECRET_KEY) -> S3Client:
    """A test-side client: SigV4, path style, fake credentials."""
    return boto3.client(
        "s3",
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=secret_key,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


@pytest.fixture(scope="session")
def localstack_s3(localstack_s3_endpoint: str) -> S3Client:
    return s3_client(localstack_s3_endpoint)


@pytest.fixture(scope="session")
def localstack_bucket(localstack_s3: S3Client) -> str:
    """A fresh bucket in LocalStack; every test uses its own keys under imports/."""
    name = f"signed-import-e2e-{secrets.token_hex(4)}"
    localstack_s3.create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    return name
