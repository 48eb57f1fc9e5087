"""The signer finds the runtime's credentials as botocore's chain does, without importing the
chain when the environment holds static keys (the usual Lambda runtime, every cold start)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from botocore.credentials import EnvProvider, RefreshableCredentials
from botocore.exceptions import PartialCredentialsError

from signed_import.credentials import (
    NoCredentialsError,
    StaticCredentials,
    expiry,
    load_credentials,
    static_from_environment,
)

from .helpers import FUNCTION_ENV

LAMBDA_SRC = Path(__file__).resolve().parents[2] / "lambda_src"
KEYS = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"}


@pytest.mark.parametrize(
    "environ",
    [
        pytest.param(KEYS, id="keys"),
        pytest.param({**KEYS, "AWS_SESSION_TOKEN": "session"}, id="session-token"),
        pytest.param({**KEYS, "AWS_SECURITY_TOKEN": "security"}, id="security-token"),
        pytest.param(
            {**KEYS, "AWS_SECURITY_TOKEN": "security", "AWS_SESSION_TOKEN": "session"},
            id="both-tokens",
        ),
        pytest.param({**KEYS, "AWS_SESSION_TOKEN": ""}, id="empty-token"),
    ],
)
def test_static_keys_are_what_botocore_reads_from_the_environment(
    environ: dict[str, str],
) -> None:
    ours = static_from_environment(environ)
    botocores = EnvProvider(environ=environ).load()

    assert ours is not None
    assert botocores is not None
    theirs = botocores.get_frozen_credentials()
    frozen = ours.get_frozen_credentials()
    assert (frozen.access_key, frozen.secret_key, frozen.token) == (
        theirs.access_key,
        theirs.secret_key,
        theirs.token,
    )
    assert expiry(ours) is None


@pytest.mark.parametrize(
    "environ",
    [
        pytest.param({}, id="nothing"),
        pytest.param({"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE"}, id="no-secret"),
        pytest.param({"AWS_SECRET_ACCESS_KEY": "secret"}, id="no-access-key"),
        pytest.param({**KEYS, "AWS_CREDENTIAL_EXPIRATION": "2030-01-01T00:00:00Z"}, id="expiry"),
    ],
)
def test_anything_but_static_keys_is_left_to_botocore(environ: dict[str, str]) -> None:
    assert static_from_environment(environ) is None


def test_keys_with_an_expiry_are_botocores_refreshable_credentials() -> None:
    environ = {**KEYS, "AWS_CREDENTIAL_EXPIRATION": "2030-01-01T00:00:00Z"}

    credentials = load_credentials(environ)

    assert isinstance(credentials, RefreshableCredentials)
    assert expiry(credentials) == 1893456000.0  # 2030-01-01T00:00:00Z


def test_a_partial_set_fails_as_botocore_fails() -> None:
    with pytest.raises(PartialCredentialsError):
        load_credentials({"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE"})


def test_no_keys_and_no_container_endpoint_is_no_credentials() -> None:
    with pytest.raises(NoCredentialsError):
        load_credentials({})


def test_static_keys_are_used_as_they_are() -> None:
    credentials = load_credentials({**KEYS, "AWS_SESSION_TOKEN": "session"})

    assert isinstance(credentials, StaticCredentials)
    assert credentials.token == "session"


_COLD_SINGLE_PUT = """
import json, sys
sys.modules["awscrt"] = None
from signed_import.handler import handler
answer = handler({"resource": "/import", "path": "/import", "httpMethod": "POST",
                  "headers": {"Content-Type": "application/json"},
                  "body": json.dumps({"size": 5, "content_type": "text/csv"}),
                  "isBase64Encoded": False}, None)
print(json.dumps({"status": answer["statusCode"], "modules": sorted(sys.modules)}))
"""


def test_a_cold_single_put_imports_neither_the_credential_chain_nor_a_client(
    tmp_path: Path,
) -> None:
    """The cold-start budget: with keys in the environment, a single PUT is signed without
    botocore's credential providers (and the HTTP stack they bring) and without boto3."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "AWS_REGION": "eu-west-1",
        **KEYS,
        **FUNCTION_ENV,
    }
    done = subprocess.run(
        [sys.executable, "-c", _COLD_SINGLE_PUT],
        env=env,
        cwd=LAMBDA_SRC,  # `python -c` imports from its working directory first
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    result = json.loads(done.stdout)

    assert result["status"] == 201
    loaded = set(result["modules"])
    assert "signed_import.handler" in loaded
    assert not loaded & {"boto3", "botocore.credentials", "botocore.client", "urllib3"}
