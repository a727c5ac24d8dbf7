"""Fixtures of the move tests: one ``sim serve`` process per test session (API only, no
controllers) and a pair of fresh virtual clusters with CAPI installed per test."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from eksa_temporal.kube.move import MoveApi, RequestStats, api_for
from tests.move import support

_names = itertools.count()


@pytest.fixture(scope="session")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[support.Sim]:
    with support.sim_server(tmp_path_factory.mktemp("sim")) as server:
        yield server


@dataclass
class Pair:
    sim: support.Sim
    src_kubeconfig: str
    dst_kubeconfig: str
    src: MoveApi
    dst: MoveApi
    namespace: str = "eksa-system"


@pytest.fixture
def pair(sim: support.Sim) -> Pair:
    """Two fresh virtual clusters, CAPI installed in both."""
    n = next(_names)
    ka, kb = sim.kubeconfig(f"src{n}"), sim.kubeconfig(f"dst{n}")
    src, dst = api_for(ka, RequestStats()), api_for(kb, RequestStats())
    support.install_capi(src)
    support.install_capi(dst)
    return Pair(sim, ka, kb, src, dst)


def tmp_dir(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.mkdir()
    return path
