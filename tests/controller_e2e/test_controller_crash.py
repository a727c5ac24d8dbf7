"""Crashes of the controller and the worker, one management cluster with two controllers
running (one holds the Lease and acts, the other waits for it): the lease holder and the
worker are ``kill -9``ed while a create, an upgrade and a delete of a kubectl-applied
workload cluster run, and the lease holder alone right after an edit. After the standby
controller takes the Lease and a new worker polls, each operation completes as without
the crash: one workflow run per operation (none duplicated, none concurrent), each
machine provisioned once, the object Ready or gone. A holder stopped with SIGTERM exits 0
and releases the Lease at once."""

from __future__ import annotations

from collections import Counter
from typing import Any

import anyio
import pytest
from temporalio.api.enums.v1 import PendingActivityState
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError

from .clusters import (
    CLUSTERS,
    assert_never_concurrent,
    lease_holder,
    live_machines,
    node_versions,
    operations,
    ready,
    until,
    workload_spec,
)
from .conftest import Mgmt

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


def explain(mgmt: Mgmt, name: str) -> Any:
    def text() -> str:
        return f"status: {(mgmt.kubectl.cluster(name) or {}).get('status')}\n{mgmt.procs.log_text()}"

    return text


async def step_running(mgmt: Mgmt, name: str, step: str) -> bool:
    """Whether the cluster's operation is running ``step`` on a worker right now (``step``
    "delete": the delete operation runs, at any step - it is too quick to catch one)."""
    try:
        desc = await mgmt.client.get_workflow_handle(f"eksa/default/{name}").describe()
    except RPCError:  # not started yet
        return False
    if desc.status != WorkflowExecutionStatus.RUNNING:
        return False
    if step == "delete":
        return desc.workflow_type == "DeleteClusterWorkflow"
    return any(
        pa.activity_type.name == step and pa.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
        for pa in desc.raw_description.pending_activities
    )


async def holder(mgmt: Mgmt) -> str:
    def check() -> str | None:
        identity = lease_holder(mgmt.kubeconfig)
        return identity if identity in mgmt.procs.controllers else None

    identity: str = await until(check, 30, "a running controller holds the Lease", mgmt.procs.log_text)
    return identity


async def crash_both(mgmt: Mgmt, name: str, step: str, replacement: str) -> str:
    """Once ``step`` runs: kill -9 the lease holder and the worker; start a new worker and
    a new controller (standby). Returns the killed holder's identity."""
    await until(lambda: step_running(mgmt, name, step), 40, f"{step} of {name} running", explain(mgmt, name))
    killed = await holder(mgmt)
    mgmt.procs.kill_controller(killed)
    mgmt.procs.kill_worker()
    await anyio.sleep(0.5)
    mgmt.procs.start_worker()
    mgmt.procs.start_controller(replacement)
    return killed


async def test_kill_9_of_the_controller_and_the_worker_mid_operation_changes_nothing(mgmt: Mgmt) -> None:
    k, name = mgmt.kubectl, "crash"
    mgmt.procs.start_controller("controller-b")
    first = await holder(mgmt)
    mgmt.sim.client.set_knobs(boot_seconds=2.0)  # operations long enough to be killed mid-step
    try:
        # a create
        k.apply(workload_spec(name))
        killed = await crash_both(mgmt, name, "create-workload-cluster", "controller-c")
        assert killed == first
        await until(lambda: ready(k.cluster(name)), 90, f"{name} Ready after the crash", explain(mgmt, name))
        assert await holder(mgmt) != killed
        found = await mgmt.runs(name)
        assert operations(found) == ["create"], found
        ever = [m for m in mgmt.sim.client.machines() if m.get("cluster") == name]
        assert len(ever) == 2 and len(live_machines(mgmt.sim, name)) == 2, f"machines provisioned twice: {ever}"

        # an edit, and the lease holder killed at once (before or after it started the upgrade)
        k.apply(workload_spec(name, version="1.32"))
        mgmt.procs.kill_controller(await holder(mgmt))
        mgmt.procs.start_controller("controller-d")
        # ... and the worker and the (new) holder again while the upgrade rolls out
        await crash_both(mgmt, name, "upgrade-cluster", "controller-e")
        await until(lambda: ready(k.cluster(name)), 90, f"{name} Ready at 1.32 after the crashes", explain(mgmt, name))
        found = await mgmt.runs(name)
        assert operations(found) == ["create", "upgrade"], found
        assert all(v.startswith("v1.32") for v in node_versions(mgmt.workdir(name) / f"{name}-eks-a-cluster.kubeconfig"))
        assert len(live_machines(mgmt.sim, name)) == 2
        ever = [m for m in mgmt.sim.client.machines() if m.get("cluster") == name]
        twice = {machine: n for machine, n in Counter(str(m["machine"]) for m in ever).items() if n > 1}
        assert twice == {} and len(ever) == 2 + 2, f"the rollout provisioned a machine twice or more than it replaced: {ever}"

        # a delete (slowed: with no machine to boot it ends within a fraction of a second)
        mgmt.sim.client.set_knobs(api_latency_seconds=0.1)
        k.run("delete", CLUSTERS, name, "--wait=false")
        await crash_both(mgmt, name, "delete", "controller-f")
        mgmt.sim.client.set_knobs(api_latency_seconds=0.0)
        await until(lambda: k.cluster(name) is None, 90, f"{name} gone after the crash", explain(mgmt, name))
    finally:
        mgmt.sim.client.set_knobs(boot_seconds=0.2, api_latency_seconds=0.0)
    await anyio.sleep(5)  # a resync of the surviving controllers
    found = await mgmt.runs(name)
    assert operations(found) == ["create", "upgrade", "delete"], found
    assert_never_concurrent(found)
    assert live_machines(mgmt.sim, name) == []
    assert len([r for r in found if r.memo.get("eksa_origin") == "controller"]) == 3


async def test_a_controller_stopped_gracefully_releases_the_lease(mgmt: Mgmt) -> None:
    """SIGTERM: the holder exits 0 and gives the Lease up at once (a killed one keeps it
    until it expires); a standby then takes it."""
    standby = "controller-g"
    mgmt.procs.start_controller(standby)
    stopping = await holder(mgmt)
    assert stopping != standby or len(mgmt.procs.controllers) > 1
    code = mgmt.procs.controllers.pop(stopping).stop(grace=10)
    assert code == 0, mgmt.procs.log_text()
    assert lease_holder(mgmt.kubeconfig) != stopping, "the stopped controller still holds the Lease"
    assert await holder(mgmt) in mgmt.procs.controllers
