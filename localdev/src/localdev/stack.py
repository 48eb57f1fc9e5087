"""examples/local applied on a running moto_server and served by the local gateway.

Shared by `make demo` and the end-to-end tests: apply, load the deployed signer, serve the API,
and destroy on the way out whatever happened.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localdev import REPOSITORY
from localdev.deployed_lambda import load_deployed_handler
from localdev.emulator import LOOPBACK, MotoServer
from localdev.gateway import LocalGateway
from localdev.terraform import Terraform

ROOT = REPOSITORY
EXAMPLE = ROOT / "examples" / "local"
PACKAGE = ROOT / "dist" / "signer.zip"

Timer = Callable[[str], AbstractContextManager[Any]]


def _untimed(text: str) -> AbstractContextManager[None]:
    return nullcontext()


@dataclass(frozen=True)
class MotoStack:
    """examples/local applied on moto_server, its function behind the local gateway."""

    terraform: Terraform
    outputs: dict[str, Any]
    function: dict[str, Any]  # the deployed function's configuration
    gateway: LocalGateway

    @property
    def import_url(self) -> str:
        return f"{self.gateway.invoke_url}/import"


@contextmanager
def deployed(
    moto: MotoServer,
    state_dir: Path,
    variables: Mapping[str, str] | None = None,
    timed: Timer = _untimed,
) -> Iterator[MotoStack]:
    terraform = Terraform(EXAMPLE, state_dir, {"endpoint": moto.endpoint, **(variables or {})})
    with timed("terraform init"):
        terraform.init()
    try:
        with timed("terraform apply examples/local"):
            terraform.apply()
        with serving(moto, terraform.outputs()) as (function, gateway):
            yield MotoStack(terraform, terraform.outputs(), function, gateway)
    finally:
        if terraform.state.exists():  # an apply interrupted before it saved anything left nothing
            with timed("terraform destroy"):
                terraform.destroy()


@contextmanager
def serving(
    moto: MotoServer, outputs: Mapping[str, Any]
) -> Iterator[tuple[dict[str, Any], LocalGateway]]:
    """The stack a configuration applied on moto: its function (configuration, and the handler
    loaded from the deployed zip) behind the local gateway, serving the stage's OpenAPI
    document and writing its access log format. Needs the outputs rest_api_id, stage_name,
    lambda_function_name and openapi_document."""
    function = moto.client("lambda").get_function(FunctionName=outputs["lambda_function_name"])
    configuration = dict(function["Configuration"])
    handler = load_deployed_handler(configuration, PACKAGE, moto.client_env())
    document = json.loads(outputs["openapi_document"])
    stage = moto.client("apigateway").get_stage(
        restApiId=outputs["rest_api_id"], stageName=outputs["stage_name"]
    )
    with LocalGateway(
        document,
        outputs["stage_name"],
        handler,
        function_name=configuration["FunctionName"],
        function_timeout_ms=int(configuration["Timeout"]) * 1000,
        access_log_format=stage.get("accessLogSettings", {}).get("format"),
    ) as gateway:
        gateway.serve(LOOPBACK, 0)
        yield configuration, gateway
