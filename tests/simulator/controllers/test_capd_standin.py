"""The sim plays CAPD (Cluster API's Docker provider) behind its published components: with
the upstream core, kubeadm and CAPD manifests installed as clusterctl installs them, a
CAPD-shaped cluster comes up with ``docker:////<container>`` machines that the admin API
lists with CAPD's container labels; a container removed underneath fails its machine, and
deleting the Cluster removes every container. Also: CAPD is gated on its controller
Deployment, the sim ships no CAPD manifest, the inventory migrates old state dirs, and
cert-manager's readiness probe passes in its own namespace."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from eksa_temporal.activities.capi_install import CapiInstaller
from eksa_temporal.activities.models import InstallCapiProgress
from eksa_temporal.kube.client import Kube, condition_true, kube_for
from eksa_temporal.ownership import OWNER_LABEL
from eksa_temporal.providers.capi.release import DEFAULT_RELEASE
from eksa_temporal.simulator import components
from eksa_temporal.simulator.controllers.inventory import Inventory
from eksa_temporal.simulator.controllers.reconcilers.docker import container_name
from tests.simulator.controllers import capi
from tests.simulator.controllers import harness as h
from tests.support.sim import SimServer

T = TypeVar("T")
Obj = dict[str, Any]
NS = capi.NS
CLUSTER_V = "cluster.x-k8s.io/v1beta1"
INFRA_V = "infrastructure.cluster.x-k8s.io/v1beta1"
CP_V = "controlplane.cluster.x-k8s.io/v1beta1"
BOOT_V = "bootstrap.cluster.x-k8s.io/v1beta1"
KIND_CLUSTER = "io.x-k8s.kind.cluster"
KIND_ROLE = "io.x-k8s.kind.role"
VERSION = "v1.31.2"


def until(fn: Callable[[], T | None], timeout: float = 60.0, what: str = "") -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.1)


def docker_cluster(name: str, owner: str, *, cp: int = 1, workers: int = 2) -> list[Obj]:
    """A cluster as the Docker provider renders one: DockerCluster, a KubeadmControlPlane
    and a MachineDeployment on DockerMachineTemplates (the workers' names do not start with
    the cluster's, so CAPD prefixes their containers)."""
    meta = {"namespace": NS}

    def template(tname: str) -> Obj:
        return {"apiVersion": INFRA_V, "kind": "DockerMachineTemplate", "metadata": {"name": tname, **meta},
                "spec": {"template": {"spec": {"extraMounts": [{
                    "containerPath": "/var/run/docker.sock", "hostPath": "/var/run/docker.sock"}]}}}}

    return [
        {"apiVersion": CLUSTER_V, "kind": "Cluster",
         "metadata": {"name": name, "labels": {OWNER_LABEL: owner}, **meta},
         "spec": {"clusterNetwork": {"pods": {"cidrBlocks": ["192.168.0.0/16"]},
                                     "services": {"cidrBlocks": ["10.96.0.0/12"]}},
                  "controlPlaneRef": {"apiVersion": CP_V, "kind": "KubeadmControlPlane", "name": name},
                  "infrastructureRef": {"apiVersion": INFRA_V, "kind": "DockerCluster", "name": name}}},
        {"apiVersion": INFRA_V, "kind": "DockerCluster", "metadata": {"name": name, **meta}, "spec": {}},
        template(f"{name}-control-plane-1"),
        {"apiVersion": CP_V, "kind": "KubeadmControlPlane", "metadata": {"name": name, **meta},
         "spec": {"replicas": cp, "version": VERSION,
                  "machineTemplate": {"infrastructureRef": {
                      "apiVersion": INFRA_V, "kind": "DockerMachineTemplate", "name": f"{name}-control-plane-1"}},
                  "kubeadmConfigSpec": {"clusterConfiguration": {}, "initConfiguration": {},
                                        "joinConfiguration": {}}}},
        template("workers-1"),
        {"apiVersion": BOOT_V, "kind": "KubeadmConfigTemplate", "metadata": {"name": "workers-1", **meta},
         "spec": {"template": {"spec": {"joinConfiguration": {}}}}},
        {"apiVersion": CLUSTER_V, "kind": "MachineDeployment", "metadata": {"name": "workers", **meta},
         "spec": {"clusterName": name, "replicas": workers, "selector": {"matchLabels": {}},
                  "template": {"spec": {
                      "clusterName": name, "version": VERSION,
                      "bootstrap": {"configRef": {"apiVersion": BOOT_V, "kind": "KubeadmConfigTemplate",
                                                  "name": "workers-1"}},
                      "infrastructureRef": {"apiVersion": INFRA_V, "kind": "DockerMachineTemplate",
                                            "name": "workers-1"}}}}},
    ]


def machines(kube: Kube) -> list[Obj]:
    items, _ = kube.list_objects(CLUSTER_V, "Machine", NS)
    return items


def running(kube: Kube, count: int) -> list[Obj] | None:
    ms = [m for m in machines(kube) if (m.get("status") or {}).get("phase") == "Running"]
    return ms if len(ms) == count else None


def test_a_capd_cluster_comes_up_behind_the_published_capd_components(
    sim_server: SimServer, upstream_components: Path, tmp_path: Path
) -> None:
    sim = sim_server.client
    sim.set_knobs(boot_seconds=0.1, deployment_ready_seconds=0.0)
    kube = kube_for(str(sim_server.kubeconfig("mgmt")))
    installer = CapiInstaller(kube, cache_dir=tmp_path / "cache", components_dir=str(upstream_components),
                              deployment_wait_seconds=60, progress=InstallCapiProgress())
    installed = installer.run(DEFAULT_RELEASE.plan("docker"))
    assert [p.name for p in installed][-1] == "infrastructure-docker"
    assert condition_true(kube.get("apps/v1", "Deployment", "capd-controller-manager", "capd-system"), "Available")

    kube.apply([capi.namespace(), *docker_cluster("c1", "owner-1", cp=1, workers=2)])
    up = until(lambda: running(kube, 3), what="three Running machines")

    # Machines and DockerMachines as CAPD reports them
    containers = {}
    for m in up:
        name, role = m["metadata"]["name"], "control-plane" if "cluster.x-k8s.io/control-plane" in (
            m["metadata"].get("labels") or {}) else "worker"
        dm = kube.get(INFRA_V, "DockerMachine", name, NS)
        assert dm is not None and dm["status"]["ready"] is True
        expected = name if name.startswith("c1") else f"c1-{name}"
        assert dm["spec"]["providerID"] == m["spec"]["providerID"] == f"docker:////{expected}"
        assert {"type": "Hostname", "address": expected} in dm["status"]["addresses"]
        assert condition_true(dm, "ContainerProvisioned")
        assert m["status"]["nodeRef"]["name"] == expected  # a kind node is named like its container
        containers[expected] = role
    assert sorted(containers.values()) == ["control-plane", "worker", "worker"]
    assert any(n.startswith("c1-workers-") for n in containers)
    dc = kube.get(INFRA_V, "DockerCluster", "c1", NS)
    assert dc is not None and dc["status"]["ready"] is True and condition_true(dc, "LoadBalancerAvailable")
    endpoint = dc["spec"]["controlPlaneEndpoint"]
    assert endpoint["host"] == "127.0.0.1" and endpoint["port"] > 0
    assert "dockercluster.infrastructure.cluster.x-k8s.io" in dc["metadata"]["finalizers"]

    # the admin API lists the containers with CAPD's labels (what `docker ps` shows)
    listed = {m["name"]: m for m in sim.machines({KIND_CLUSTER: "c1"}) if m["exists"]}
    assert set(listed) == {*containers, "c1-lb"}
    for name, m in listed.items():
        role = containers.get(name, "external-load-balancer")
        assert m["labels"] == {KIND_CLUSTER: "c1", KIND_ROLE: role, OWNER_LABEL: "owner-1"}
        assert m["provider_id"] == f"docker:////{name}" and m["owner"] == "owner-1"
        assert len(m["id"]) == 64 and m["state"] == "running"
    assert [m["name"] for m in sim.machines({KIND_CLUSTER: "c1", KIND_ROLE: "control-plane"})] == [
        n for n, r in containers.items() if r == "control-plane"]
    assert sim.machines({KIND_CLUSTER: "other"}) == []

    # `docker rm -f` of a worker's container: its machine fails, nothing crashes
    victim = next(n for n, r in containers.items() if r == "worker")
    assert sim.delete_machine(listed[victim]["id"]) is True
    assert sim.delete_machine(listed[victim]["id"]) is False
    machine_name = next(m["metadata"]["name"] for m in up if m["spec"]["providerID"] == f"docker:////{victim}")

    def unready() -> Obj | None:
        dm = kube.get(INFRA_V, "DockerMachine", machine_name, NS)
        return dm if dm is not None and dm["status"].get("ready") is False else None

    failed = until(unready, timeout=30, what="the DockerMachine unready")
    assert failed["status"]["failureReason"] and victim in failed["status"]["failureMessage"]
    assert not condition_true(failed, "ContainerProvisioned")
    until(lambda: (m := kube.get(CLUSTER_V, "Machine", machine_name, NS)) is None
          or (m.get("status") or {}).get("phase") in ("Failed", "Deleting") or None,
          timeout=30, what="the Machine failed")
    assert sim_server.process.poll() is None and sim.healthy()

    # deleting the Cluster removes every container of it, the load balancer too
    kube.delete(CLUSTER_V, "Cluster", "c1", NS)
    until(lambda: kube.get(CLUSTER_V, "Cluster", "c1", NS) is None, timeout=60, what="the Cluster gone")
    assert [m["name"] for m in sim.machines({KIND_CLUSTER: "c1"}) if m["exists"]] == []
    assert {m["state"] for m in sim.machines({KIND_CLUSTER: "c1"})} == {"deleted"}


def test_capd_kinds_wait_for_the_capd_controller_deployment(tmp_path: Path) -> None:
    store = h.open_store(tmp_path)
    capd_crds = [_crd(k) for k in ("DockerCluster", "DockerMachine", "DockerMachineTemplate")]
    h.install(store, "mgmt", crds=[*components.all_crds(), *capd_crds])
    h.apply(store, "mgmt", [capi.namespace(), *docker_cluster("c2", "o2", cp=1, workers=0)])

    async def scenario() -> None:
        async with h.running(store, tmp_path):
            await asyncio.sleep(0.5)
            dc = store.get("mgmt", INFRA_V, "DockerCluster", NS, "c2")
            assert dc is not None
            assert "status" not in dc or not dc["status"].get("ready")
            assert not (dc["metadata"].get("finalizers") or [])
            h.apply(store, "mgmt", [
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "capd-system"}},
                {"apiVersion": "apps/v1", "kind": "Deployment",
                 "metadata": {"name": "capd-controller-manager", "namespace": "capd-system"},
                 "spec": {"replicas": 1, "selector": {"matchLabels": {"a": "b"}},
                          "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": []}}}},
            ])
            await h.wait_for(lambda: (d := store.get("mgmt", INFRA_V, "DockerCluster", NS, "c2"))
                             and (d.get("status") or {}).get("ready"), what="DockerCluster ready")
            [m] = await h.wait_for(lambda: store.list("mgmt", CLUSTER_V, "Machine", NS), what="a Machine")
            name = m["metadata"]["name"]
            dm = await h.wait_for(lambda: (d := store.get("mgmt", INFRA_V, "DockerMachine", NS, name))
                                  and (d.get("spec") or {}).get("providerID") and d, what="a providerID")
            assert dm["spec"]["providerID"] == f"docker:////{name}"  # KCP c2's machines: c2-...

    asyncio.run(scenario())


