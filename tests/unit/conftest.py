"""Fixtures: a hermetic AWS environment, moto, and a freshly imported handler per test.

`signed_import.handler` reads its settings and builds its S3 client at import, so every test
imports it anew after the environment and `mock_aws()` are in place.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws

from .helpers import FUNCTION_ENV, LoadSigner, Signer

HANDLER_MODULE = "signed_import.handler"

# The tests' own client goes straight to (mocked) S3: AWS_ENDPOINT_URL* steer the function only.
_TEST_CLIENT_CONFIG = Config(ignore_configured_endpoint_urls=True)


def import_handler() -> ModuleType:
    """Import signed_import.handler afresh so it reads the current environment."""
    sys.modules.pop(HANDLER_MODULE, None)
    return importlib.import_module(HANDLER_MODULE)


@pytest.fixture
def function_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """Fake credentials and the function's settings, and nothing else from the machine: no
    profile, endpoint override, shared config file or instance metadata lookup."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "missing-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "missing-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        **FUNCTION_ENV,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def aws(function_env: dict[str, str]) -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def load_signer(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[LoadSigner]:
    def load(**env: str | None) -> Signer:
        for name, value in env.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        region = os.environ["AWS_REGION"]
        bucket = os.environ["BUCKET_NAME"]
        s3 = boto3.client("s3", region_name=region, config=_TEST_CLIENT_CONFIG)
        if region == "us-east-1":
            s3.create_bucket(Bucket=bucket)
        else:
            s3.create_bucket(
                Bucket=bucket,
                CreateBucketConfiguration={"LocationConstraint": region},  # type: ignore[typeddict-item]
            )
        return Signer(import_handler(), s3, bucket)

    yield load
    # Leave no module behind whose client belongs to a mock that has stopped.
    sys.modules.pop(HANDLER_MODULE, None)


@pytest.fixture
def signer(load_signer: LoadSigner) -> Signer:
    """The handler with the default test settings (us-east-1, no endpoint override)."""
    return load_signer()


@pytest.fixture
def secret_key(aws: None) -> str:
    """The secret the function's client signs with (moto installs its own fake keys)."""
    credentials = boto3.Session().get_credentials()
    assert credentials is not None
    return credentials.secret_key
