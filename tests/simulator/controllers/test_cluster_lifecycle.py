"""A whole CAPI cluster reconciled by the simulated controllers against the real
in-process store: provisioning, readiness fields, Secrets, Nodes, quiescence, gates."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import yaml

from eksa_temporal.simulator.controllers.inventory import Inventory
from tests.simulator.controllers import capi
from tests.simulator.controllers import harness as h

CP_V = "controlplane.cluster.x-k8s.io/v1beta1"
INFRA_V = "infrastructure.cluster.x-k8s.io/v1beta1"


def _setup(tmp_path: Path, **kw: object) -> h.Store:
    store = h.open_store(tmp_path)
    h.install(store, "mgmt")
    h.apply(store, "mgmt", [capi.namespace(), *capi.cluster_objects("w1", **kw)])  # type: ignore[arg-type]
    return store


def test_a_cluster_becomes_available_with_a_node_per_machine(tmp_path: Path) -> None:
    store = _setup(tmp_path, cp=1, workers=2)

    async def scenario() -> None:
        async with h.running(store, tmp_path):
            await h.wait_for(lambda: h.cond(h.get(store, "mgmt", "Cluster", "w1"), "Available", v2=True), what="Cluster Available")

    asyncio.run(scenario())
    cluster = h.get(store, "mgmt", "Cluster", "w1")
    assert cluster is not None
    st = cluster["status"]
    assert st["infrastructureReady"] and st["controlPlaneReady"] and st["phase"] == "Provisioned"
    assert st["initialization"] == {"infrastructureProvisioned": True, "controlPlaneInitialized": True}
    for c in ("Ready", "ControlPlaneReady", "InfrastructureReady", "ControlPlaneInitialized"):
        assert h.cond(cluster, c), c
    for c in ("ControlPlaneAvailable", "WorkersAvailable", "InfrastructureReady"):
        assert h.cond(cluster, c, v2=True), c
    assert cluster["spec"]["controlPlaneEndpoint"] == {"host": "127.0.0.1", "port": 6480}

    kcp = h.get(store, "mgmt", "KubeadmControlPlane", "w1", av=CP_V)
    assert kcp is not None
    ks = kcp["status"]
    assert (ks["replicas"], ks["readyReplicas"], ks["updatedReplicas"], ks["upToDateReplicas"]) == (1, 1, 1, 1)
    assert ks["initialized"] and ks["ready"] and ks["version"] == "v1.31.2"
    assert all(h.cond(kcp, c) for c in ("Available", "Initialized", "Ready"))

    md = h.get(store, "mgmt", "MachineDeployment", "w1-md-0")
    assert md is not None
    assert (md["status"]["replicas"], md["status"]["readyReplicas"], md["status"]["availableReplicas"]) == (2, 2, 2)
    assert md["status"]["phase"] == "Running" and h.cond(md, "Available") and h.cond(md, "Ready")

    machines = store.list("mgmt", h.CLUSTER_V, "Machine", "eksa-system")
    assert len(machines) == 3
    nodes = {n["metadata"]["name"]: n for n in store.list("w1", "v1", "Node")}
    inventory = {r["provider_id"]: r for r in Inventory(tmp_path).list()}
    for m in machines:
        assert m["status"]["phase"] == "Running"
        assert m["status"]["bootstrapReady"] and m["status"]["infrastructureReady"]
        node = nodes[m["status"]["nodeRef"]["name"]]
        assert node["spec"]["providerID"] == m["spec"]["providerID"]
        assert inventory[m["spec"]["providerID"]]["exists"] is True
        assert m["spec"]["providerID"].startswith("sim://w1/")
        assert node["status"]["nodeInfo"]["kubeletVersion"] == "v1.31.2"
        assert any(c["type"] == "Ready" and c["status"] == "True" for c in node["status"]["conditions"])
        is_cp = "cluster.x-k8s.io/control-plane" in m["metadata"]["labels"]
        assert ("node-role.kubernetes.io/control-plane" in node["metadata"]["labels"]) == is_cp
        data = store.get("mgmt", "v1", "Secret", "eksa-system", m["spec"]["bootstrap"]["dataSecretName"])
        assert data is not None
        text = base64.b64decode(data["data"]["value"]).decode()
        assert ("kubeadm init" in text) == is_cp and text.startswith("## template: jinja\n#cloud-config")


def test_the_cluster_secrets_exist_labelled_and_owned(tmp_path: Path) -> None:
    store = _setup(tmp_path, cp=1, workers=0)

    async def scenario() -> None:
        async with h.running(store, tmp_path):
            await h.wait_for(lambda: store.get("mgmt", "v1", "Secret", "eksa-system", "w1-kubeconfig"), what="kubeconfig")

    asyncio.run(scenario())
    kcp = h.get(store, "mgmt", "KubeadmControlPlane", "w1", av=CP_V)
    assert kcp is not None
    for purpose in ("kubeconfig", "ca", "etcd", "sa", "proxy"):
        secret = store.get("mgmt", "v1", "Secret", "eksa-system", f"w1-{purpose}")
        assert secret is not None, purpose
        assert secret["metadata"]["labels"]["cluster.x-k8s.io/cluster-name"] == "w1"
        assert secret["metadata"]["ownerReferences"][0]["uid"] == kcp["metadata"]["uid"]
    kc = store.get("mgmt", "v1", "Secret", "eksa-system", "w1-kubeconfig")
    assert kc is not None
    cfg = yaml.safe_load(base64.b64decode(kc["data"]["value"]))
    assert cfg["clusters"][0]["cluster"]["server"].endswith("/clusters/w1")
    assert cfg["current-context"] == "w1-admin@w1"
    ca = store.get("mgmt", "v1", "Secret", "eksa-system", "w1-ca")
    assert ca is not None and b"BEGIN CERTIFICATE" in base64.b64decode(ca["data"]["tls.crt"])


def test_the_controllers_go_quiet_once_the_cluster_is_ready(tmp_path: Path) -> None:
    store = _setup(tmp_path, cp=1, workers=2)

    async def scenario() -> tuple[int, int]:
        async with h.running(store, tmp_path) as manager:
            await h.wait_for(lambda: h.cond(h.get(store, "mgmt", "Cluster", "w1"), "Available", v2=True))
            await asyncio.sleep(0.3)
            settled = manager.reconciles
            await asyncio.sleep(1.0)
            return settled, manager.reconciles

    settled, later = asyncio.run(scenario())
    assert later == settled, f"{later - settled} reconciles in a second of a ready cluster"


def test_nothing_reconciles_until_the_controller_deployments_are_available(tmp_path: Path) -> None:
    store = h.open_store(tmp_path)
    h.install(store, "mgmt", deployments=False)
    h.apply(store, "mgmt", [capi.namespace(), *capi.cluster_objects("w1")])

    async def scenario() -> None:
        async with h.running(store, tmp_path):
            await asyncio.sleep(0.4)
            cluster = h.get(store, "mgmt", "Cluster", "w1")
            assert cluster is not None and not cluster.get("status")
            assert "w1" not in store.clusters()
            h.install(store, "mgmt")  # now with the Deployments
            await h.wait_for(lambda: h.cond(h.get(store, "mgmt", "Cluster", "w1"), "Available", v2=True))

    asyncio.run(scenario())


def test_a_paused_cluster_is_left_alone_until_unpaused(tmp_path: Path) -> None:
    store = _setup(tmp_path, paused=True)

    async def scenario() -> None:
        async with h.running(store, tmp_path):
            await asyncio.sleep(0.4)
            assert not store.list("mgmt", h.CLUSTER_V, "Machine", "eksa-system")
            sc = h.get(store, "mgmt", "SimCluster", "w1", av=INFRA_V)
            assert sc is not None and not sc.get("status")
            store.patch("mgmt", h.CLUSTER_V, "Cluster", "eksa-system", "w1", {"spec": {"paused": None}})
            await h.wait_for(lambda: h.cond(h.get(store, "mgmt", "Cluster", "w1"), "Available", v2=True))

    asyncio.run(scenario())


def test_an_apps_deployment_becomes_available_after_the_configured_delay(tmp_path: Path) -> None:
    store = h.open_store(tmp_path)
    store.create_virtual_cluster("c1")
    knobs = h.Knobs(deployment_ready_seconds=1.5)
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
           "spec": {"replicas": 2, "selector": {"matchLabels": {"a": "b"}},
                    "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}}

    async def scenario() -> None:
        async with h.running(store, tmp_path, lambda: knobs):
            store.create("c1", dep)
            await asyncio.sleep(0.3)
            early = store.get("c1", "apps/v1", "Deployment", "default", "web")
            assert early is not None and not h.cond(early, "Available")
            done = await h.wait_for(
                lambda: (d := store.get("c1", "apps/v1", "Deployment", "default", "web")) and h.cond(d, "Available") and d,
                timeout=5,
            )
            assert done["status"]["availableReplicas"] == 2

    asyncio.run(scenario())


def test_a_cert_manager_certificate_becomes_ready_with_its_secret(tmp_path: Path) -> None:
    store = h.open_store(tmp_path)
    h.install(store, "mgmt")
    h.apply(store, "mgmt", [capi.namespace("probe")])
    cert = {"apiVersion": "cert-manager.io/v1", "kind": "Certificate", "metadata": {"name": "t", "namespace": "probe"},
            "spec": {"secretName": "t-tls", "dnsNames": ["x.local"], "issuerRef": {"name": "selfsigned"}}}

    async def scenario() -> None:
        async with h.running(store, tmp_path):
            store.create("mgmt", cert)
            await h.wait_for(lambda: h.cond(store.get("mgmt", "cert-manager.io/v1", "Certificate", "probe", "t"), "Ready"))

    asyncio.run(scenario())
    secret = store.get("mgmt", "v1", "Secret", "probe", "t-tls")
    assert secret is not None and b"BEGIN CERTIFICATE" in base64.b64decode(secret["data"]["tls.crt"])
