"""Durability against the simulated infrastructure with the real activities: the worker is
``kill -9``ed before, during and after every step of a management create (one run, a
fresh standby worker taking over each time) and the Temporal server itself is killed and
restarted on its database mid-create - each time the operation completes, with exactly the
machines it asked for (none duplicated, none leaked) and no secret in any worker log."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from activities import steps as s
from eksa_temporal.client import LifecycleClient
from eksa_temporal.devserver import TemporalDevServer, free_port
from tests.support.sim import SimServer
from worker import build_worker, default_activities
from workflows.create import MANAGEMENT_PLAN
from workflows.models import CreateClusterInput, CreateClusterResult, Timeouts

from .crash import WorkerRelay, step_events
from .secrets import assert_no_secret, secrets_of
from .test_lifecycle_e2e import kubectl_nodes, live_machines, spec

pytestmark = pytest.mark.anyio
CRASH = Timeouts(step_seconds=8, long_step_seconds=90, heartbeat_seconds=3, initial_retry_seconds=0.2, max_retry_seconds=1, max_attempts=10)
PHASES = ("scheduled", "running", "completed")


async def test_create_completes_when_the_worker_is_killed_at_every_step(
    temporal_env: WorkflowEnvironment, sim: SimServer, tmp_path: Path
) -> None:
    queue = f"crash-{uuid.uuid4()}"
    relay = WorkerRelay(tmp_path, temporal_env.client.service_client.config.target_host, queue)
    relay.start()
    try:
        lc = LifecycleClient(temporal_env.client, queue, task_timeout=timedelta(seconds=2))
        workdir = tmp_path / "out" / "crash"
        ref = await lc.start_create(CreateClusterInput(spec_yaml=spec("crash"), workdir=str(workdir), timeouts=CRASH))
        handle = temporal_env.client.get_workflow_handle(ref.workflow_id, run_id=ref.run_id)
        targets = [(step, phase) for step in MANAGEMENT_PLAN for phase in PHASES]
        hits: list[tuple[str, str]] = []
        missed: list[tuple[str, str]] = []
        deadline = time.monotonic() + 240
        while targets and time.monotonic() < deadline:
            seen = await step_events(handle)
            step, phase = targets[0]
            if step in seen[phase]:
                relay.crash()
                hits.append(targets.pop(0))
            elif phase == "running" and step in seen["completed"]:
                missed.append(targets.pop(0))  # too quick to catch while running
            await asyncio.sleep(0.05)
        result = await asyncio.wait_for(lc.wait(ref.workflow_id), timeout=max(deadline - time.monotonic(), 30))
    finally:
        relay.stop()
    assert isinstance(result, CreateClusterResult)
    assert targets == []
    assert {(st, ph) for st, ph in hits if ph != "running"} == {(st, ph) for st in MANAGEMENT_PLAN for ph in ("scheduled", "completed")}
    running_hits = [st for st, ph in hits if ph == "running"]
    assert s.WORKLOAD_CLUSTER_INIT in running_hits and len(running_hits) >= 4, f"killed while running: {running_hits}, missed {missed}"
    print(f"\nkill -9 of the worker: {relay.kills} times; while running: {running_hits}; missed: {[m[0] for m in missed]}")
    # exactly the machines the spec asks for, each provisioned once; nothing else alive
    ever = [m for m in sim.client.machines() if m["cluster"] == "crash"]
    assert len(live_machines(sim, "crash")) == 2
    assert len(ever) == 2, f"machines provisioned more than once: {ever}"
    assert live_machines(sim) == live_machines(sim, "crash")
    assert len(kubectl_nodes(result.kubeconfig_path or "")) == 2
    secrets = secrets_of(sim.state_dir, workdir)
    for log in relay.logs:
        if log.exists():
            assert_no_secret(log.read_text(errors="replace"), secrets, where=log.name)


async def test_create_completes_when_the_temporal_server_is_killed_and_restarted(sim: SimServer, tmp_path: Path) -> None:
    server = TemporalDevServer(tmp_path / "temporal", port=free_port(), ui_port=None)
    server.start()
    try:
        client = await Client.connect(server.address, data_converter=pydantic_data_converter)
        queue = f"srvcrash-{uuid.uuid4()}"
        async with build_worker(client, task_queue=queue, activities=default_activities(sim.state_dir)):
            lc = LifecycleClient(client, queue)
            ref = await lc.start_create(CreateClusterInput(spec_yaml=spec("srv"), workdir=str(tmp_path / "out" / "srv"), timeouts=CRASH))
            handle = client.get_workflow_handle(ref.workflow_id)
            for _ in range(400):
                if s.WORKLOAD_CLUSTER_INIT in (await step_events(handle))["running"]:
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("workload-cluster-init never ran")
            server.kill()
            await asyncio.sleep(1.0)
            server.start()
            result = await asyncio.wait_for(lc.wait(ref.workflow_id), timeout=120)
        assert isinstance(result, CreateClusterResult)
        assert len(live_machines(sim, "srv")) == 2
        assert len([m for m in sim.client.machines() if m["cluster"] == "srv"]) == 2
    finally:
        server.stop()

