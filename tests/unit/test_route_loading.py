"""Route modules load when first needed, or all at init for containers initialised ahead of
traffic (SnapStart, provisioned concurrency), and every route in the table resolves."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import FUNCTION_ENV, Signer

LAMBDA_SRC = Path(__file__).resolve().parents[2] / "lambda_src"
ROUTE_MODULES = {"signed_import.multipart", "signed_import.completion", "signed_import.status"}
LOADED_AFTER_INIT = """
import json, sys
import signed_import.handler
print(json.dumps(sorted(m for m in sys.modules if m.startswith("signed_import."))))
"""


def modules_after_init(initialization_type: str | None) -> set[str]:
    """The signer's modules a fresh interpreter has loaded once the handler is imported."""
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(LAMBDA_SRC), **FUNCTION_ENV}
    env.update(AWS_REGION="eu-west-1", BOTO_DISABLE_CRT="true")
    if initialization_type is not None:
        env["AWS_LAMBDA_INITIALIZATION_TYPE"] = initialization_type
    result = subprocess.run(
        [sys.executable, "-c", LOADED_AFTER_INIT],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return set(json.loads(result.stdout))


@pytest.mark.parametrize("initialization_type", [None, "on-demand"])
def test_an_on_demand_container_loads_no_route_module_at_init(
    initialization_type: str | None,
) -> None:
    loaded = modules_after_init(initialization_type)

    assert "signed_import.presign" in loaded
    assert loaded.isdisjoint(ROUTE_MODULES | {"signed_import.create"})


@pytest.mark.parametrize("initialization_type", ["snap-start", "provisioned-concurrency"])
def test_a_container_initialised_ahead_of_traffic_loads_every_route(
    initialization_type: str,
) -> None:
    loaded = modules_after_init(initialization_type)

    assert ROUTE_MODULES | {"signed_import.create"} <= loaded


def test_every_route_resolves_to_its_function(signer: Signer) -> None:
    module = signer.module
    for (resource, method), (module_name, function) in module.ROUTES.items():
        route = module._route({"resource": resource, "httpMethod": method})
        assert route.__module__ == f"signed_import.{module_name}"
        assert route.__name__ == function
        assert callable(route)
