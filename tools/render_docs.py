"""Render the README's inputs and outputs tables from variables.tf and outputs.tf.

`python tools/render_docs.py` rewrites the tables in place; `--check` exits 1 when the README
is out of date (the test suite runs the same comparison).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import hcl2

ROOT = Path(__file__).resolve().parent.parent
MARKERS = {
    "INPUTS": "variables.tf",
    "OUTPUTS": "outputs.tf",
}


def _unquote(value: Any) -> Any:
    """python-hcl2 keeps string literals quoted and expressions as ${...}."""
    if isinstance(value, str):
        if value.startswith("${") and value.endswith("}"):
            return value[2:-1]
        if len(value) >= 2 and value[0] == value[-1] == '"':
            return json.loads(value)
    if isinstance(value, list):
        return [_unquote(item) for item in value]
    if isinstance(value, dict):
        return {_unquote(k): _unquote(v) for k, v in value.items() if k != "__is_block__"}
    return value


def _cell(text: str) -> str:
    return re.sub(r"\s+", " ", text).replace("|", "\\|").strip()


def _default(block: dict[str, Any]) -> str:
    if "default" not in block:
        return "required"
    value = _unquote(block["default"])
    return "`null`" if value is None else f"`{_cell(json.dumps(value))}`"


def inputs_table(path: Path) -> str:
    rows = ["| Name | Description | Type | Default |", "|---|---|---|---|"]
    for entry in hcl2.load(path.open())["variable"]:
        for name, block in entry.items():
            rows.append(
                f"| `{_unquote(name)}` | {_cell(_unquote(block['description']))} "
                f"| `{_cell(str(_unquote(block['type'])))}` | {_default(block)} |"
            )
    return "\n".join(rows)


def outputs_table(path: Path) -> str:
    rows = ["| Name | Description |", "|---|---|"]
    for entry in hcl2.load(path.open())["output"]:
        for name, block in entry.items():
            rows.append(f"| `{_unquote(name)}` | {_cell(_unquote(block['description']))} |")
    return "\n".join(rows)


def render(readme: str, root: Path = ROOT) -> str:
    tables = {
        "INPUTS": inputs_table(root / MARKERS["INPUTS"]),
        "OUTPUTS": outputs_table(root / MARKERS["OUTPUTS"]),
    }
    for marker, table in tables.items():
        pattern = re.compile(rf"(<!-- BEGIN {marker} -->\n)(?:.*?\n)?(<!-- END {marker} -->)", re.S)
        if not pattern.search(readme):
            raise ValueError(f"README has no {marker} markers")

        def replacement(match: re.Match[str], table: str = table) -> str:
            return match.group(1) + table + "\n" + match.group(2)

        readme = pattern.sub(replacement, readme)
    return readme


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the README is stale")
    args = parser.parse_args()
    readme_path = ROOT / "README.md"
    current = readme_path.read_text()
    rendered = render(current)
    if args.check:
        if rendered != current:
            print("README.md tables are stale: run `make docs`", file=sys.stderr)
            return 1
        return 0
    readme_path.write_text(rendered)
    return 0


if __name__ == "__main__":
    sys.exit(main())
