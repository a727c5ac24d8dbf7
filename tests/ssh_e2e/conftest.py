"""Fixtures of the SSH hosts end-to-end tests: real ``sshd`` test hosts
(``tests.support.sshd``), a ``sim serve`` process per test playing the bootstrap cluster
(through the ``kind`` stand-in) and what the hosts run (the workload API server, the
kubelets' Nodes), the upstream Cluster API components installed as published, and worker
subprocesses (``tests.e2e.crash.WorkerRelay``: each can be ``kill -9``ed and replaced)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from eksa_temporal.providers.capi.source import SOURCE_ENV
from eksa_temporal.providers.registry import load_spec_plugins
from tests.e2e.crash import WorkerRelay
from tests.support.sim import SimServer, running_sim
from tests.support.sshd import ssh_hosts
from tests.support.standins import STANDINS_BIN, Standins

SIM_ARGS = ("--boot-seconds", "0.2", "--seed", "7")

__all__ = ["ssh_hosts"]


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimServer]:
    with running_sim(tmp_path / "sim", SIM_ARGS) as server:
        yield server


@pytest.fixture
def standins(sim: SimServer, tmp_path: Path, upstream_components: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Standins]:
    """The ``kind`` stand-in on PATH playing on this test's sim, and the upstream
    components as the component source (inherited by the worker subprocesses)."""
    result = Standins(STANDINS_BIN, tmp_path / "standin-calls.jsonl", sim)
    for key, value in result.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv(SOURCE_ENV, str(upstream_components))
    load_spec_plugins()
    yield result


@pytest.fixture
def relay(temporal_env: WorkflowEnvironment, standins: Standins, tmp_path: Path) -> Iterator[WorkerRelay]:
    """Worker subprocesses on a fresh task queue (the current one and a standby)."""
    workers = WorkerRelay(tmp_path, temporal_env.client.service_client.config.target_host, f"ssh-{uuid.uuid4()}")
    workers.start()
    try:
        yield workers
    finally:
        workers.stop()
