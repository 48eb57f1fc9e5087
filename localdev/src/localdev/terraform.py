"""Drive `terraform` for one working directory with its state kept outside the source tree."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DEFAULT_PLUGIN_DIR = Path(os.environ.get("TF_PLUGIN_DIR", "/opt/tf-plugins"))


def relaxed_gc(environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` for a Terraform command, with Go's garbage collector running a quarter as often
    unless GOGC is set: most of the CPU of an apply on an emulator is the AWS provider starting
    (four times a command, each start building the schemas of ~1,500 resource types), and
    GOGC=400 takes ~30% off an apply and destroy of examples/local on moto for ~100 MB more."""
    return {"GOGC": "400", **environ}


class TerraformError(RuntimeError):
    pass


class Terraform:
    def __init__(
        self,
        workdir: Path,
        state_dir: Path,
        variables: Mapping[str, str],
        plugin_dir: Path = DEFAULT_PLUGIN_DIR,
        *,
        refresh_before_destroy: bool = True,
    ) -> None:
        """`refresh_before_destroy=False`: the state is this runner's own and current (a stack
        on an emulator nothing else touches), so reading every resource back first only costs
        time."""
        self.workdir = workdir
        self._refresh_before_destroy = refresh_before_destroy
        self.state = state_dir / "terraform.tfstate"
        self.variables = dict(variables)
        self._plugin_dir = plugin_dir
        # Keep .terraform (providers, module copy) out of the example folder too.
        self._env = {
            **relaxed_gc(os.environ),
            "TF_IN_AUTOMATION": "1",
            "TF_DATA_DIR": str(state_dir / ".tf"),
        }

    def _run(self, *args: str) -> str:
        # Its own session: a terminal Ctrl-C reaches only us, and we forward exactly one SIGINT
        # (a second one makes terraform exit without writing its state).
        process = subprocess.Popen(
            ["terraform", f"-chdir={self.workdir}", *args],
            env=self._env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            stdout, stderr = process.communicate()
        except KeyboardInterrupt:
            process.send_signal(signal.SIGINT)  # graceful: terraform stops and saves state
            process.communicate(timeout=120)
            raise
        if process.returncode != 0:
            raise TerraformError(f"terraform {args[0]} failed:\n{stdout}\n{stderr}")
        return stdout

    def _var_args(self) -> list[str]:
        return [f"-var={name}={value}" for name, value in self.variables.items()]

    def init(self) -> None:
        mirror = self._plugin_dir / "registry.terraform.io"
        extra = [f"-plugin-dir={self._plugin_dir}"] if mirror.is_dir() else []
        self._run("init", "-input=false", "-no-color", *extra)

    def apply(self) -> None:
        self._run(
            "apply",
            "-input=false",
            "-no-color",
            "-auto-approve",
            f"-state={self.state}",
            *self._var_args(),
        )

    def destroy(self) -> None:
        self._run(
            "destroy",
            "-input=false",
            "-no-color",
            "-auto-approve",
            f"-refresh={str(self._refresh_before_destroy).lower()}",
            f"-state={self.state}",
            *self._var_args(),
        )

    def outputs(self) -> dict[str, Any]:
        raw = json.loads(self._run("output", "-no-color", "-json", f"-state={self.state}"))
        return {name: item["value"] for name, item in raw.items()}

    def resources(self) -> list[str]:
        """Addresses of every resource in the state (empty once destroyed)."""
        if not self.state.exists():
            return []
        out = self._run("state", "list", f"-state={self.state}")
        return [line for line in out.splitlines() if line]
