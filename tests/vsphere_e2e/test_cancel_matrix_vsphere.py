"""The cancel matrix with the vSphere provider on vcsim, where a cluster's VMs can only go
away through Cluster API: the sim's CAPV stand-in clones each VSphereMachine as a VM and
destroys it when the VSphereMachine is deleted - unless it is paused, exactly as CAPV
(``annotations.IsPaused(cluster, obj)``, no ``delete-for-move`` exception).

First the stand-in's pause rule itself (in-process store and controllers): a paused
VSphereMachine is not reconciled, not even its deletion, and an unpaused one is destroyed
whatever annotation it carries. Then a management create on vcsim is cancelled while
each step from ``workload-cluster-init`` on runs (the move among them): the operation ends
cancelled with no VM, no live machine, no virtual cluster of it and nothing paused - and
the VMs were destroyed by the stand-in (their inventory records are marked deleted, which
only the stand-in does), not by the provider's direct cleanup (whose removals
``cleanup-infrastructure`` would list).
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from temporalio.testing import WorkflowEnvironment

from eksa_temporal.client import LifecycleClient
from eksa_temporal.simulator.controllers.inventory import Inventory
from eksa_temporal.workflows.create import MANAGEMENT_PLAN
from eksa_temporal.workflows.models import CreateClusterInput
from tests.e2e.cancel import (
    FAST,
    HELD,
    MATRIX,
    UNSLOWABLE,
    cancel_during,
    compensation,
    live_machines,
    paused_objects,
    virtual_clusters,
)
from tests.simulator.controllers import harness as h
from tests.vsphere import specs
from tests.vsphere_e2e import capv
from tests.vsphere_e2e.capv import INFRA_V, NS
from tests.vsphere_e2e.conftest import Env
from tests.vsphere_e2e.test_create_vsphere_e2e import ENDPOINT, cluster_vms

pytestmark = pytest.mark.anyio
PAUSED = "cluster.x-k8s.io/paused"
DELETE_FOR_MOVE = "clusterctl.cluster.x-k8s.io/delete-for-move"


# -- the stand-in's pause rule ----------------------------------------------------------
def _records(state_dir: Path) -> dict[str, dict[str, Any]]:
    return {str(r["machine"]): r for r in Inventory(state_dir).list()}


def test_the_capv_standin_leaves_paused_vspheremachines_alone_even_when_deleted(tmp_path: Path) -> None:
    store = h.open_store(tmp_path)
    h.install(store, "mgmt")
    capv.install_standin(store, "mgmt")
    h.apply(store, "mgmt", capv.rendered(workers=2))

    def vsphere_machines() -> list[h.Obj]:
        return store.list("mgmt", INFRA_V, "VSphereMachine", NS)

    def running(n: int) -> bool:
        return bool(sum(r["state"] == "running" for r in _records(tmp_path).values()) == n)

    async def scenario() -> None:
        async with h.running(store, tmp_path):
            await h.wait_for(lambda: running(3), timeout=20, what="3 machines running")
            first, second, third = sorted(vsphere_machines(), key=lambda m: m["metadata"]["name"])
            # 1. the CAPI Cluster paused (clusterctl move pauses it first): a deleted
            #    VSphereMachine keeps its finalizer and its machine
            store.patch("mgmt", h.CLUSTER_V, "Cluster", NS, "alpha", {"spec": {"paused": True}})
            store.delete("mgmt", INFRA_V, "VSphereMachine", NS, first["metadata"]["name"])
            await asyncio.sleep(1.0)
            assert capv.infra(store, "mgmt", "VSphereMachine", first["metadata"]["name"]) is not None
            assert running(3), _records(tmp_path)
            # 2. the paused annotation on the object itself, with the Cluster unpaused
            store.patch("mgmt", INFRA_V, "VSphereMachine", NS, second["metadata"]["name"],
                        {"metadata": {"annotations": {PAUSED: ""}}})
            store.patch("mgmt", h.CLUSTER_V, "Cluster", NS, "alpha", {"spec": {"paused": False}})
            store.delete("mgmt", INFRA_V, "VSphereMachine", NS, second["metadata"]["name"])
            # the first one, now unpaused, is deprovisioned; the annotated second one is not
            await h.wait_for(lambda: capv.infra(store, "mgmt", "VSphereMachine", first["metadata"]["name"]) is None,
                             timeout=10, what="first VSphereMachine gone once unpaused")
            await asyncio.sleep(0.5)
            assert capv.infra(store, "mgmt", "VSphereMachine", second["metadata"]["name"]) is not None
            assert _records(tmp_path)[second["metadata"]["name"]]["state"] == "running"
            # 3. delete-for-move without a pause protects nothing (CAPV has no such rule)
            store.patch("mgmt", INFRA_V, "VSphereMachine", NS, third["metadata"]["name"],
                        {"metadata": {"annotations": {DELETE_FOR_MOVE: ""}}})
            store.delete("mgmt", INFRA_V, "VSphereMachine", NS, third["metadata"]["name"])
            await h.wait_for(lambda: capv.infra(store, "mgmt", "VSphereMachine", third["metadata"]["name"]) is None,
                             timeout=10, what="third VSphereMachine deprovisioned")

    asyncio.run(scenario())
    states = {name: r["state"] for name, r in _records(tmp_path).items()}
    assert sorted(states.values()) == ["deleted", "deleted", "running"], states


# -- cancels of a vSphere create on vcsim -------------------------------------------------
# every step from the first VM on: before the move the CAPI objects (and the VMs' owners)
# live in the bootstrap cluster, during it in both, after it in the new cluster itself
VSPHERE_STEPS = MANAGEMENT_PLAN[MANAGEMENT_PLAN.index("workload-cluster-init"):]


async def cleanup_removed(client: Any, wf_id: str) -> list[str]:
    """What ``cleanup-infrastructure`` reported as removed (from the workflow history)."""
    scheduled: dict[int, str] = {}
    removed: list[str] = []
    async for ev in client.get_workflow_handle(wf_id).fetch_history_events():
        if ev.HasField("activity_task_scheduled_event_attributes"):
            scheduled[ev.event_id] = ev.activity_task_scheduled_event_attributes.activity_type.name
        elif ev.HasField("activity_task_completed_event_attributes"):
            attrs = ev.activity_task_completed_event_attributes
            if scheduled.get(attrs.scheduled_event_id) == "cleanup-infrastructure":
                for payload in attrs.result.payloads:
                    removed += list(json.loads(payload.data).get("removed") or [])
    return removed


async def test_a_vsphere_create_cancelled_at_any_step_is_unwound_through_cluster_api(
    e2e: Env, inventory: specs.SimInfo, start_worker: Any, temporal_env: WorkflowEnvironment
) -> None:
    worker = start_worker(inventory.user, inventory.password)
    lc = LifecycleClient(temporal_env.client, worker.task_queue)
    e2e.sim.client.set_knobs(**FAST, vsphere_clone=True)
    results: dict[str, list[str]] = {}
    for i, step in enumerate(VSPHERE_STEPS):
        name = f"vc{i}"
        text = yaml.safe_dump_all(specs.documents(inventory, name, endpoint=ENDPOINT, workers=1))
        inp = CreateClusterInput(spec_yaml=text, workdir=str(e2e.root / "out" / name), timeouts=MATRIX)
        started = time.monotonic()
        hit = await cancel_during(e2e.sim, lc, (await lc.start_create(inp)).workflow_id, MANAGEMENT_PLAN, step)
        problems = []
        where = hit.progress.error if hit.progress else None
        nxt = MANAGEMENT_PLAN[min(MANAGEMENT_PLAN.index(step) + 1, len(MANAGEMENT_PLAN) - 1)]
        # a worker in another process cannot be held by a Gate: a quick step may be done
        # when the cancel arrives, which then lands in the next step
        if where != f"cancelled during {step}" and not (step in UNSLOWABLE | HELD and where == f"cancelled during {nxt}"):
            problems.append(f"cancel landed {where!r}")
        comp = [c for c in compensation(hit.progress) if c[0] != "collect-support-bundle"]
        moved = MANAGEMENT_PLAN.index(step) >= MANAGEMENT_PLAN.index("capi-management-move")
        want = ["capi-move-abort", "cleanup-infrastructure"] if moved else ["cleanup-infrastructure"]
        if comp != [(c, "completed") for c in want]:
            problems.append(f"compensation {comp}, expected {want} completed")
        if vms := cluster_vms(inventory, name):
            problems.append(f"VMs left in vCenter: {sorted(vms)}")
        ever = [m for m in e2e.sim.client.machines() if m["cluster"] == name]
        if not ever:
            problems.append("no machine was ever provisioned: the cancel came too early to prove anything")
        if live := live_machines(e2e.sim, name):
            problems.append(f"machines not deprovisioned by the CAPV stand-in: {[m['id'] for m in live]}")
        if direct := [r for r in await cleanup_removed(temporal_env.client, f"eksa/default/{name}") if "/vm/" in r]:
            problems.append(f"VMs removed by the provider's direct cleanup, not through Cluster API: {direct}")
        if left := virtual_clusters(e2e.sim) & {name, f"{name}-eks-a-cluster"}:
            problems.append(f"virtual clusters left: {sorted(left)}")
        if paused := paused_objects(e2e.sim):
            problems.append(f"paused CAPI objects left: {paused}")
        print(f"\n{step}: {'running' if hit.caught_running else 'done'}; case {time.monotonic() - started:.1f}s")
        results[step] = problems
    assert inventory.password not in worker.log.read_text(errors="replace")
    failed = {step: p for step, p in results.items() if p}
    assert failed == {}, "\n".join(f"{step}: {'; '.join(p)}" for step, p in failed.items())
