"""Fixtures of the move tests: one ``sim serve`` process per test session (API only, no
controllers: ``tests.support.sim.running_sim`` with ``support.SIM_ARGS``) and a pair of
fresh virtual clusters with CAPI installed per test."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from eksa_temporal.kube.move import RequestStats, api_for
from tests.move import support
from tests.support.sim import SimServer, running_sim

_names = itertools.count()


@pytest.fixture(scope="session")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimServer]:
    with running_sim(tmp_path_factory.mktemp("sim"), support.SIM_ARGS) as server:
        yield server


@pytest.fixture
def pair(sim: SimServer) -> support.Pair:
    """Two fresh virtual clusters, CAPI installed in both."""
    n = next(_names)
    ka, kb = str(sim.kubeconfig(f"src{n}")), str(sim.kubeconfig(f"dst{n}"))
    src, dst = api_for(ka, RequestStats()), api_for(kb, RequestStats())
    support.install_capi(src)
    support.install_capi(dst)
    return support.Pair(sim, ka, kb, src, dst)

