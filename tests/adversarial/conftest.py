"""The module as the adversarial suite meets it: the shared examples/local stack on moto_server
(localdev's pytest plugin), the signer loaded from the deployed zip, and the API served on
loopback by the local gateway from the `openapi_document` output itself.

Two gateways serve the same document in front of the same function:

- `api`: as the document declares it (routes, request validators, gateway responses), like the
  deployed stage;
- `lambda_only`: the same routes with every request validator removed, so that each request the
  validator refuses can also be sent to the function itself. API Gateway's validator is not the
  local one (another JSON parser, another JSON-schema implementation): a request it let through
  must still be refused by the function.

Every call of the function is counted, so a test can tell which layer answered.
"""

from __future__ import annotations

import copy
import json
import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from localdev.deployed_lambda import Handler, load_deployed_handler
from localdev.emulator import LOOPBACK, MotoServer
from localdev.gateway import LocalGateway
from localdev.stack import Deployment as SharedDeployment

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "dist" / "signer.zip"
REPORTS = ROOT / "build" / "adversarial"
VALIDATOR_KEYS = ("x-amazon-apigateway-request-validator", "x-amazon-apigateway-request-validators")


# What the signer's S3 client calls that writes: everything but reads.
READS = ("Get", "Head", "List")


@dataclass
class CountingHandler:
    """The deployed handler, counting its invocations (the gateway calls it from many threads)
    and the S3 API calls it makes that write (its module's S3 client tells, through botocore's
    before-call event: exact even while other suites write to the same bucket)."""

    handler: Handler
    calls: int = 0
    s3_writes: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        s3 = sys.modules[self.handler.__module__].S3
        s3.meta.events.register("before-call.s3", self._s3_call)

    def _s3_call(self, model: Any, **_: Any) -> None:
        if not model.name.startswith(READS):
            with self._lock:
                self.s3_writes.append(model.name)

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        with self._lock:
            self.calls += 1
        return self.handler(event, context)


@dataclass(frozen=True)
class Deployment:
    moto: MotoServer
    outputs: dict[str, Any]
    document: dict[str, Any]  # the openapi_document output, parsed
    function: CountingHandler
    api: LocalGateway
    lambda_only: LocalGateway

    @property
    def bucket(self) -> str:
        return str(self.outputs["bucket_name"])

    def s3(self) -> Any:
        return self.moto.client("s3")


def without_validators(document: dict[str, Any]) -> dict[str, Any]:
    """The document with no request validator anywhere: every request reaches the function."""
    stripped = copy.deepcopy(document)
    for key in VALIDATOR_KEYS:
        stripped.pop(key, None)
    for item in stripped["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict):
                for key in VALIDATOR_KEYS:
                    operation.pop(key, None)
    return stripped


@pytest.fixture(scope="session")
def deployment(local_deployment: SharedDeployment) -> Iterator[Deployment]:
    saved = dict(os.environ)  # loading the deployed handler applies its Lambda environment
    moto, outputs = local_deployment.moto, local_deployment.outputs
    name = outputs["lambda_function_name"]
    configuration = moto.client("lambda").get_function(FunctionName=name)
    try:
        handler = load_deployed_handler(configuration["Configuration"], PACKAGE, moto.client_env())
        function = CountingHandler(handler)
        document = json.loads(outputs["openapi_document"])
        stage = outputs["stage_name"]
        with (
            LocalGateway(document, stage, function, function_name=name) as api,
            LocalGateway(without_validators(document), stage, function) as lambda_only,
        ):
            api.serve(LOOPBACK, 0)
            lambda_only.serve(LOOPBACK, 0)
            yield Deployment(moto, outputs, document, function, api, lambda_only)
    finally:
        os.environ.clear()
        os.environ.update(saved)
