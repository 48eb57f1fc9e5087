"""Fixtures: a hermetic AWS environment, moto, and a freshly imported handler per test.

`signed_import.handler` reads its settings and builds its S3 client at import, so every test
imports it anew after the environment and `mock_aws()` are in place.
"""

from __future__ import annotations

import copy
import os

# Before botocore is imported: sign as in Lambda, whose runtime has no awscrt (the dev group
# installs it for the local consumer's CRC-64/NVME, and botocore would then presign through CRT).
os.environ.setdefault("BOTO_DISABLE_CRT", "true")

import sys
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import boto3
import botocore.hooks
import botocore.loaders
import botocore.session
import pytest
from moto import mock_aws

from .helpers import FUNCTION_ENV, HANDLER_MODULE, LoadSigner, Signer, import_handler

# Parsing botocore's service models dominates a test's runtime: every session shares them.
_MODEL_LOADER = botocore.loaders.create_loader()
# So does registering botocore's built-in event handlers (~12 ms a session, two sessions a test;
# moto's, added at its import, among them): they are registered here once, and every session
# starts from a copy.
_PRISTINE_EVENTS = botocore.hooks.HierarchicalEmitter()
botocore.session.Session(event_hooks=_PRISTINE_EVENTS)


def fresh_session() -> boto3.Session:
    """A new session (no cached credentials) that reuses the already parsed service models and a
    copy of the built-in event handlers."""
    core = botocore.session.Session(
        event_hooks=copy.copy(_PRISTINE_EVENTS), include_builtin_handlers=False
    )
    core.register_component("data_loader", _MODEL_LOADER)
    return boto3.Session(botocore_session=core)


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
    # The function's client comes from boto3's default session: a fresh one per test, as in a
    # new Lambda container. The tests' own clients use other sessions, so the function never
    # inherits credentials they resolved.
    with mock_aws(), mock.patch.object(boto3, "DEFAULT_SESSION", fresh_session()):
        yield


@pytest.fixture
def load_signer(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[LoadSigner]:
    def load(**env: str | None) -> Signer:
        region = env.get("AWS_REGION") or os.environ["AWS_REGION"]
        bucket = env.get("BUCKET_NAME") or os.environ["BUCKET_NAME"]
        # The tests' client exists before `env` applies: a test may take the credentials away
        # or point the function (only) at an emulator with AWS_ENDPOINT_URL*.
        s3 = fresh_session().client("s3", region_name=region)
        if region == "us-east-1":
            s3.create_bucket(Bucket=bucket)
        else:
            s3.create_bucket(
                Bucket=bucket,
                CreateBucketConfiguration={"LocationConstraint": region},  # type: ignore[typeddict-item]
            )
        for name, value in env.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
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
    credentials = fresh_session().get_credentials()
    assert credentials is not None
    return credentials.secret_key
