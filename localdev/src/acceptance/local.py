"""examples/complete on moto_server behind the local gateway: the acceptance checks' local
target, so that `make test` runs the code `make test-aws` runs.

The example is applied unchanged but for an override file (Terraform merges `*_override.tf`
files into the configuration): its provider points every service at moto, and the two bucket
policy statements moto would misread are off. Its module source is made absolute, in a copy
under the caller's scratch folder.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Collection, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from acceptance.checks import empty_bucket
from acceptance.guardduty import GuardDutyStandIn
from acceptance.target import EXAMPLE, ROOT
from localdev.emulator import MotoServer
from localdev.gateway import LocalGateway
from localdev.stack import serving
from localdev.terraform import Terraform

# Every service examples/complete uses.
SERVICES = (
    "apigateway", "cognitoidp", "events", "iam", "kms", "lambda", "logs", "s3", "sqs", "sts",
)  # fmt: skip
REGION = "us-east-1"  # moto's account lives there; examples/complete takes it as var.region


def _override(endpoint: str) -> str:
    endpoints = "\n".join(f'    {service} = "{endpoint}"' for service in SERVICES)
    return f"""provider "aws" {{
  region                      = "{REGION}"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true

  endpoints {{
{endpoints}
  }}
}}

# moto evaluates bucket policies but ignores their conditions, so the TLS-only, the
# conditional-writes and the scanned-reads-only Deny statements would refuse every object call
# (as in examples/local). moto runs no GuardDuty: the scan is an existing plan's, played by
# acceptance.guardduty's stand-in.
module "imports" {{
  attach_deny_insecure_transport_policy = false
  enforce_conditional_writes            = false
  malware_protection = {{
    plan                  = "EXISTING"
    role_arn              = "arn:aws:iam::123456789012:role/local-malware-scan"
    block_unscanned_reads = false
  }}
}}
"""


def local_copy(scratch: Path, endpoint: str) -> Path:
    """examples/complete in `scratch`, its module source the repository, its provider moto."""
    copy = scratch / "complete"
    copy.mkdir(parents=True)
    for source in EXAMPLE.glob("*.tf"):
        text = source.read_text().replace('source = "../.."', f'source = "{ROOT}"')
        (copy / source.name).write_text(text)
    (copy / "moto_override.tf").write_text(_override(endpoint))
    return copy


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class LocalTarget:
    name = "local"
    http2 = False
    verifies_authorization = False
    # No GuardDuty scans here (its stand-in tags), and no bucket policy condition is evaluated.
    scans_for_malware = False

    def __init__(self, moto: MotoServer, terraform: Terraform, signer_log: _Records) -> None:
        self._moto = moto
        self._terraform = terraform
        self._signer_log = signer_log
        self._outputs = terraform.outputs()
        self.gateway: LocalGateway | None = None

    @property
    def outputs(self) -> Mapping[str, Any]:
        return self._outputs

    @property
    def import_url(self) -> str:
        return f"{self._gateway().invoke_url}/import"

    def _gateway(self) -> LocalGateway:
        if self.gateway is None:
            raise RuntimeError("the local gateway is not serving yet")
        return self.gateway

    def client(self, service: str) -> Any:
        return self._moto.client(service)

    def reapply(self, variables: Mapping[str, object]) -> None:
        for name, value in variables.items():
            self._terraform.variables[name] = value if isinstance(value, str) else json.dumps(value)
        self._terraform.apply()
        self._outputs = self._terraform.outputs()

    def access_log(self, request_ids: Collection[str]) -> list[str]:
        return [line for line in self._gateway().access_log if any(i in line for i in request_ids)]

    def runtime_botocore(self) -> str | None:
        started = [r for r in self._signer_log.records if r.getMessage() == "signer started"]
        return str(vars(started[-1])["botocore"]) if started else None


def _destroy(terraform: Terraform) -> None:
    if terraform.state.exists():  # an apply interrupted before it saved anything left nothing
        terraform.destroy()


@contextmanager
def deployed(moto: MotoServer, scratch: Path) -> Iterator[LocalTarget]:
    """examples/complete applied on `moto` and served; emptied and destroyed on the way out."""
    # The managed policy examples/complete attaches to API Gateway's CloudWatch role.
    if not moto.loads_managed_policies:
        raise RuntimeError("examples/complete needs MotoServer(loads_managed_policies=True)")

    terraform = Terraform(
        local_copy(scratch, moto.endpoint),
        scratch / "state",
        {"region": REGION},
        refresh_before_destroy=False,  # moto, which nothing else touches
    )
    terraform.init()
    signer_log = _Records()
    logger = logging.getLogger("signed_import")
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, scratch / "state" / ".tf", ignore_errors=True)
        stack.callback(_destroy, terraform)
        terraform.apply()
        target = LocalTarget(moto, terraform, signer_log)
        stack.callback(empty_bucket, target)
        logger.addHandler(signer_log)
        stack.callback(logger.removeHandler, signer_log)
        stack.callback(logger.setLevel, logger.level)
        logger.setLevel(logging.INFO)  # the init line is INFO, as Lambda's log level lets it
        _, target.gateway = stack.enter_context(serving(moto, target.outputs))
        bucket = str(target.outputs["bucket_name"])
        stack.enter_context(GuardDutyStandIn(moto.client("s3"), bucket, prefix=""))
        yield target
