"""Two worker processes (sticky workflow cache on, as in production) share 20 workload
creates on one management cluster; one is ``kill -9``ed mid-way, while it runs steps of
creates that are still open, and is not replaced. Nothing is lost (every create completes on
the survivor) and nothing is duplicated (one workflow per cluster, each machine provisioned
once, none leaked)."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import PendingActivityState
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from eksa_temporal.client import LifecycleClient, OperationRef
from eksa_temporal.workflows.models import CreateClusterInput, CreateClusterResult, Timeouts
from tests.support.sim import SimServer

from .test_lifecycle_e2e import live_machines, spec
from .workers import start_worker

pytestmark = pytest.mark.anyio
CREATES = 20
# short steps on the killed worker come back after their start-to-close, long ones after
# their heartbeat timeout
SHARED = Timeouts(step_seconds=8, long_step_seconds=90, heartbeat_seconds=3, initial_retry_seconds=0.2, max_retry_seconds=1, max_attempts=10)


async def running_on(client: Client, refs: list[OperationRef], identity: str) -> int:
    """How many steps of the open creates ``refs`` run on the worker ``identity`` now."""
    count = 0
    for ref in refs:
        desc = await client.get_workflow_handle(ref.workflow_id).describe()
        for pa in desc.raw_description.pending_activities:
            if pa.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED and pa.last_worker_identity.startswith(identity):
                count += 1
    return count


async def test_two_workers_share_twenty_creates_and_a_kill_9_of_one_loses_and_duplicates_nothing(
    temporal_env: WorkflowEnvironment, sim: SimServer, tmp_path: Path
) -> None:
    client = temporal_env.client
    queue = f"shared-{uuid.uuid4()}"
    address = client.service_client.config.target_host
    victim = start_worker(tmp_path, "worker-a", address, queue)
    survivor = start_worker(tmp_path, "worker-b", address, queue)
    try:
        for proc in (victim, survivor):
            proc.go.touch()
        for proc in (victim, survivor):
            proc.wait_state((200, "polling"))
        lc = LifecycleClient(client, queue, task_timeout=timedelta(seconds=2))
        mgmt = await lc.start_create(CreateClusterInput(spec_yaml=spec("mgmt"), workdir=str(tmp_path / "out" / "mgmt"), timeouts=SHARED))
        created = await asyncio.wait_for(lc.wait(mgmt.workflow_id), timeout=120)
        assert isinstance(created, CreateClusterResult) and created.kubeconfig_path
        sim.client.set_knobs(boot_seconds=1.0)  # the workload machines boot long enough to be caught
        refs: list[OperationRef] = []
        for i in range(CREATES):
            name = f"w{i}"
            inp = CreateClusterInput(
                spec_yaml=spec(name, "mgmt"), workdir=str(tmp_path / "out" / name), management_kubeconfig=created.kubeconfig_path, timeouts=SHARED
            )  # fmt: skip
            refs.append(await lc.start_create(inp))
            await asyncio.sleep(0.15)
        # kill -9 the victim once some creates are done and it runs steps of open ones
        victim_id = f"{victim.child.pid}@"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            states = [(await client.get_workflow_handle(r.workflow_id).describe()).status for r in refs]
            done = sum(s == WorkflowExecutionStatus.COMPLETED for s in states)
            open_refs = [r for r, s in zip(refs, states, strict=True) if s == WorkflowExecutionStatus.RUNNING]
            if done >= 3 and await running_on(client, open_refs, victim_id) > 0:
                victim.child.kill()
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the victim never ran a step of an open create")
        print(f"\nkill -9 of one worker with {done} of {CREATES} creates done, {len(open_refs)} open")
        results = await asyncio.wait_for(asyncio.gather(*(lc.wait(r.workflow_id) for r in refs)), timeout=180)
    finally:
        for proc in (victim, survivor):
            proc.child.stop(grace=15)
    assert all(isinstance(r, CreateClusterResult) for r in results)
    # nothing duplicated: one workflow per cluster on the queue, each machine provisioned once
    executions = [ex.id async for ex in client.list_workflows(f"TaskQueue = '{queue}'")]
    assert sorted(executions) == sorted([mgmt.workflow_id] + [r.workflow_id for r in refs])
    machines = sim.client.machines()
    for i in range(CREATES):
        ever = [m for m in machines if m["cluster"] == f"w{i}"]
        assert len(ever) == 2, f"w{i}: machines provisioned more than once: {ever}"
        assert len(live_machines(sim, f"w{i}")) == 2
    assert len(live_machines(sim)) == 2 * (CREATES + 1)  # nothing leaked
