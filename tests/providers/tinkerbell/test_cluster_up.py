"""The provider's objects behind the published components: CAPT and the Tinkerbell stack
installed into a simulated bootstrap cluster, the inventory of a 3-host CSV applied (real
sushy-emulator BMCs, powered off first), the rendered CAPT objects applied - and the
simulated CAPT/Rufio controllers bring up 1 control plane + 1 worker on the hosts the
selectors choose, each claimed once, powered on through the BMC; the spare stays off. Once
the cluster exists (an upgrade, or a retry after the apply) only new hosts are applied and
nothing is powered off."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import SecretStr

from eksa_temporal.activities.capi_install import CapiInstaller
from eksa_temporal.activities.models import InstallCapiProgress
from eksa_temporal.kube.client import Kube, kube_for
from eksa_temporal.providers.base import RenderContext
from eksa_temporal.providers.capi.release import DEFAULT_RELEASE
from eksa_temporal.providers.tinkerbell.bmc import BmcTarget, power_state
from eksa_temporal.providers.tinkerbell.inventory import OWNER_NAME_LABEL
from eksa_temporal.providers.tinkerbell.provider import TinkerbellProvider
from tests.providers.tinkerbell.bmc_hosts import USER, BmcHosts, bmc_hosts, spec_with
from tests.providers.tinkerbell_bmc.emulator import SUSHY_EMULATOR
from tests.support.sim import SimServer

pytestmark = [
    pytest.mark.timeout(300),
    pytest.mark.skipif(not SUSHY_EMULATOR.exists(), reason="sushy-tools not installed"),
]
NS = "eksa-system"
LABELS = ["type=cp", "type=worker", "type=worker"]


@pytest.fixture
def hosts(tmp_path: Path) -> Iterator[BmcHosts]:
    with bmc_hosts(tmp_path / "bmcs", 3, power="Off", first=70) as running:
        yield running


def running_machines(kube: Kube, want: int) -> list[dict[str, Any]] | None:
    items, _ = kube.list_objects("cluster.x-k8s.io/v1beta1", "Machine", NS)
    up = [m for m in items if (m.get("status") or {}).get("nodeRef")]
    return up if len(up) >= want else None


def test_one_control_plane_and_one_worker_come_up_on_their_hosts(
    sim_server: SimServer, upstream_components: Path, hosts: BmcHosts, tmp_path: Path
) -> None:
    sim_server.client.set_knobs(boot_seconds=0.1, deployment_ready_seconds=0.0)
    kubeconfig = str(sim_server.kubeconfig("boot"))
    kube = kube_for(kubeconfig)
    provider = TinkerbellProvider(env=hosts.env, bmc_timeout=5.0)
    spec = spec_with(hosts.csv(hosts.rows(LABELS)))
    infra, *addons = provider.components(spec)
    CapiInstaller(
        kube,
        cache_dir=tmp_path / "cache",
        components_dir=str(upstream_components),
        deployment_wait_seconds=60,
        progress=InstallCapiProgress(),
        values=provider.component_variables(spec),
    ).run(DEFAULT_RELEASE.plan(infra.name, [a.name for a in addons]))

    kube.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}])
    provider.prepare_managing_cluster(spec, kubeconfig)
    kube.apply(provider.render_capi_objects(spec, RenderContext(namespace=NS)))

    deadline = time.monotonic() + 120
    while (up := running_machines(kube, 2)) is None:
        assert time.monotonic() < deadline, "two machines never got nodes:\n" + dump(kube, sim_server)
        time.sleep(1)
    assert len(up) == 2
    hardware, _ = kube.list_objects("tinkerbell.org/v1alpha1", "Hardware", NS)
    claimed = {
        h["metadata"]["name"]: h["metadata"]["labels"][OWNER_NAME_LABEL]
        for h in hardware
        if OWNER_NAME_LABEL in (h["metadata"].get("labels") or {})
    }
    assert "host-0" in claimed and len(claimed) == 2  # the cp host and one worker host
    assert len(set(claimed.values())) == 2  # each by its own machine
    spare = ({"host-1", "host-2"} - set(claimed)).pop()
    states = {f"host-{i}": power_state(target(hosts, i), timeout=5) for i in range(3)}
    assert states[spare] == "Off"
    assert all(states[h] == "On" for h in claimed), states

    # a retry of the step after the apply powers nothing off: machines may be claiming hosts
    assert provider.prepare_managing_cluster(spec, kubeconfig) == []
    assert power_state(target(hosts, 0), timeout=5) == "On"

    # an upgrade: without a CSV nothing to do; with a bigger CSV only the new host's
    # Hardware is applied (a host without a BMC here), nothing is powered off
    assert provider.prepare_managing_cluster(spec_with(None), kubeconfig) == []
    more = "host-3,,,,00:00:5e:00:54:03,10.0.0.24,255.255.255.0,10.0.0.254,8.8.8.8,type=worker,/dev/sda,"
    bigger = spec_with(hosts.csv([*hosts.rows(LABELS), more], "more.csv"))
    assert provider.prepare_managing_cluster(bigger, kubeconfig) == [
        "Hardware eksa-system/host-3 applied"
    ]


def target(hosts: BmcHosts, i: int) -> BmcTarget:
    return BmcTarget(f"host-{i}", hosts.bmcs[i].address, USER, SecretStr(hosts.password))


def dump(kube: Kube, sim: SimServer) -> str:
    """What the controllers made of the objects (for a failure message)."""
    out = []
    for av, kind in [
        ("cluster.x-k8s.io/v1beta1", "Cluster"),
        ("cluster.x-k8s.io/v1beta1", "Machine"),
        ("controlplane.cluster.x-k8s.io/v1beta1", "KubeadmControlPlane"),
        ("infrastructure.cluster.x-k8s.io/v1beta1", "TinkerbellMachine"),
        ("infrastructure.cluster.x-k8s.io/v1beta1", "TinkerbellCluster"),
        ("tinkerbell.org/v1alpha1", "Hardware"),
        ("bmc.tinkerbell.org/v1alpha1", "Job"),
        ("bmc.tinkerbell.org/v1alpha1", "Machine"),
        ("v1", "Event"),
    ]:
        items, _ = kube.list_objects(av, kind, NS)
        for i in items:
            meta = {k: v for k, v in i["metadata"].items() if k in ("name", "labels")}
            shown = {"meta": meta, "status": i.get("status"), "reason": i.get("reason"), "message": i.get("message")}
            out.append(yaml.safe_dump({kind: shown}))
    out.append(sim.log_path.read_text()[-3000:])
    return "\n".join(out)
