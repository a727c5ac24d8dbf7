"""Changes to a running simulated cluster: scale up/down, rolling replacement on a version
or template change (never more than one surplus machine), deletion through finalizers,
machine failures."""

from __future__ import annotations

import asyncio
from pathlib import Path

from eksa_temporal.simulator.controllers.inventory import Inventory
from tests.simulator.controllers import capi
from tests.simulator.controllers import harness as h

CP_V = "controlplane.cluster.x-k8s.io/v1beta1"
NS = "eksa-system"


def _machines(store: h.Store, *, cp: bool | None = None) -> list[h.Obj]:
    found = store.list("mgmt", h.CLUSTER_V, "Machine", NS)
    if cp is None:
        return found
    return [m for m in found if ("cluster.x-k8s.io/control-plane" in m["metadata"]["labels"]) == cp]


def _ready(store: h.Store, cp: int, workers: int, version: str | None = None) -> bool:
    cluster = h.get(store, "mgmt", "Cluster", "w1")
    kcp = h.get(store, "mgmt", "KubeadmControlPlane", "w1", av=CP_V)
    md = h.get(store, "mgmt", "MachineDeployment", "w1-md-0")
    if not (cluster and kcp and md and h.cond(cluster, "Available", v2=True)):
        return False
    ks, ms = kcp.get("status") or {}, md.get("status") or {}
    nodes = store.list("w1", "v1", "Node")
    versions = {n["status"]["nodeInfo"]["kubeletVersion"] for n in nodes if n.get("status")}
    return (
        ks.get("readyReplicas") == cp and ks.get("upToDateReplicas") == cp and ks.get("replicas") == cp
        and ms.get("readyReplicas") == workers and ms.get("updatedReplicas") == workers
        and ms.get("replicas") == workers
        and len(nodes) == cp + workers
        and (version is None or versions == {version})
    )


def _start(tmp_path: Path, **kw: object) -> h.Store:
    store = h.open_store(tmp_path)
    h.install(store, "mgmt")
    h.apply(store, "mgmt", [capi.namespace(), *capi.cluster_objects("w1", **kw)])  # type: ignore[arg-type]
    return store


def test_scaling_workers_and_control_plane_up_then_down(tmp_path: Path) -> None:
    store = _start(tmp_path, cp=1, workers=1)

    async def scenario() -> None:
        async with h.running(store, tmp_path):
            await h.wait_for(lambda: _ready(store, 1, 1), what="1+1")
            store.patch("mgmt", CP_V, "KubeadmControlPlane", NS, "w1", {"spec": {"replicas": 3}})
            store.patch("mgmt", h.CLUSTER_V, "MachineDeployment", NS, "w1-md-0", {"spec": {"replicas": 3}})
            await h.wait_for(lambda: _ready(store, 3, 3), what="3+3")
            store.patch("mgmt", CP_V, "KubeadmControlPlane", NS, "w1", {"spec": {"replicas": 1}})
            store.patch("mgmt", h.CLUSTER_V, "MachineDeployment", NS, "w1-md-0", {"spec": {"replicas": 1}})
            await h.wait_for(lambda: _ready(store, 1, 1) and len(_machines(store)) == 2, what="back to 1+1")

    asyncio.run(scenario())
    records = Inventory(tmp_path).list()
    assert len(records) == 6
    assert sum(r["exists"] for r in records) == 2
    live = {m["spec"]["providerID"] for m in _machines(store)}
    assert {r["provider_id"] for r in records if r["exists"]} == live


