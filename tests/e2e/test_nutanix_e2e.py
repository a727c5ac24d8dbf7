"""The Nutanix provider end to end through the workflows: Prism Central is the v3 emulator
(``tests/providers/nutanix/emulator.py``: HTTPS on 127.0.14.2 with a per-run CA given as
``additionalTrustBundle``, basic auth with a password generated per run), the kind
stand-in makes the bootstrap cluster, the upstream Cluster API and CAPX v1.10.3 components
of ``../shared/upstream-components`` are installed as they are, and the simulator plays
CAPX's controllers. A create (1 control plane + 1 worker), an upgrade (Kubernetes 1.31 ->
1.32, 1 -> 2 workers) and a delete, each machine a VM the stand-in made in Prism Central
(replaced VMs deleted, none left after the delete); the password is in no history, no log line, no file
of the cluster folder, no support bundle and no object of the cluster's namespace but the
credentials Secret rendered for the cluster."""

from __future__ import annotations

import base64
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from eksa_temporal.activities.diagnostics import DiagnosticsActivities
from eksa_temporal.activities.models import SupportBundleInput
from eksa_temporal.kube.client import condition_true, kube_for
from eksa_temporal.providers.registry import Registry, load_spec_plugins
from eksa_temporal.workflows.models import (
    CreateClusterInput,
    CreateClusterResult,
    DeleteClusterInput,
    DeleteClusterResult,
    UpgradeClusterInput,
    UpgradeClusterResult,
)
from tests.providers.nutanix.emulator import PrismCentral, prism_central, standard_inventory
from tests.providers.nutanix.specs import spec_documents, spec_text
from tests.support.sim import SimServer
from tests.support.standins import STANDINS_BIN, Standins

from .conftest import Stack
from .secrets import assert_no_secrets, decoded_history, secrets_of
from .test_crash_recovery import node_versions
from .test_lifecycle_e2e import E2E, kubectl_nodes

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(240)]
NS = "eksa-system"
# the objects of the cluster in eksa-system, by API version and kind
KINDS = (
    ("v1", "ConfigMap"),
    ("cluster.x-k8s.io/v1beta1", "Cluster"),
    ("cluster.x-k8s.io/v1beta1", "MachineDeployment"),
    ("cluster.x-k8s.io/v1beta1", "MachineHealthCheck"),
    ("controlplane.cluster.x-k8s.io/v1beta1", "KubeadmControlPlane"),
    ("bootstrap.cluster.x-k8s.io/v1beta1", "KubeadmConfigTemplate"),
    ("infrastructure.cluster.x-k8s.io/v1beta1", "NutanixCluster"),
    ("infrastructure.cluster.x-k8s.io/v1beta1", "NutanixMachineTemplate"),
)


