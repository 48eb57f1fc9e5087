"""pytest fixtures for tests on the local stack (registered by this package's entry point).

`local_deployment`: examples/local applied on moto_server, once for everything that runs under
`python -m localdev.shared_stacks` (every pytest worker and run of `make test`), else once for
the session. Tests share it, so each keeps to its own callers and key prefixes and never
changes the stack; a test that must change one applies its own (localdev.stack.deployed).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from localdev.stack import Deployment


@pytest.fixture(scope="session")
def local_deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """The shared examples/local stack."""
    from localdev import shared_stacks  # noqa: PLC0415 (only for the tests that use it)

    shared = os.environ.get(shared_stacks.ENVIRONMENT)
    if shared:
        yield shared_stacks.wait_for("local", Path(shared))
    else:
        state_dir = tmp_path_factory.mktemp("local-stack")
        with shared_stacks.own_deployment("local", state_dir) as deployment:
            yield deployment