def test_a_version_change_replaces_every_machine_one_at_a_time(tmp_path: Path) -> None:
    store = _start(tmp_path, cp=3, workers=2)
    seen_max: dict[str, int] = {"cp": 0, "workers": 0}

    def watch_counts() -> None:
        seen_max["cp"] = max(seen_max["cp"], len([m for m in _machines(store, cp=True) if not m["metadata"].get("deletionTimestamp")]))
        seen_max["workers"] = max(seen_max["workers"], len([m for m in _machines(store, cp=False) if not m["metadata"].get("deletionTimestamp")]))

    async def scenario() -> None:
        async with h.running(store, tmp_path):
            await h.wait_for(lambda: _ready(store, 3, 2), what="3+2")
            before = {m["metadata"]["name"] for m in _machines(store)}
            seen_max.update(cp=0, workers=0)
            new = "v1.32.1"
            store.patch("mgmt", CP_V, "KubeadmControlPlane", NS, "w1", {"spec": {"version": new}})
            store.patch("mgmt", h.CLUSTER_V, "MachineDeployment", NS, "w1-md-0",
                        {"spec": {"template": {"spec": {"version": new}}}})

            def done() -> bool:
                watch_counts()
                return _ready(store, 3, 2, new) and not (before & {m["metadata"]["name"] for m in _machines(store)})

            await h.wait_for(done, timeout=20, what="rollout")

    asyncio.run(scenario())
    assert seen_max["cp"] <= 4 and seen_max["workers"] <= 3, seen_max
    assert len(store.list("mgmt", h.CLUSTER_V, "MachineSet", NS)) == 1
    assert len(Inventory(tmp_path).list()) == 10


def test_a_new_machine_template_rolls_the_workers(tmp_path: Path) -> None:
    store = _start(tmp_path, cp=1, workers=2)

    async def scenario() -> None:
        async with h.running(store, tmp_path):
            await h.wait_for(lambda: _ready(store, 1, 2))
            old = {m["metadata"]["name"] for m in _machines(store, cp=False)}
            store.create("mgmt", capi.sim_template("w1-md-0-t2"))
            store.patch("mgmt", h.CLUSTER_V, "MachineDeployment", NS, "w1-md-0",
                        {"spec": {"template": {"spec": {"infrastructureRef": {"name": "w1-md-0-t2"}}}}})
            await h.wait_for(
                lambda: _ready(store, 1, 2) and not old & {m["metadata"]["name"] for m in _machines(store, cp=False)},
                timeout=15,
            )

    asyncio.run(scenario())
    sims = store.list("mgmt", "infrastructure.cluster.x-k8s.io/v1beta1", "SimMachine", NS)
    workers = [s for s in sims if "cluster.x-k8s.io/control-plane" not in s["metadata"]["labels"]]
    assert {s["metadata"]["annotations"]["cluster.x-k8s.io/cloned-from-name"] for s in workers} == {"w1-md-0-t2"}


def test_deleting_the_cluster_removes_machines_nodes_and_the_workload_cluster(tmp_path: Path) -> None:
    store = _start(tmp_path, cp=1, workers=2)

    async def scenario() -> None:
        async with h.running(store, tmp_path):
            await h.wait_for(lambda: _ready(store, 1, 2))
            assert "w1" in store.clusters()
            store.delete("mgmt", h.CLUSTER_V, "Cluster", NS, "w1")
            await h.wait_for(lambda: h.get(store, "mgmt", "Cluster", "w1") is None, timeout=15, what="cluster gone")

    asyncio.run(scenario())
    assert "w1" not in store.clusters()
    for kind, av in (("Machine", h.CLUSTER_V), ("MachineSet", h.CLUSTER_V), ("MachineDeployment", h.CLUSTER_V),
                     ("KubeadmControlPlane", CP_V), ("SimMachine", "infrastructure.cluster.x-k8s.io/v1beta1"),
                     ("SimCluster", "infrastructure.cluster.x-k8s.io/v1beta1")):
        assert store.list("mgmt", av, kind, NS) == [], kind
    assert store.get("mgmt", "v1", "Secret", NS, "w1-kubeconfig") is None
    records = Inventory(tmp_path).list()
    assert len(records) == 3 and not any(r["exists"] for r in records)
    assert all(r["deleted_at"] for r in records)


def test_a_machine_that_fails_to_boot_is_reported_on_the_machine(tmp_path: Path) -> None:
    store = _start(tmp_path, cp=1, workers=0)
    knobs = h.Knobs(boot_seconds=0.05, deployment_ready_seconds=0, machine_failure_rate=1.0, seed=7)

    async def scenario() -> h.Obj:
        async with h.running(store, tmp_path, lambda: knobs):
            return await h.wait_for(
                lambda: next((m for m in _machines(store) if (m.get("status") or {}).get("phase") == "Failed"), None),
                what="failed machine",
            )

    machine = asyncio.run(scenario())
    assert machine["status"]["failureReason"] == "CreateError"
    assert "simulated boot failure" in machine["status"]["failureMessage"]
    sim = store.get("mgmt", "infrastructure.cluster.x-k8s.io/v1beta1", "SimMachine", NS, machine["metadata"]["name"])
    assert sim is not None and sim["status"]["failureReason"] == "CreateError"
    assert [r["state"] for r in Inventory(tmp_path).list()] == ["failed"]


