"""Before provisioning: every host powered off through its BMC (real sushy-emulator BMCs),
and the Hardware, BMC Machine and auth Secret objects applied to the managing cluster (a
simulated cluster serving the tink and Rufio CRDs) - read first, so a second run changes
nothing; a host a machine claimed is never powered off; the password reaches the Secret
and nothing else."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sushy
from pydantic import SecretStr
from structlog.testing import capture_logs

from eksa_temporal.kube.client import Kube, condition_true, kube_for
from eksa_temporal.providers.capi.fetch import parse_manifests
from eksa_temporal.providers.tinkerbell.bmc import BmcTarget, power_state
from eksa_temporal.providers.tinkerbell.hardware import parse_csv
from eksa_temporal.providers.tinkerbell.inventory import (
    OWNER_NAME_LABEL,
    bmc_connection,
    bmc_machine,
)
from eksa_temporal.providers.tinkerbell.preflight import redfish_url
from eksa_temporal.providers.tinkerbell.provider import TinkerbellProvider
from tests.providers.tinkerbell.bmc_hosts import USER, BmcHosts, bmc_hosts, spec_with
from tests.providers.tinkerbell_bmc.emulator import SUSHY_EMULATOR
from tests.support.paths import shared_path
from tests.support.sim import SimServer, sim_server  # noqa: F401  (pytest fixture)
from tests.vsphere.crd_schema import problems

pytestmark = [
    pytest.mark.timeout(240),
    pytest.mark.skipif(not SUSHY_EMULATOR.exists(), reason="sushy-tools not installed"),
]
LABELS = ["type=cp", "type=worker", "type=worker"]
NS = "eksa-system"


@pytest.fixture
def hosts(tmp_path: Path) -> Iterator[BmcHosts]:
    with bmc_hosts(tmp_path / "bmcs", 3, first=50) as running:
        yield running


def with_stack_crds(kube: Kube) -> Kube:
    """The tink and Rufio CRDs, Established (no controllers: nothing reconciles)."""
    crds = []
    for name in ("tink-v0.12.2.yaml", "rufio-v0.6.5.yaml"):
        text = shared_path("upstream-components", "tinkerbell-stack", name).read_text()
        crds += [d for d in parse_manifests(text) if d["kind"] == "CustomResourceDefinition"]
    kube.apply(crds)
    for crd in crds:
        kube.wait_for(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            crd["metadata"]["name"],
            None,
            lambda o: condition_true(o, "Established"),
            timeout=60,
        )
    return kube


def rufio_schema() -> dict[str, Any]:
    text = shared_path("upstream-components", "tinkerbell-stack", "rufio-v0.6.5.yaml").read_text()
    crd = next(
        d
        for d in parse_manifests(text)
        if d["kind"] == "CustomResourceDefinition" and d["spec"]["names"]["kind"] == "Machine"
    )
    return dict(crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"])


def machine_wanted(hosts: BmcHosts) -> dict[str, Any]:
    machines, _ = parse_csv(Path(hosts.csv(hosts.rows(LABELS), "schema.csv").path).read_text())
    return bmc_machine(machines[1], lambda ip: redfish_url(ip, hosts.env))


def target(hosts: BmcHosts, i: int) -> BmcTarget:
    return BmcTarget(f"host-{i}", hosts.bmcs[i].address, USER, SecretStr(hosts.password))


def power_on(hosts: BmcHosts, i: int) -> None:
    em = hosts.bmcs[i]
    root = sushy.Sushy(
        em.address, auth=sushy.auth.BasicAuth(username=USER, password=hosts.password)
    )
    root.get_system_collection().get_members()[0].reset_system(sushy.RESET_ON)


def states(hosts: BmcHosts) -> list[str]:
    return [power_state(target(hosts, i), timeout=5) for i in range(len(hosts.bmcs))]


def settled(hosts: BmcHosts, want: list[str]) -> list[str]:
    """The power states once they equal ``want`` (the fake driver applies a change after
    1-11 s), or as they are after 30 s."""
    deadline = time.monotonic() + 30
    while (now := states(hosts)) != want and time.monotonic() < deadline:
        time.sleep(0.5)
    return now


def test_bootstrap_hook_powers_every_host_off_once(hosts: BmcHosts, sim_server: SimServer) -> None:  # noqa: F811
    provider = TinkerbellProvider(env=hosts.env, bmc_timeout=5.0)
    spec = spec_with(hosts.csv(hosts.rows(LABELS)))
    kubeconfig = str(sim_server.kubeconfig("boot"))
    assert states(hosts) == ["On", "On", "On"]
    done = provider.prepare_bootstrap_cluster(spec, kubeconfig)
    assert sorted(done) == [f"host host-{i} powered off" for i in range(3)]
    assert settled(hosts, ["Off", "Off", "Off"]) == ["Off", "Off", "Off"]
    assert provider.prepare_bootstrap_cluster(spec, kubeconfig) == []


def test_inventory_is_applied_once_and_claimed_hosts_stay_on(
    hosts: BmcHosts,
    sim_server: SimServer,  # noqa: F811
) -> None:
    provider = TinkerbellProvider(env=hosts.env, bmc_timeout=5.0)
    spec = spec_with(hosts.csv(hosts.rows(LABELS)))
    kubeconfig = str(sim_server.kubeconfig("mgmt"))
    kube = with_stack_crds(kube_for(kubeconfig))
    with capture_logs() as logs:
        done = provider.prepare_managing_cluster(spec, kubeconfig)
    assert hosts.password not in repr(logs)
    applied = [d for d in done if d.endswith("applied")]
    assert len(applied) == 9, done  # Hardware, BMC Machine, Secret per host
    assert sorted(d for d in done if "powered off" in d) == [
        f"host host-{i} powered off" for i in range(3)
    ]

    hardware = kube.get("tinkerbell.org/v1alpha1", "Hardware", "host-1", NS)
    assert hardware is not None and hardware["metadata"]["labels"] == {"type": "worker"}
    assert hardware["spec"]["bmcRef"]["name"] == "bmc-host-1"
    machine = kube.get("bmc.tinkerbell.org/v1alpha1", "Machine", "bmc-host-1", NS)
    assert machine is not None
    connection = machine["spec"]["connection"]
    assert connection["host"] == f"http://{hosts.bmcs[1].ip}"  # the Redfish URL's scheme and port
    assert connection["providerOptions"] == {"redfish": {"port": hosts.port}}
    assert problems(machine_wanted(hosts), rufio_schema()) == []
    secret = kube.get("v1", "Secret", "bmc-host-1-auth", NS)
    assert secret is not None
    assert base64.b64decode(secret["data"]["password"]).decode() == hosts.password
    assert base64.b64decode(secret["data"]["username"]).decode() == USER

    assert settled(hosts, ["Off", "Off", "Off"]) == ["Off", "Off", "Off"]
    assert provider.prepare_managing_cluster(spec, kubeconfig) == []  # read first: no change

    # a machine claimed host-0 (CAPT's owner label) and both it and host-1 were powered on
    kube.merge_patch(
        "tinkerbell.org/v1alpha1",
        "Hardware",
        "host-0",
        NS,
        {"metadata": {"labels": {OWNER_NAME_LABEL: "demo-control-plane-abc"}}},
    )
    power_on(hosts, 0)
    power_on(hosts, 1)
    assert settled(hosts, ["On", "On", "Off"]) == ["On", "On", "Off"]
    assert provider.prepare_managing_cluster(spec, kubeconfig) == ["host host-1 powered off"]
    assert settled(hosts, ["On", "Off", "Off"]) == ["On", "Off", "Off"]
    claimed = kube.get("tinkerbell.org/v1alpha1", "Hardware", "host-0", NS)
    assert claimed is not None
    assert claimed["metadata"]["labels"][OWNER_NAME_LABEL] == "demo-control-plane-abc"


def test_the_bmc_connection_follows_the_redfish_url() -> None:
    assert bmc_connection("https://10.0.1.5") == {"host": "10.0.1.5"}  # EKS-A's object
    assert bmc_connection("https://10.0.1.5:8443") == {
        "host": "10.0.1.5",
        "providerOptions": {"redfish": {"port": 8443}},
    }
    assert bmc_connection("http://127.0.0.9:8000") == {
        "host": "http://127.0.0.9",
        "providerOptions": {"redfish": {"port": 8000}},
    }
