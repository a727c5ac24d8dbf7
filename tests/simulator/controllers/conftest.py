"""Fixtures of the simulated-controller tests: ``sim_server`` (a fresh ``sim serve``
process per test, from tests/support/sim.py) and ``shared_sim`` (one process for the tests
of this folder that do not kill it; starting a process costs seconds)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.sim import SimServer, running_sim, sim_server

__all__ = ["sim_server"]


@pytest.fixture(scope="session")
def shared_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimServer]:
    with running_sim(tmp_path_factory.mktemp("shared-sim") / "state") as server:
        yield server
