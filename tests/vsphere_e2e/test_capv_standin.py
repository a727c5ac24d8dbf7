"""The sim standing in for the CAPV controller: a vSphere cluster rendered by
``providers.vsphere`` comes up under the simulated controllers, with CAPV-like
VSphereCluster / VSphereMachine statuses and machines in the sim inventory, and only where
the ``capv-controller-manager`` Deployment is Available."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

from eksa_temporal.simulator.apiserver.store import Store
from eksa_temporal.simulator.controllers.inventory import Inventory
from eksa_temporal.simulator.knobs import Knobs
from tests.simulator.controllers import harness as h
from tests.vsphere import specs
from tests.vsphere_e2e import capv
from tests.vsphere_e2e.capv import ENDPOINT, INFRA_V, NS, PASSWORD


def _store(tmp_path: Path, *, secret: bool = True, capv_running: bool = True) -> Store:
    store = h.open_store(tmp_path)
    h.install(store, "mgmt")
    capv.install_standin(store, "mgmt", deployments=capv_running)
    h.apply(store, "mgmt", capv.rendered(secret=secret))
    return store


def _available(store: Store) -> bool:
    return h.cond(h.get(store, "mgmt", "Cluster", "alpha", ns=NS), "Available", v2=True)


def test_a_rendered_vsphere_cluster_comes_up_with_vsphere_provider_ids(tmp_path: Path) -> None:
    store = _store(tmp_path)

    async def scenario() -> None:
        async with h.running(store, tmp_path):
            await h.wait_for(lambda: _available(store), timeout=20, what="Cluster Available")

    asyncio.run(scenario())
    vc = capv.infra(store, "mgmt", "VSphereCluster", "alpha")
    assert vc is not None
    assert vc["status"]["ready"] is True
    assert h.cond(vc, "VCenterAvailable") and h.cond(vc, "Ready")
    assert vc["spec"]["controlPlaneEndpoint"] == {"host": ENDPOINT, "port": 6443}
    assert "vspherecluster.infrastructure.cluster.x-k8s.io" in vc["metadata"]["finalizers"]
    secret = store.get("mgmt", "v1", "Secret", NS, "alpha-vsphere-credentials")
    assert secret is not None  # owned by the VSphereCluster, as CAPV does (a move takes it along)
    assert [(r["kind"], r["name"], r.get("controller")) for r in secret["metadata"]["ownerReferences"]] == [
        ("VSphereCluster", "alpha", None)]

    machines = store.list("mgmt", h.CLUSTER_V, "Machine", NS)
    assert len(machines) == 3
    records = {r["provider_id"]: r for r in Inventory(tmp_path).list()}
    nodes = {n["metadata"]["name"]: n for n in store.list("alpha", "v1", "Node")}
    for m in machines:
        ref = m["spec"]["infrastructureRef"]
        assert ref["kind"] == "VSphereMachine"
        vm = capv.infra(store, "mgmt", "VSphereMachine", ref["name"])
        assert vm is not None and vm["status"]["ready"] is True
        provider_id = vm["spec"]["providerID"]
        assert provider_id.startswith("vsphere://")
        uuid.UUID(provider_id.removeprefix("vsphere://"))  # a BIOS-UUID-shaped id
        assert m["spec"]["providerID"] == provider_id
        assert records[provider_id]["exists"] and records[provider_id]["cluster"] == "alpha"
        assert nodes[m["status"]["nodeRef"]["name"]]["spec"]["providerID"] == provider_id
        assert {a["type"] for a in vm["status"]["addresses"]} == {"InternalIP", "Hostname"}
        assert vm["spec"]["template"] == "/DC0/vm/Templates/ubuntu-1-28"  # cloned from its template
    everything = json.dumps([store.list("mgmt", INFRA_V, k, NS) for k in ("VSphereCluster", "VSphereMachine")])
    assert PASSWORD not in everything


def test_vsphere_kinds_wait_until_the_capv_standin_is_available(tmp_path: Path) -> None:
    store = _store(tmp_path, capv_running=False)

    async def scenario() -> None:
        async with h.running(store, tmp_path):
            # the core controller acts: it makes the Cluster own its VSphereCluster
            await h.wait_for(
                lambda: (capv.infra(store, "mgmt", "VSphereCluster", "alpha") or {})["metadata"].get("ownerReferences"),
                what="owner reference set by the Cluster controller",
            )
            await asyncio.sleep(0.3)
            vc = capv.infra(store, "mgmt", "VSphereCluster", "alpha")
            assert vc is not None and not vc.get("status") and not vc["metadata"].get("finalizers")
            assert "alpha" not in store.clusters()
            capv.install_standin(store, "mgmt")  # now with capv-controller-manager
            await h.wait_for(lambda: _available(store), timeout=20, what="Cluster Available")

    asyncio.run(scenario())


def test_a_vsphere_cluster_is_not_ready_until_its_credentials_secret_exists(tmp_path: Path) -> None:
    store = _store(tmp_path, secret=False)
    secret = next(d for d in capv.rendered() if d["kind"] == "Secret")

    async def scenario() -> None:
        async with h.running(store, tmp_path):
            vc = await h.wait_for(
                lambda: next(
                    (v for v in [capv.infra(store, "mgmt", "VSphereCluster", "alpha")]
                     if v and any(c["type"] == "VCenterAvailable" for c in v.get("status", {}).get("conditions", []))),
                    None,
                ),
                what="VCenterAvailable reported",
            )
            cond = next(c for c in vc["status"]["conditions"] if c["type"] == "VCenterAvailable")
            assert cond["status"] == "False" and vc["status"]["ready"] is False
            assert "alpha-vsphere-credentials not found" in cond["message"]
            assert "alpha" not in store.clusters()  # no workload cluster before the credentials
            store.create("mgmt", secret)
            await h.wait_for(lambda: _available(store), timeout=20, what="Cluster Available")

    asyncio.run(scenario())


def test_deleting_the_cluster_deletes_its_vsphere_machines_from_the_inventory(tmp_path: Path) -> None:
    store = _store(tmp_path)

    async def scenario() -> None:
        async with h.running(store, tmp_path):
            await h.wait_for(lambda: _available(store), timeout=20, what="Cluster Available")
            store.delete("mgmt", h.CLUSTER_V, "Cluster", NS, "alpha")
            await h.wait_for(lambda: h.get(store, "mgmt", "Cluster", "alpha", ns=NS) is None, timeout=20, what="gone")

    asyncio.run(scenario())
    assert store.list("mgmt", INFRA_V, "VSphereMachine", NS) == []
    assert "alpha" not in store.clusters()
    records = Inventory(tmp_path).list()
    assert len(records) == 3 and not any(r["exists"] for r in records)


def test_a_machine_whose_template_is_missing_in_vcenter_fails_with_the_clone_error(
    tmp_path: Path, inventory: specs.SimInfo
) -> None:
    store = h.open_store(tmp_path)
    h.install(store, "mgmt")
    capv.install_standin(store, "mgmt")
    h.apply(store, "mgmt", capv.rendered("gamma", workers=0, vcenter=inventory, template="/DC0/vm/Templates/missing"))
    knobs = Knobs(boot_seconds=0.05, deployment_ready_seconds=0, vsphere_clone=True)

    def failed() -> h.Obj | None:
        return next((m for m in store.list("mgmt", INFRA_V, "VSphereMachine", NS) if m.get("status", {}).get("failureReason")), None)

    async def scenario() -> h.Obj:
        async with h.running(store, tmp_path, lambda: knobs):
            return await h.wait_for(failed, timeout=20, what="failed VSphereMachine")

    vm = asyncio.run(scenario())
    assert vm["status"]["failureReason"] == "CreateError"
    assert "clone of VM gamma-" in vm["status"]["failureMessage"]
    assert "template not found" in vm["status"]["failureMessage"]
    assert not vm["spec"].get("providerID")
    assert [r["state"] for r in Inventory(tmp_path).list()] == ["failed"]
    assert inventory.password not in json.dumps(vm)
