"""The provider's objects behind the published components: CAPC v0.6.1 installed into a
simulated bootstrap cluster as published, the rendered CAPC objects applied - the
CloudStackCluster waits (FailureDomainsReady false) until its failure domain's
credentials Secret exists; once the provider applies it, the simulated CAPC brings up
1 control plane + 1 worker as VMs deployed in the API emulator, whose nodes carry CAPC's
``cloudstack:///<VM id>`` provider IDs; deleting the Cluster destroys the VMs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from eksa_temporal.activities.capi_install import CapiInstaller
from eksa_temporal.activities.models import InstallCapiProgress
from eksa_temporal.kube.client import Kube, kube_for
from eksa_temporal.providers.base import RenderContext
from eksa_temporal.providers.capi.release import DEFAULT_RELEASE
from eksa_temporal.providers.cloudstack.provider import CloudStackProvider
from tests.providers.cloudstack.emulator import CloudStackServer, cloudstack_api
from tests.providers.cloudstack.fixtures import cloudstack_spec, credentials_env
from tests.support.sim import SimServer

pytestmark = pytest.mark.timeout(300)
NS = "eksa-system"
CAPC_V = "infrastructure.cluster.x-k8s.io/v1beta3"


@pytest.fixture
def server() -> Iterator[CloudStackServer]:
    with cloudstack_api("127.0.13.3") as srv:
        yield srv


def wait(what: str, probe: Any, seconds: float = 90) -> Any:
    deadline = time.monotonic() + seconds
    while not (value := probe()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)
    return value


def machines_with_nodes(kube: Kube, want: int) -> list[dict[str, Any]] | None:
    items, _ = kube.list_objects("cluster.x-k8s.io/v1beta1", "Machine", NS)
    up = [m for m in items if (m.get("status") or {}).get("nodeRef")]
    return up if len(up) >= want else None


def test_capc_objects_come_up_once_the_failure_domain_secret_exists(
    sim_server: SimServer, upstream_components: Path, server: CloudStackServer, tmp_path: Path
) -> None:
    sim_server.client.set_knobs(boot_seconds=0.1, deployment_ready_seconds=0.0)
    kubeconfig = str(sim_server.kubeconfig("boot"))
    kube = kube_for(kubeconfig)
    provider = CloudStackProvider(env=credentials_env(server))
    spec = cloudstack_spec(server.url)
    [infra] = provider.components(spec)
    CapiInstaller(
        kube,
        cache_dir=tmp_path / "cache",
        components_dir=str(upstream_components),
        deployment_wait_seconds=60,
        progress=InstallCapiProgress(),
        values=provider.component_variables(spec),
    ).run(DEFAULT_RELEASE.plan(infra.name))
    assert kube.serves(CAPC_V, "CloudStackCluster")

    kube.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}])
    kube.apply(provider.render_capi_objects(spec, RenderContext(namespace=NS)))

    def waiting() -> bool:
        csc = kube.get(CAPC_V, "CloudStackCluster", "cs1", NS) or {}
        conds = {c["type"]: c for c in (csc.get("status") or {}).get("conditions") or []}
        fd = conds.get("FailureDomainsReady") or {}
        return fd.get("status") == "False" and "Secret eksa-system/global not found" in fd.get("message", "")

    wait("the cluster to wait for its credentials", waiting)
    assert machines_with_nodes(kube, 1) is None

    assert provider.prepare_managing_cluster(spec, kubeconfig) == ["Secret eksa-system/global"]
    up = wait("two machines with nodes", lambda: machines_with_nodes(kube, 2), 120)
    ids = {m["spec"].get("providerID", "") for m in up}
    assert len(ids) == 2 and all(i.startswith("cloudstack:///") and len(i) == len("cloudstack:///") + 36 for i in ids), ids
    csms, _ = kube.list_objects(CAPC_V, "CloudStackMachine", NS)
    assert {m["spec"]["providerID"] for m in csms} == ids
    # each machine is a VM deployed through the signed API, named like its CloudStackMachine
    vms = server.inventory.tables["virtualmachines"]
    assert {f"cloudstack:///{vm['id']}" for vm in vms} == ids
    assert {vm["name"] for vm in vms} == {m["metadata"]["name"] for m in csms}
    # applied again: nothing changes
    assert provider.prepare_managing_cluster(spec, kubeconfig) == ["Secret eksa-system/global"]

    # deleting the cluster destroys the VMs
    kube.delete("cluster.x-k8s.io/v1beta1", "Cluster", "cs1", NS)
    wait("the VMs to be destroyed", lambda: not server.inventory.tables["virtualmachines"], 120)
    assert "destroyVirtualMachine" in server.commands()
