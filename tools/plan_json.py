"""Write the plan JSON of an example (`terraform show -json` of its plan) for checkov's
terraform_plan framework, planned against a local moto_server with fake credentials: no AWS
account, nothing leaves the machine.

Usage: plan_json.py EXAMPLE_DIR OUT_JSON [--apply-first ADDRESS ...] [--var NAME=VALUE ...]

--apply-first applies those resources before planning the rest, so that the plan carries their
attributes as known values, as a plan of an environment where they already exist would (e.g.
the KMS key whose ARN the module's log groups are encrypted with: unknown in a first plan,
checkov would read it as absent). --var sets an example's input variable, for the plan and
those applies (e.g. the optional custom domain of examples/complete).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from localdev.emulator import MotoServer
from localdev.terraform import DEFAULT_PLUGIN_DIR, relaxed_gc


def terraform(workdir: Path, env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        ["terraform", f"-chdir={workdir}", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"terraform {args[0]} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("example", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--apply-first", action="append", default=[], metavar="ADDRESS")
    parser.add_argument("--var", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="plan-json-") as scratch, MotoServer() as moto:
        env = {
            **relaxed_gc({k: v for k, v in os.environ.items() if not k.startswith("AWS_")}),
            # The provider sends every service to moto (the SDK's standard variables).
            "AWS_ENDPOINT_URL": moto.endpoint,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "TF_DATA_DIR": str(Path(scratch) / ".terraform"),
            "TF_IN_AUTOMATION": "1",
        }
        common = ["-input=false", "-no-color", "-lock=false", *(f"-var={v}" for v in args.var)]
        state = f"-state={Path(scratch) / 'terraform.tfstate'}"
        plugins = DEFAULT_PLUGIN_DIR / "registry.terraform.io"
        mirror = [f"-plugin-dir={DEFAULT_PLUGIN_DIR}"] if plugins.is_dir() else []
        terraform(args.example, env, "init", "-input=false", "-no-color", *mirror)
        if args.apply_first:
            targets = [f"-target={address}" for address in args.apply_first]
            terraform(args.example, env, "apply", *common, "-auto-approve", state, *targets)
        plan = Path(scratch) / "plan.tfplan"
        terraform(args.example, env, "plan", *common, state, f"-out={plan}")
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(terraform(args.example, env, "show", "-json", str(plan)))
    print(f"{args.out}: plan of {args.example} against moto_server")
    return 0


if __name__ == "__main__":
    sys.exit(main())