def _crd(kind: str) -> Obj:
    plural = kind.lower() + "s"
    return {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.infrastructure.cluster.x-k8s.io"},
        "spec": {"group": "infrastructure.cluster.x-k8s.io", "scope": "Namespaced",
                 "names": {"kind": kind, "plural": plural, "singular": kind.lower(), "listKind": f"{kind}List"},
                 "versions": [{"name": "v1beta1", "served": True, "storage": True, "subresources": {"status": {}},
                               "schema": {"openAPIV3Schema": {"type": "object",
                                                              "x-kubernetes-preserve-unknown-fields": True}}}]},
    }


def test_capd_is_played_from_its_published_components_only(tmp_path: Path) -> None:
    comp = components.provider("docker")
    assert (comp.namespace, comp.deployment, comp.inventory_name) == (
        "capd-system", "capd-controller-manager", "infrastructure-docker")
    assert components.KIND_PROVIDER["DockerCluster"] == components.KIND_PROVIDER["DockerMachine"] == "docker"
    with pytest.raises(ValueError, match="published components"):
        components.manifests("docker")
    assert components.standin("docker") is None and "docker" not in components.versions()
    repo = components.write_repository(tmp_path / "repo")
    assert not (repo / "infrastructure-docker").exists()


def test_container_names_follow_capd() -> None:
    assert container_name("c1", "c1-control-plane-abcde") == "c1-control-plane-abcde"
    assert container_name("c1", "workers-7d9f-xk2lp") == "c1-workers-7d9f-xk2lp"


