"""examples/local applied on a running moto_server and served by the local gateway.

Shared by `make demo` and the end-to-end tests: apply, load the deployed signer, serve the API,
and destroy on the way out whatever happened.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localdev import REPOSITORY
from localdev.deployed_lambda import load_deployed_handler
from localdev.emulator import LOOPBACK, MotoServer
from localdev.gateway import LocalGateway, StageThrottle, UsagePlans
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

    @property
    def method_settings(self) -> dict[str, Any]:
        """The stage's throttles, as GetStage names them (for a gateway of another process)."""
        return {
            path: {"throttlingRateLimit": limits.rate, "throttlingBurstLimit": limits.burst}
            for path, limits in self.gateway.stage_throttle.settings.items()
        }


@dataclass(frozen=True)
class Deployment:
    """examples/local applied on moto_server: the emulator, Terraform's handle on it, its
    outputs. Not yet served: each test module serves it itself (`served`)."""

    moto: MotoServer
    terraform: Terraform
    outputs: dict[str, Any]

    def to_json(self) -> str:
        return json.dumps(
            {
                "moto": self.moto.endpoint,
                "state_dir": str(self.terraform.state.parent),
                "variables": self.terraform.variables,
                "outputs": self.outputs,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Deployment:
        described = json.loads(text)
        terraform = Terraform(EXAMPLE, Path(described["state_dir"]), described["variables"])
        return cls(MotoServer.at(described["moto"]), terraform, described["outputs"])


@contextmanager
def served(deployment: Deployment) -> Iterator[MotoStack]:
    """The deployment's function behind a local gateway of this process. Loading the deployed
    handler applies its Lambda environment to this process: it is restored afterwards."""
    yield from _served(deployment.moto, deployment.terraform, deployment.outputs)


def _served(moto: MotoServer, terraform: Terraform, outputs: dict[str, Any]) -> Iterator[MotoStack]:
    saved = dict(os.environ)
    try:
        with serving(moto, outputs) as (function, gateway):
            yield MotoStack(terraform, outputs, function, gateway)
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextmanager
def deployed(
    moto: MotoServer,
    state_dir: Path,
    variables: Mapping[str, str] | None = None,
    timed: Timer = _untimed,
) -> Iterator[MotoStack]:
    with applied(moto, state_dir, variables, timed) as terraform:
        yield from _served(moto, terraform, terraform.outputs())


@contextmanager
def applied(
    moto: MotoServer,
    state_dir: Path,
    variables: Mapping[str, str] | None = None,
    timed: Timer = _untimed,
) -> Iterator[Terraform]:
    """examples/local applied on moto, with `variables`; destroyed on the way out whatever
    happened."""
    terraform = Terraform(
        EXAMPLE,
        state_dir,
        {"endpoint": moto.endpoint, **(variables or {})},
        refresh_before_destroy=False,
    )
    with timed("terraform init"):
        terraform.init()
    try:
        with timed("terraform apply examples/local"):
            terraform.apply()
        yield terraform
    finally:
        if terraform.state.exists():  # an apply interrupted before it saved anything left nothing
            with timed("terraform destroy"):
                terraform.destroy()


def leftovers(moto: MotoServer) -> list[str]:
    """What the module creates that is still in the emulator: nothing, once a stack is gone."""
    found = [f"bucket {b['Name']}" for b in moto.client("s3").list_buckets()["Buckets"]]
    found += [
        f"function {f['FunctionName']}" for f in moto.client("lambda").list_functions()["Functions"]
    ]
    found += [
        f"REST API {a['name']} ({a['id']})"
        for a in moto.client("apigateway").get_rest_apis()["items"]
    ]
    found += [f"role {r['RoleName']}" for r in moto.client("iam").list_roles()["Roles"]]
    found += [
        f"log group {g['logGroupName']}"
        for g in moto.client("logs").describe_log_groups()["logGroups"]
    ]
    return found


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
        usage_plans=UsagePlans.from_apigateway(
            moto.client("apigateway"), outputs["rest_api_id"], outputs["stage_name"]
        ),
        stage_throttle=StageThrottle.from_stage(stage),
    ) as gateway:
        gateway.serve(LOOPBACK, 0)
        yield configuration, gateway
