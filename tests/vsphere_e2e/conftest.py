"""Fixtures of the vSphere end-to-end tests, on top of the shared ``inventory`` (vcsim with
the specs' inventory), ``temporal_env`` (the session-wide Temporal dev server) and
``upstream_components`` (the upstream Cluster API components as a clusterctl local
repository) of ``tests.support.fixtures``: a ``sim serve`` process per test
(``tests.support.sim``), the ``kind`` and ``docker`` stand-ins (``tests/standins``) playing
on it as the bootstrap cluster's tools, and ``start_worker``: a real ``eksa-temporal
worker`` subprocess on a fresh task queue whose environment - and only its - holds the
vSphere credentials. The upstream CAPV manifests are installed as they are; the sim plays
their controller. Every process is started in its own process group and stopped by its PID."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from eksa_temporal import config
from eksa_temporal.devserver import Child, spawn
from eksa_temporal.providers.capi.source import SOURCE_ENV
from eksa_temporal.providers.vsphere.credentials import PASSWORD_ENV, USERNAME_ENV
from tests.support.paths import EKSA
from tests.support.sim import SimServer, running_sim
from tests.support.standins import STANDINS_BIN, Standins

SIM_ARGS = ("--boot-seconds", "0.2", "--seed", "7")
WORKER_READY_SECONDS = 30.0


@dataclass
class Worker:
    child: Child
    log: Path
    task_queue: str


@dataclass
class Env:
    """The processes of one test: the sim, the Temporal address, the state root, the
    stand-ins playing on the sim and the component repository."""

    root: Path
    sim: SimServer
    address: str
    standins: Standins
    components: Path

    def env(self, task_queue: str, **extra: str) -> dict[str, str]:
        """An environment for eksa-temporal processes, without any vSphere credentials:
        ``kind`` and ``docker`` are the stand-ins, the components come from the upstream
        repository."""
        base = {k: v for k, v in os.environ.items() if k not in (USERNAME_ENV, PASSWORD_ENV)}
        return base | self.standins.env() | {
            "TEMPORAL_ADDRESS": self.address,
            config.STATE_DIR_ENV: str(self.root),
            config.TASK_QUEUE_ENV: task_queue,
            SOURCE_ENV: str(self.components),
        } | extra


@pytest.fixture
def e2e(temporal_env: WorkflowEnvironment, tmp_path: Path, upstream_components: Path) -> Iterator[Env]:
    root = tmp_path / "state"
    with running_sim(config.sim_state_dir(root), SIM_ARGS) as sim:
        standins = Standins(STANDINS_BIN, tmp_path / "standin-calls.jsonl", sim)
        yield Env(root, sim, temporal_env.client.service_client.config.target_host, standins, upstream_components)


@pytest.fixture
def start_worker(e2e: Env) -> Iterator[Callable[[str, str], Worker]]:
    """``start_worker(username, password)``: a worker subprocess (debug logging) polling a
    fresh task queue, with the credentials in its environment only."""
    started: list[Worker] = []

    def start(username: str, password: str) -> Worker:
        queue = f"vsphere-e2e-{uuid.uuid4()}"
        log = e2e.root / f"worker-{len(started)}.log"
        env = e2e.env(queue, **{USERNAME_ENV: username, PASSWORD_ENV: password})
        child = spawn("worker", [str(EKSA), "-v", "worker"], log_path=log, env=env)
        worker = Worker(child, log, queue)
        started.append(worker)
        deadline = time.monotonic() + WORKER_READY_SECONDS
        while "worker polling" not in (log.read_text(errors="replace") if log.exists() else ""):
            assert child.alive(), f"worker exited: {log.read_text(errors='replace')[-2000:]}"
            assert time.monotonic() < deadline, "worker did not start polling in time"
            time.sleep(0.1)
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.child.stop(grace=10)