def test_an_inventory_from_before_names_and_labels_is_migrated(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "machines.db")
    db.executescript("""
        CREATE TABLE machines (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
            provider_id TEXT NOT NULL UNIQUE, cluster TEXT NOT NULL, machine TEXT NOT NULL,
            owner_key TEXT NOT NULL, state TEXT NOT NULL, created_at REAL NOT NULL,
            boot_at REAL NOT NULL, ready_at REAL, deleted_at REAL, fail INTEGER NOT NULL DEFAULT 0,
            failure TEXT);
        INSERT INTO machines (id, provider_id, cluster, machine, owner_key, state, created_at, boot_at)
            VALUES ('m1', 'sim://c/m1', 'c', 'c-md-0-x', 'k', 'running', 1, 1);
    """)
    db.commit()
    db.close()
    inv = Inventory(tmp_path)
    [old] = inv.list()
    assert (old["name"], old["labels"], old["owner"]) == ("c-md-0-x", {}, "")
    new = inv.begin(owner_key="k2", cluster="c", machine="c-cp-1", seed=0, boot_seconds=0,
                    jitter_seconds=0, failure_rate=0, scheme="docker", owner="o",
                    labels={KIND_CLUSTER: "c"})
    assert (new.name, new.provider_id, new.labels) == ("c-cp-1", "docker:////c-cp-1", {KIND_CLUSTER: "c"})
    inv.mark_deleted(new.id)
    again = inv.begin(owner_key="k3", cluster="c", machine="c-cp-1", seed=0, boot_seconds=0,
                      jitter_seconds=0, failure_rate=0, scheme="docker")
    assert again.id != new.id and again.provider_id == "docker:////c-cp-1"  # a name is reusable once gone
    assert inv.by_id(new.id).state == "deleted"  # type: ignore[union-attr]
    inv.close()


