"""Machine identity and provisioning survive controller restarts and clusterctl-style
moves: intent is recorded before the boot delay, a restarted manager finishes the same
machines, and a moved SimMachine with a known providerID is adopted, not re-provisioned."""

from __future__ import annotations

import asyncio
from pathlib import Path

from eksa_temporal.simulator.controllers.inventory import PROVISIONING, Inventory
from tests.simulator.controllers import capi
from tests.simulator.controllers import harness as h
from tests.simulator.controllers.move import move

NS = "eksa-system"


def _available(store: h.Store, vc: str) -> bool:
    return h.cond(h.get(store, vc, "Cluster", "w1"), "Available", v2=True)


def test_a_restarted_manager_finishes_booting_machines_without_duplicates(tmp_path: Path) -> None:
    store = h.open_store(tmp_path)
    h.install(store, "mgmt")
    h.apply(store, "mgmt", [capi.namespace(), *capi.cluster_objects("w1", cp=1, workers=3)])
    slow = h.Knobs(boot_seconds=0.6, deployment_ready_seconds=0)

    async def first_run() -> list[str]:
        async with h.running(store, tmp_path, lambda: slow):
            await h.wait_for(
                lambda: len([r for r in Inventory(tmp_path).records() if r.state == PROVISIONING]) == 3,
                what="three workers booting",
            )
        return [r.id for r in Inventory(tmp_path).records()]

    booting = asyncio.run(first_run())
    store.close()
    store = h.open_store(tmp_path)  # a new process would load the same files

    async def second_run() -> None:
        async with h.running(store, tmp_path, lambda: slow):
            await h.wait_for(lambda: _available(store, "mgmt"), what="available after restart")

    asyncio.run(second_run())
    records = Inventory(tmp_path).records()
    assert [r.id for r in records] == booting
    assert all(r.state == "running" for r in records)
    assert len(store.list("w1", "v1", "Node")) == 4


def test_a_moved_cluster_keeps_its_machines(tmp_path: Path) -> None:
    store = h.open_store(tmp_path)
    for vc in ("bootstrap", "mgmt"):
        h.install(store, vc)
        h.apply(store, vc, [capi.namespace()])
    h.apply(store, "bootstrap", capi.cluster_objects("w1", cp=1, workers=2))

    async def scenario() -> tuple[dict[str, str], dict[str, str]]:
        async with h.running(store, tmp_path):
            await h.wait_for(lambda: _available(store, "bootstrap"), what="available in bootstrap")
            before = {n["metadata"]["name"]: n["metadata"]["uid"] for n in store.list("w1", "v1", "Node")}
            move(store, "bootstrap", "mgmt", NS, "w1")
            await h.wait_for(lambda: _available(store, "mgmt"), what="available after move")
            await asyncio.sleep(0.3)  # nothing more should happen
            after = {n["metadata"]["name"]: n["metadata"]["uid"] for n in store.list("w1", "v1", "Node")}
            return before, after

    before, after = asyncio.run(scenario())
    assert before == after
    records = Inventory(tmp_path).records()
    assert len(records) == 3 and all(r.state == "running" for r in records)
    machines = store.list("mgmt", h.CLUSTER_V, "Machine", NS)
    assert {m["spec"]["providerID"] for m in machines} == {r.provider_id for r in records}
    assert all(m["status"]["phase"] == "Running" for m in machines)
    assert store.list("bootstrap", h.CLUSTER_V, "Machine", NS) == []
    assert "w1" in store.clusters()
