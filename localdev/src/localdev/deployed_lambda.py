"""Run the signer exactly as deployed: the zip Terraform uploaded, with the environment it set.

moto stores functions but cannot run them without Docker, so the handler is imported in-process
from the very zip whose SHA-256 matches the deployed function's CodeSha256.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import importlib.util
import os
import sys
import zipimport
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def code_sha256(zip_path: Path) -> str:
    """Lambda's CodeSha256: base64 of the zip's SHA-256 digest."""
    return base64.b64encode(hashlib.sha256(zip_path.read_bytes()).digest()).decode("ascii")


def load_deployed_handler(
    function: Mapping[str, Any], zip_path: Path, runtime_env: Mapping[str, str]
) -> Handler:
    """Import the handler named by `function` (a GetFunction Configuration) from `zip_path`.

    `runtime_env` stands in for what the Lambda runtime adds (region, credentials, endpoint).
    The process environment is updated: run one deployed function per process.
    """
    expected = function["CodeSha256"]
    actual = code_sha256(zip_path)
    if actual != expected:
        raise RuntimeError(f"{zip_path} (sha256 {actual}) is not the deployed code ({expected})")

    os.environ.update(function.get("Environment", {}).get("Variables", {}))
    os.environ.update(runtime_env)

    module_name, _, attribute = function["Handler"].rpartition(".")
    package = module_name.split(".")[0]
    for name in [n for n in sys.modules if n.split(".")[0] == package]:
        del sys.modules[name]
    # The package from the zip's root, as Lambda imports it from /var/task; its submodules then
    # come from the same zip (the package's __path__ points into it), whatever sys.path holds.
    spec = zipimport.zipimporter(str(zip_path)).find_spec(package)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"{zip_path} holds no package {package}")
    root = importlib.util.module_from_spec(spec)
    sys.modules[package] = root
    spec.loader.exec_module(root)
    module = importlib.import_module(module_name)
    if not str(module.__file__).startswith(str(zip_path)):
        raise RuntimeError(f"{module_name} was imported from {module.__file__}, not {zip_path}")
    handler: Handler = getattr(module, attribute)
    return handler