@pytest.fixture
def nutanix_env(
    sim: SimServer, tmp_path: Path, upstream_components: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[PrismCentral]:
    """Prism Central with the spec example's inventory, its credentials in the worker's
    environment, the stand-ins on PATH and the upstream components as the component source
    (all set before ``stack`` builds its worker)."""
    standins = Standins(STANDINS_BIN, tmp_path / "standin-calls.jsonl", sim)
    for key, value in standins.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("EKSA_COMPONENTS_SOURCE", str(upstream_components))
    load_spec_plugins()
    with prism_central(tmp_path / "prism") as pc:
        standard_inventory(pc)
        monkeypatch.setenv("EKSA_NUTANIX_USERNAME", pc.username)
        monkeypatch.setenv("EKSA_NUTANIX_PASSWORD", pc.password)
        yield pc


def spec(pc: PrismCentral, name: str, *, version: str = "1.31", workers: int = 1) -> str:
    return spec_text(spec_documents(pc, name, version=version, workers=workers))


def objects_text(kubeconfig: str) -> tuple[str, list[str]]:
    """Every object of the cluster's kinds in eksa-system as JSON text, and the names of
    the Secrets there holding a ``credentials`` key."""
    kube = kube_for(kubeconfig)
    found: list[Any] = []
    for api_version, kind in KINDS:
        items, _ = kube.list_objects(api_version, kind, NS)
        found += items
    secrets, _ = kube.list_objects("v1", "Secret", NS)
    holders = [s["metadata"]["name"] for s in secrets if "credentials" in (s.get("data") or {})]
    return json.dumps(found), holders


def vm_uuid(vm: dict[str, Any]) -> str:
    return str(vm["metadata"]["uuid"])


def tarball_text(path: Path) -> str:
    """Every file of a support bundle, as one text."""
    texts: list[str] = []
    with tarfile.open(path) as tar:
        for member in tar.getmembers():
            f = tar.extractfile(member) if member.isfile() else None
            if f is not None:
                texts.append(f.read().decode(errors="replace"))
    return "\n".join(texts)


async def test_nutanix_create_upgrade_and_delete_against_prism_central(
    nutanix_env: PrismCentral, stack: Stack
) -> None:
    pc, lc, name = nutanix_env, stack.lc, "nx"
    ids: dict[str, str] = pc.ids
    workdir = stack.workdir(name)
    runs: list[str] = []
    with capture_logs() as logs:
        ref = await lc.start_create(
            CreateClusterInput(spec_yaml=spec(pc, name), workdir=workdir, timeouts=E2E)
        )
        runs.append(ref.workflow_id)
        created = await lc.wait(ref.workflow_id)
        assert isinstance(created, CreateClusterResult)
        kubeconfig = created.kubeconfig_path or ""
        nodes = kubectl_nodes(kubeconfig)
        assert len(nodes) == 2
        kube = kube_for(kubeconfig)
        capx = kube.get("apps/v1", "Deployment", "capx-controller-manager", "capx-system")
        assert condition_true(capx, "Available")
        # CAPX's manifest variables came from the datacenter (its own default Prism Central)
        endpoint = kube.get("v1", "ConfigMap", "capx-nutanix-endpoint", "capx-system") or {}
        prism = json.loads(endpoint["data"]["prismCentral"])
        assert (prism["address"], prism["port"], prism["insecure"]) == (pc.ip, pc.port, False)
        trusted = kube.get("v1", "ConfigMap", "capx-pc-trusted-ca-bundle", "capx-system") or {}
        assert base64.b64decode(trusted["binaryData"]["ca.crt"]).decode() == pc.ca_pem
        nc = kube.get("infrastructure.cluster.x-k8s.io/v1beta1", "NutanixCluster", name, NS)
        assert nc is not None and nc["spec"]["prismCentral"]["address"] == pc.ip
        assert condition_true(nc, "PrismCentralClientInitialized"), json.dumps(nc.get("status"))
        # CAPX's credentials Secret moved along with its owner into the new cluster
        secret = kube.get("v1", "Secret", f"capx-{name}", NS)
        assert secret is not None and any(
            r["kind"] == "NutanixCluster" for r in secret["metadata"].get("ownerReferences") or []
        )
        # the cloud controller manager's ClusterResourceSet and what it applies moved too
        crs = kube.get("addons.cluster.x-k8s.io/v1beta1", "ClusterResourceSet", f"{name}-nutanix-ccm-crs", NS)
        assert crs is not None and crs["spec"]["clusterSelector"]["matchLabels"] == {"cluster.x-k8s.io/cluster-name": name}
        assert kube.get("v1", "ConfigMap", f"{name}-nutanix-ccm", NS) is not None
        ccm_secret = kube.get("v1", "Secret", f"{name}-nutanix-ccm-secret", NS)
        assert ccm_secret is not None and ccm_secret.get("type") == "addons.cluster.x-k8s.io/resource-set"
        # each machine is a VM in Prism Central, on its cluster, with CAPX's category
        vms = pc.entities("vms")
        assert {f"nutanix://{vm_uuid(v)}" for v in vms} == set(node_versions(Path(kubeconfig))), vms
        assert all(
            v["metadata"]["categories"] == {f"kubernetes-io-cluster-{name}": "owned"} for v in vms
        )
        assert {v["spec"]["cluster_reference"]["uuid"] for v in vms} == {ids["prism-element"]}
        # Prism Central was asked for real, with the credentials
        assert ("POST", "/api/nutanix/v3/images/list") in pc.requests and pc.failed_logins == 0

        ref = await lc.start_upgrade(
            UpgradeClusterInput(
                spec_yaml=spec(pc, name, version="1.32", workers=2), workdir=workdir, timeouts=E2E
            )
        )
        runs.append(ref.workflow_id)
        assert isinstance(await lc.wait(ref.workflow_id), UpgradeClusterResult)
        versions = node_versions(Path(kubeconfig))
        assert len(versions) == 3 and all(v.startswith("v1.32") for v in versions.values()), (
            versions
        )
        assert {f"nutanix://{vm_uuid(v)}" for v in pc.entities("vms")} == set(
            versions
        )  # old VMs deleted
        text, holders = objects_text(kubeconfig)
        bundle = DiagnosticsActivities(Registry(stack.sim.state_dir)).collect_support_bundle(
            SupportBundleInput(
                cluster_name=name, provider="nutanix", spec_yaml=spec(pc, name), workdir=workdir
            )
        )
        assert bundle.clusters == ["cluster"], bundle
        bundled = tarball_text(Path(bundle.bundle_path))
        assert "NutanixCluster" in bundled

        ref = await lc.start_delete(
            DeleteClusterInput(
                spec_yaml=spec(pc, name, version="1.32", workers=2), workdir=workdir, timeouts=E2E
            )
        )
        runs.append(ref.workflow_id)
        assert isinstance(await lc.wait(ref.workflow_id), DeleteClusterResult)

    assert {c["name"] for c in stack.sim.client.clusters()} & {
        name,
        f"{name}-eks-a-cluster",
    } == set()
    assert [m for m in stack.sim.client.machines() if m["cluster"] == name and m["exists"]] == []
    # the password: only in the credentials Secrets (CAPX's; the CCM's, wrapped), nowhere else
    assert holders == [f"capx-{name}"], holders
    secrets = secrets_of(stack.sim.state_dir) | {"Prism Central password": pc.password}
    assert_no_secrets(text, secrets, where="the cluster's objects")
    assert_no_secrets(bundled, secrets, where="the support bundle")
    for workflow_id in runs:
        assert_no_secrets(await decoded_history(stack.client, workflow_id), secrets)
    assert_no_secrets(
        "\n".join(json.dumps(entry, default=str) for entry in logs), secrets, where="the log"
    )
    sim_log = stack.sim.log_path.read_text(errors="replace")  # the CAPX stand-in read the Secret
    assert_no_secrets(sim_log, {"Prism Central password": pc.password}, where="the sim's log")
    for path in Path(workdir).parent.rglob("*"):
        if path.is_file():
            assert_no_secrets(path.read_text(errors="replace"), secrets, where=str(path))
