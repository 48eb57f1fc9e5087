"""`make test-aws`'s checks, run on the local stack: examples/complete applied on moto_server
and served by the local gateway, the checks of localdev/src/acceptance as they run against AWS.

What the local stack cannot show (HTTP/2, a refused token) the checks skip here and say so;
the README's "Acceptance on AWS" lists them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from acceptance import aws, local
from acceptance.checks import CHECKS, run_all
from localdev.emulator import MotoServer


def test_the_acceptance_checks_pass_on_the_local_stack(tmp_path: Path) -> None:
    checks = tmp_path / "checks"
    checks.mkdir()
    with (
        MotoServer(loads_managed_policies=True) as moto,
        local.deployed(moto, tmp_path / "stack") as target,
    ):
        results = run_all(target, checks)

    assert [r.name for r in results] == [check.__name__ for check in CHECKS]
    failed = [f"{r.name}: {r.detail}" for r in results if not r.passed]
    assert not failed, "\n".join(failed)


def test_the_aws_run_needs_its_opt_in(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(aws.OPT_IN, raising=False)

    assert aws.main() == 2
    assert f"{aws.OPT_IN}=yes" in capsys.readouterr().err
