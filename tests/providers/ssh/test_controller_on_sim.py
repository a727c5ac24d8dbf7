"""The worker-side SSH controller against a real API server: the sim with the upstream
Cluster API components and our CRDs installed as clusterctl does, the rendered objects of
a 1 + 2 cluster applied, and the hosts played by recorded host access. Claims, readiness
and addresses go through the API server's status subresource; a claim on a stale object
is refused with a conflict; the sim registers each ready host's Node (named like the host,
at its address) and never writes an SSH status; deleting the Cluster resets every host and
removes the workload cluster."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from eksa_temporal.activities.capi_install import CapiInstaller
from eksa_temporal.activities.models import InstallCapiProgress
from eksa_temporal.kube.client import kube_for
from eksa_temporal.providers.base import RenderContext
from eksa_temporal.providers.capi.release import DEFAULT_RELEASE
from eksa_temporal.providers.ssh.controller import HostController, running
from eksa_temporal.providers.ssh.inventory import inventory
from eksa_temporal.providers.ssh.kubeapi import ClusterApi, Conflict
from eksa_temporal.providers.ssh.provider import SSHProvider
from tests.support.sim import SimServer

from .fakes import FakeAccess
from .specs import host, spec

T = TypeVar("T")
NS = "eksa-system"
INFRA_V = "infrastructure.cluster.x-k8s.io/v1beta1"
HOSTS = [host("cp-1", "10.1.0.1", "cp"), host("w-1", "10.1.0.4", "worker"), host("w-2", "10.1.0.5", "worker")]


def until(fn: Callable[[], T | None], what: str, timeout: float = 60.0) -> T:
    deadline = time.monotonic() + timeout
    while not (value := fn()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
    return value


def test_the_controller_provisions_and_releases_hosts_through_the_api_server(
    sim_server: SimServer, upstream_components: Path, tmp_path: Path
) -> None:
    sim_server.client.set_knobs(boot_seconds=0.1, deployment_ready_seconds=0.0)
    kubeconfig = str(sim_server.kubeconfig("mgmt"))
    kube = kube_for(kubeconfig)
    CapiInstaller(kube, cache_dir=tmp_path / "cache", components_dir=str(upstream_components),
                  deployment_wait_seconds=60, progress=InstallCapiProgress()).run(DEFAULT_RELEASE.plan("ssh"))
    cluster = spec("c1", hosts=HOSTS, control_plane=1, workers=2)
    kube.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}])
    kube.apply(SSHProvider().render_capi_objects(cluster, RenderContext(namespace=NS)))
    access = FakeAccess()
    api = ClusterApi(kube)

    def controller() -> HostController:  # one per activity, as the provider makes them
        return HostController(api, "c1", NS, inventory(cluster), access, endpoint={"host": "10.0.0.10", "port": 6443})

    def ready_machines() -> list[dict[str, Any]] | None:
        items, _ = kube.list_objects(INFRA_V, "SSHMachine", NS)
        return items if len(items) == 3 and all((m.get("status") or {}).get("ready") for m in items) else None

    with running(controller(), interval=0.2) as ctl:
        machines = until(ready_machines, "three ready SSHMachines")
        workload = kube_for(str(sim_server.kubeconfig("c1")))
        nodes = until(lambda: (n := workload.list_objects("v1", "Node")[0]) and len(n) == 3 and n, "three Nodes")
        ctl.check()
    by_host = {m["spec"]["hostName"]: m for m in machines}
    assert set(by_host) == {"cp-1", "w-1", "w-2"}
    assert by_host["cp-1"]["spec"]["hostSelector"] == {"matchLabels": {"type": "cp"}}
    for name, m in by_host.items():
        assert m["spec"]["providerID"] == f"ssh://{name}"
        assert access.of(name) == ["connect", "bootstrap"]
    addresses = {n["metadata"]["name"]: [a["address"] for a in n["status"]["addresses"] if a["type"] == "InternalIP"] for n in nodes}
    assert addresses == {"cp-1": ["10.1.0.1"], "w-1": ["10.1.0.4"], "w-2": ["10.1.0.5"]}
    ssh_cluster = kube.get(INFRA_V, "SSHCluster", "c1", NS)
    assert ssh_cluster is not None and ssh_cluster["status"]["ready"] is True
    assert ssh_cluster["spec"]["controlPlaneEndpoint"] == {"host": "10.0.0.10", "port": 6443}
    assert kube.get("cluster.x-k8s.io/v1beta1", "Cluster", "c1", NS)["status"]["infrastructureReady"] is True  # type: ignore[index]

    # a claim written against a stale read is refused by the API server
    stale = by_host["w-1"]
    api.merge_patch(INFRA_V, "SSHMachine", stale["metadata"]["name"], NS, {"metadata": {"labels": {"touched": "yes"}}})
    with pytest.raises(Conflict):
        api.merge_patch(INFRA_V, "SSHMachine", stale["metadata"]["name"], NS,
                        {"metadata": {"resourceVersion": stale["metadata"]["resourceVersion"]}, "spec": {"hostName": "w-2"}})

    # deleting the Cluster: every host reset, every SSHMachine gone, the workload cluster removed
    kube.delete("cluster.x-k8s.io/v1beta1", "Cluster", "c1", NS)
    with running(controller(), interval=0.2):
        until(lambda: kube.get("cluster.x-k8s.io/v1beta1", "Cluster", "c1", NS) is None, "the Cluster deleted")
    assert kube.list_objects(INFRA_V, "SSHMachine", NS)[0] == []
    for name in by_host:
        assert access.of(name) == ["connect", "bootstrap", "connect", "reset"]
    assert "c1" not in {c["name"] for c in sim_server.client.clusters()}