def test_an_object_with_the_paused_annotation_is_not_reconciled(tmp_path: Path) -> None:
    store = _start(tmp_path, cp=1, workers=1)
    paused = {"metadata": {"annotations": {"cluster.x-k8s.io/paused": ""}}}

    async def scenario() -> None:
        async with h.running(store, tmp_path):
            await h.wait_for(lambda: _ready(store, 1, 1))
            store.patch("mgmt", h.CLUSTER_V, "MachineDeployment", NS, "w1-md-0", paused)
            store.patch("mgmt", h.CLUSTER_V, "MachineDeployment", NS, "w1-md-0", {"spec": {"replicas": 2}})
            await asyncio.sleep(0.4)
            [mset] = store.list("mgmt", h.CLUSTER_V, "MachineSet", NS)
            assert mset["spec"]["replicas"] == 1
            store.patch("mgmt", h.CLUSTER_V, "MachineDeployment", NS, "w1-md-0",
                        {"metadata": {"annotations": {"cluster.x-k8s.io/paused": None}}})
            await h.wait_for(lambda: _ready(store, 1, 2), what="scaled after unpausing")

    asyncio.run(scenario())


def test_a_changed_kubeadm_config_spec_rolls_the_control_plane(tmp_path: Path) -> None:
    store = _start(tmp_path, cp=1, workers=0)

    async def scenario() -> None:
        async with h.running(store, tmp_path):
            await h.wait_for(lambda: _ready(store, 1, 0))
            [old] = _machines(store, cp=True)
            store.patch("mgmt", CP_V, "KubeadmControlPlane", NS, "w1", {"spec": {"kubeadmConfigSpec": {
                "clusterConfiguration": {"apiServer": {"extraArgs": {"audit-log-maxage": "30"}}}}}})
            await h.wait_for(
                lambda: _ready(store, 1, 0) and [m["metadata"]["name"] for m in _machines(store, cp=True)] not in ([], [old["metadata"]["name"]]),
                what="control plane replaced",
            )

    asyncio.run(scenario())
    [new] = _machines(store, cp=True)
    config = store.get("mgmt", "bootstrap.cluster.x-k8s.io/v1beta1", "KubeadmConfig", NS, new["metadata"]["name"])
    assert config is not None
    assert config["spec"]["clusterConfiguration"]["apiServer"]["extraArgs"] == {"audit-log-maxage": "30"}
    assert "joinConfiguration" in config["spec"]


def test_a_machine_creation_interrupted_by_a_crash_is_completed_under_its_name(tmp_path: Path) -> None:
    store = _start(tmp_path, cp=1, workers=0)

    async def scenario() -> None:
        async with h.running(store, tmp_path):
            await h.wait_for(lambda: _ready(store, 1, 0))
            [mset] = store.list("mgmt", h.CLUSTER_V, "MachineSet", NS)
            set_name = mset["metadata"]["name"]
            # what a crash between creating the SimMachine and the Machine leaves behind
            store.create("mgmt", {
                "apiVersion": "infrastructure.cluster.x-k8s.io/v1beta1", "kind": "SimMachine",
                "metadata": {"name": f"{set_name}-crash", "namespace": NS,
                             "labels": {"cluster.x-k8s.io/set-name": set_name, "cluster.x-k8s.io/cluster-name": "w1"},
                             "ownerReferences": [{"apiVersion": h.CLUSTER_V, "kind": "MachineSet", "name": set_name,
                                                  "uid": mset["metadata"]["uid"], "controller": True}]},
                "spec": {}})
            store.patch("mgmt", h.CLUSTER_V, "MachineDeployment", NS, "w1-md-0", {"spec": {"replicas": 1}})
            await h.wait_for(lambda: _ready(store, 1, 1))

    asyncio.run(scenario())
    [worker] = _machines(store, cp=False)
    assert worker["metadata"]["name"].endswith("-crash")
    assert len(store.list("mgmt", "infrastructure.cluster.x-k8s.io/v1beta1", "SimMachine", NS)) == 2