def test_cert_managers_readiness_probe_passes_in_its_own_namespace(tmp_path: Path) -> None:
    store = h.open_store(tmp_path)
    h.install(store, "mgmt")
    meta = {"namespace": "cert-manager-test"}
    probe = [
        capi.namespace("cert-manager-test"),
        {"apiVersion": "cert-manager.io/v1", "kind": "Issuer", "metadata": {"name": "test-selfsigned", **meta},
         "spec": {"selfSigned": {}}},
        {"apiVersion": "cert-manager.io/v1", "kind": "Certificate", "metadata": {"name": "selfsigned-cert", **meta},
         "spec": {"dnsNames": ["example.com"], "secretName": "selfsigned-cert-tls",
                  "issuerRef": {"name": "test-selfsigned"}}},
        {"apiVersion": "cert-manager.io/v1", "kind": "Issuer", "metadata": {"name": "acme", **meta},
         "spec": {"acme": {"server": "https://acme.invalid"}}},
    ]

    async def scenario() -> None:
        async with h.running(store, tmp_path):
            h.apply(store, "mgmt", probe)
            await h.wait_for(lambda: h.cond(store.get("mgmt", "cert-manager.io/v1", "Certificate",
                                                      "cert-manager-test", "selfsigned-cert"), "Ready"))
            await h.wait_for(lambda: h.cond(store.get("mgmt", "cert-manager.io/v1", "Issuer",
                                                      "cert-manager-test", "test-selfsigned"), "Ready"))
            acme = store.get("mgmt", "cert-manager.io/v1", "Issuer", "cert-manager-test", "acme")
            assert not h.cond(acme, "Ready")

    asyncio.run(scenario())
    assert store.get("mgmt", "v1", "Secret", "cert-manager-test", "selfsigned-cert-tls") is not None
