"""Fixtures of the end-to-end tests: a real Temporal dev server (session-wide), a real sim
process per test (``tests.support.sim``, fast boot times), and a lifecycle client whose
fresh task queue a worker with the REAL activities polls (in-process on a thread pool, or
as a ``python worker.py`` subprocess for the crash tests)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from eksa_temporal.client import LifecycleClient
from eksa_temporal.worker import build_worker, default_activities
from tests.support.sim import SimServer, running_sim

from .cancel import Gate

SIM_ARGS = ("--boot-seconds", "0.2", "--seed", "7")


@dataclass
class Stack:
    """What an end-to-end test drives: the lifecycle client, the sim, the output root."""

    lc: LifecycleClient
    sim: SimServer
    root: Path  # state dir: the sim lives in root/sim, cluster folders in root/out
    client: Client
    gate: Gate  # holds a chosen step at its start (the cancel matrix)

    def workdir(self, name: str) -> str:
        return str(self.root / "out" / name)


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimServer]:
    with running_sim(tmp_path / "sim", SIM_ARGS) as server:
        yield server


@pytest.fixture
async def stack(temporal_env: WorkflowEnvironment, sim: SimServer, tmp_path: Path) -> AsyncIterator[Stack]:
    queue = f"e2e-{uuid.uuid4()}"
    gate = Gate()
    with ThreadPoolExecutor(max_workers=16) as pool:
        worker = build_worker(
            temporal_env.client, task_queue=queue, activities=default_activities(sim.state_dir), executor=pool,
            max_concurrent_activities=16, interceptors=[gate],
        )
        async with worker:
            yield Stack(LifecycleClient(temporal_env.client, task_queue=queue), sim, tmp_path, temporal_env.client, gate)

