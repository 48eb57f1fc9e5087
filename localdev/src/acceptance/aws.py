"""examples/complete in a sandbox AWS account: the acceptance checks' real target.

`make test-aws` runs it, only with SIGNED_IMPORT_AWS_ACCEPTANCE=yes and credentials for the
account (the usual AWS chain; the region from AWS_REGION, else eu-west-1). It applies
examples/complete, runs every check, then empties the bucket and destroys everything, also when
a check or the apply failed. The report goes to build/acceptance/aws-report.md.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime
from typing import Any, cast

import boto3

from acceptance.checks import Result, empty_bucket, run_all
from acceptance.target import EXAMPLE, ROOT
from localdev.terraform import Terraform

OPT_IN = "SIGNED_IMPORT_AWS_ACCEPTANCE"
DEFAULT_REGION = "eu-west-1"
LOG_WAIT_SECONDS = 180  # CloudWatch Logs delivers within seconds to a few minutes


class AwsTarget:
    name = "aws"
    http2 = True
    verifies_authorization = True
    scans_for_malware = True

    def __init__(self, terraform: Terraform, region: str) -> None:
        self._terraform = terraform
        self._session = boto3.Session(region_name=region)
        self._outputs = terraform.outputs()
        self._started_ms = int(time.time() * 1000) - 60_000

    @property
    def outputs(self) -> Mapping[str, Any]:
        return self._outputs

    @property
    def import_url(self) -> str:
        return str(self._outputs["import_url"])

    def client(self, service: str) -> Any:
        return cast(Any, self._session).client(service)

    def reapply(self, variables: Mapping[str, object]) -> None:
        for name, value in variables.items():
            self._terraform.variables[name] = value if isinstance(value, str) else json.dumps(value)
        self._terraform.apply()
        self._outputs = self._terraform.outputs()

    def _messages(self, group: str, pattern: str = "") -> list[str]:
        logs = self.client("logs")
        pages = logs.get_paginator("filter_log_events").paginate(
            logGroupName=group, startTime=self._started_ms, filterPattern=pattern
        )
        return [event["message"] for page in pages for event in page.get("events", [])]

    def access_log(self, request_ids: Collection[str]) -> list[str]:
        group = str(self._outputs["access_log_group_name"])
        deadline = time.monotonic() + LOG_WAIT_SECONDS
        while True:
            lines = [m for m in self._messages(group) if any(i in m for i in request_ids)]
            found = {i for i in request_ids if any(i in line for line in lines)}
            if len(found) == len(request_ids) or time.monotonic() > deadline:
                return lines
            time.sleep(10)

    def runtime_botocore(self) -> str | None:
        group = str(self._outputs["lambda_log_group_name"])
        deadline = time.monotonic() + LOG_WAIT_SECONDS
        while time.monotonic() < deadline:
            for message in self._messages(group, '"signer started"'):
                try:
                    return str(json.loads(message)["botocore"])
                except (ValueError, KeyError):
                    continue
            time.sleep(10)
        return None


def report(results: list[Result], account: str, region: str) -> str:
    rows = "\n".join(
        f"| {r.name} | {'pass' if r.passed else '**FAIL**'} | {r.seconds:.0f} s | {r.detail} |"
        for r in results
    )
    return (
        f"# Acceptance on AWS\n\n- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n"
        f"- account {account}, region {region}\n\n"
        f"| check | result | time | detail |\n|---|---|--:|---|\n{rows}\n"
    )


def main() -> int:
    if os.environ.get(OPT_IN) != "yes":
        print(
            f"make test-aws creates and destroys examples/complete in the AWS account of your "
            f"credentials (a Cognito pool, a KMS key, the API, the bucket...). Set {OPT_IN}=yes "
            "to run it, in a sandbox account.",
            file=sys.stderr,
        )
        return 2
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
    try:
        account = boto3.client("sts", region_name=region).get_caller_identity()["Account"]
    except Exception as err:  # any failure here means: no usable credentials
        print(f"no usable AWS credentials: {err}", file=sys.stderr)
        return 2
    scratch = ROOT / "build" / "acceptance" / f"aws-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    scratch.mkdir(parents=True)
    print(f"examples/complete in account {account}, {region}; state in {scratch}", file=sys.stderr)
    terraform = Terraform(EXAMPLE, scratch / "state", {"region": region})
    terraform.init()
    results: list[Result] = []
    cleaned = True
    try:
        terraform.apply()
        target = AwsTarget(terraform, region)
        try:
            results = run_all(target, scratch)
        finally:
            cleaned = _step("empty the bucket", lambda: empty_bucket(target))
    finally:
        # Whatever failed before, destroy; a failure here is reported, never hides the results.
        if terraform.state.exists():
            cleaned = _step("terraform destroy", terraform.destroy) and cleaned
            left = terraform.resources()
            if left:
                cleaned = False
                print(f"left in the state after destroy: {left}", file=sys.stderr)
        text = report(results, account, region)
        if not cleaned:
            text += "\n**Cleanup failed**: see the log; delete what is left by hand.\n"
        (ROOT / "build" / "acceptance" / "aws-report.md").write_text(text)
        print(text)
    return 0 if cleaned and results and all(r.passed for r in results) else 1


def _step(what: str, step: Callable[[], object]) -> bool:
    """Run a cleanup step; False (and the error on stderr) if it failed."""
    try:
        step()
    except Exception as err:  # reported; the run then fails
        print(f"{what} failed: {type(err).__name__}: {err}", file=sys.stderr)
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
