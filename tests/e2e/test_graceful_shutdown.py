"""Graceful shutdown of a worker process with the real activities against the sim: SIGTERM
while a management create's ``workload-cluster-init`` runs. The worker stops polling (its
``/healthz`` turns 503 ``draining``), and leaves within its grace period; the step either
finishes on it (shorter than the grace period) or is handed over to the standby worker at
once, well before its heartbeat timeout (longer than the grace period). Either way the
create completes on the other worker with each machine provisioned once."""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import PendingActivityState
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from eksa_temporal.client import LifecycleClient
from eksa_temporal.workflows.models import CreateClusterInput, CreateClusterResult, Timeouts
from tests.support.sim import SimServer

from .test_lifecycle_e2e import live_machines, spec
from .workers import start_worker

pytestmark = pytest.mark.anyio
STEP = "workload-cluster-init"
# a heartbeat timeout far above the grace period: a hand-over that waited for it would show
TIMEOUTS = Timeouts(step_seconds=30, long_step_seconds=120, heartbeat_seconds=20, initial_retry_seconds=0.2, max_retry_seconds=1, max_attempts=5)


async def step_running(handle: WorkflowHandle[object, object], step: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        desc = await handle.describe()
        if any(pa.activity_type.name == step and pa.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED for pa in desc.raw_description.pending_activities):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{step} never ran")


async def attempts(client: Client, wf_id: str, step: str) -> list[tuple[int, str, float]]:
    """``(attempt, worker identity, started epoch)`` of each recorded start of ``step``."""
    names: dict[int, str] = {}
    rows = []
    async for ev in client.get_workflow_handle(wf_id).fetch_history_events():
        if ev.HasField("activity_task_scheduled_event_attributes"):
            names[ev.event_id] = ev.activity_task_scheduled_event_attributes.activity_type.name
        elif ev.HasField("activity_task_started_event_attributes"):
            a = ev.activity_task_started_event_attributes
            if names.get(a.scheduled_event_id) == step:
                rows.append((a.attempt, a.identity, ev.event_time.ToDatetime().timestamp()))
    return rows


async def identities(client: Client, wf_id: str) -> set[str]:
    """Identities of the workers that started any activity of the workflow."""
    found = set()
    async for ev in client.get_workflow_handle(wf_id).fetch_history_events():
        if ev.HasField("activity_task_started_event_attributes"):
            found.add(ev.activity_task_started_event_attributes.identity)
    return found


@pytest.mark.parametrize(
    ("boot_seconds", "grace", "handed_over"),
    [(2.5, 10.0, False), (8.0, 1.0, True)],
    ids=["step-finishes-within-the-grace-period", "step-longer-than-the-grace-period-is-handed-over"],
)
async def test_sigterm_during_a_long_step_exits_within_the_grace_period_and_the_create_completes_elsewhere(
    temporal_env: WorkflowEnvironment, sim: SimServer, tmp_path: Path, boot_seconds: float, grace: float, handed_over: bool
) -> None:
    client = temporal_env.client
    queue = f"sigterm-{uuid.uuid4()}"
    address = client.service_client.config.target_host
    first = start_worker(tmp_path, "worker-a", address, queue, grace)
    standby = start_worker(tmp_path, "worker-b", address, queue, grace)
    try:
        first.go.touch()
        first.wait_state((200, "polling"))
        sim.client.set_knobs(boot_seconds=boot_seconds)  # machines boot in the step to interrupt
        lc = LifecycleClient(client, queue, task_timeout=timedelta(seconds=2))
        ref = await lc.start_create(CreateClusterInput(spec_yaml=spec("gs"), workdir=str(tmp_path / "out" / "gs"), timeouts=TIMEOUTS))
        handle = client.get_workflow_handle(ref.workflow_id)
        await step_running(handle, STEP)
        standby.go.touch()
        standby.wait_state((200, "polling"))
        assert first.state() == (200, "polling")
        await asyncio.sleep(0.3)
        sent = time.time()
        os.kill(first.child.pid, signal.SIGTERM)
        first.wait_state((503, "draining"), seconds=5)
        first.child.proc.wait(grace + 6)
        exited = time.time() - sent
        assert first.child.proc.returncode == 0, (tmp_path / "worker-a.log").read_text()
        assert exited <= grace + 2.5, f"worker left {exited:.1f}s after SIGTERM (grace {grace}s)"
        result = await asyncio.wait_for(lc.wait(ref.workflow_id), timeout=120)
    finally:
        for proc in (first, standby):
            proc.child.stop(grace=15)
    assert isinstance(result, CreateClusterResult)
    runs = await attempts(client, ref.workflow_id, STEP)
    assert len(runs) == 1, runs  # the history records the last attempt's start
    attempt, identity, started = runs[0]
    print(f"\nworker left {exited:.2f}s after SIGTERM (grace {grace:g}s); {STEP} attempt {attempt} started {started - sent:.2f}s after it")
    a_id, b_id = f"{first.child.pid}@", f"{standby.child.pid}@"
    if handed_over:
        assert attempt == 2 and identity.startswith(b_id), runs
        # retried as soon as the worker cancelled it, not after the 20 s heartbeat timeout
        assert started - sent < grace + 4, f"retried {started - sent:.1f}s after SIGTERM"
    else:
        assert attempt == 1 and identity.startswith(a_id), runs
    # the steps after it ran on the other worker
    assert any(i.startswith(b_id) for i in await identities(client, ref.workflow_id))
    # each machine provisioned once, none leaked
    ever = [m for m in sim.client.machines() if m["cluster"] == "gs"]
    assert len(ever) == 2, f"machines provisioned more than once: {ever}"
    assert len(live_machines(sim, "gs")) == 2
