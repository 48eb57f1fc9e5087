"""The README's inputs and outputs tables match variables.tf and outputs.tf."""

from __future__ import annotations

import re

import render_docs


def test_readme_tables_are_current() -> None:
    readme = (render_docs.ROOT / "README.md").read_text()
    assert render_docs.render(readme) == readme, "README tables are stale: run `make docs`"


def test_every_variable_and_output_is_documented() -> None:
    readme = (render_docs.ROOT / "README.md").read_text()
    for tf_file, kind in (("variables.tf", "variable"), ("outputs.tf", "output")):
        source = (render_docs.ROOT / tf_file).read_text()
        names = re.findall(rf'^{kind} "([a-z0-9_]+)"', source, re.M)
        assert names, f"no {kind} found in {tf_file}"
        for name in names:
            assert f"| `{name}` |" in readme, f"{kind} {name} is missing from the README"


def test_render_rewrites_a_stale_table() -> None:
    readme = (render_docs.ROOT / "README.md").read_text()
    stale = readme.replace("| `key_prefix` |", "| `old_prefix` |", 1)
    assert stale != readme
    assert render_docs.render(stale) == readme
