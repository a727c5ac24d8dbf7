"""The CloudStack provider end to end through the workflows: the CloudStack API emulator
on 127.0.13.4 (an api key and secret key generated for this run, passed to the worker only
as ``EKSA_CLOUDSTACK_B64ENCODED_SECRET``), the kind stand-in for the bootstrap cluster,
Cluster API and CAPC v0.6.1 installed from ``../shared/upstream-components`` as published,
the simulator playing CAPC. Create 1 control plane + 1 worker (preflight against the
emulator: signed requests for zones, domain, account, network, templates, offerings), the
failure-domain Secret moved into the new management cluster with the cluster, nodes with
CAPC's ``cloudstack:///`` provider IDs, each a VM the CAPC stand-in deployed through the
emulator; upgrade to Kubernetes 1.32 (its template) and 2 workers, rolled
onto new VMs; delete (every VM destroyed). Neither key appears in
any decoded history, in the worker's log output, in any file of the cluster folder, in a
support bundle, nor in any object of the management cluster other than the credentials Secret."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from eksa_temporal.activities.diagnostics import collect
from eksa_temporal.kube.client import kube_for
from eksa_temporal.providers.cloudstack.credentials import SECRET_ENV
from eksa_temporal.providers.registry import load_spec_plugins
from eksa_temporal.workflows.models import (
    CreateClusterInput,
    CreateClusterResult,
    DeleteClusterInput,
    DeleteClusterResult,
    UpgradeClusterInput,
    UpgradeClusterResult,
)
from tests.providers.cloudstack.emulator import CloudStackServer, cloudstack_api
from tests.providers.cloudstack.fixtures import credentials_env, spec_docs, spec_text
from tests.support.sim import SimServer
from tests.support.standins import STANDINS_BIN, Standins

from .conftest import Stack
from .secrets import assert_no_secrets, decoded_history, secrets_of
from .test_crash_recovery import node_versions
from .test_lifecycle_e2e import E2E

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(300)]
NS = "eksa-system"
CAPC_V = "infrastructure.cluster.x-k8s.io/v1beta3"
ENDPOINT = "127.0.13.201"
# what the management cluster holds of the cluster, besides the credentials Secret
KINDS = [
    ("cluster.x-k8s.io/v1beta1", "Cluster"),
    ("cluster.x-k8s.io/v1beta1", "MachineDeployment"),
    ("cluster.x-k8s.io/v1beta1", "Machine"),
    ("controlplane.cluster.x-k8s.io/v1beta1", "KubeadmControlPlane"),
    ("bootstrap.cluster.x-k8s.io/v1beta1", "KubeadmConfigTemplate"),
    ("bootstrap.cluster.x-k8s.io/v1beta1", "KubeadmConfig"),
    (CAPC_V, "CloudStackCluster"),
    (CAPC_V, "CloudStackMachineTemplate"),
    (CAPC_V, "CloudStackMachine"),
    ("v1", "ConfigMap"),
]


@pytest.fixture
def cloudstack_env(sim: SimServer, tmp_path: Path, upstream_components: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[CloudStackServer, dict[str, str]]]:
    """The emulator with a user made for this run, its credentials in the worker's
    environment, the stand-ins on PATH and the upstream components as the component source."""
    standins = Standins(STANDINS_BIN, tmp_path / "standin-calls.jsonl", sim)
    for key, value in standins.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("EKSA_COMPONENTS_SOURCE", str(upstream_components))
    sim.client.set_knobs(boot_seconds=0.2, deployment_ready_seconds=0.0)
    load_spec_plugins()
    with cloudstack_api("127.0.13.4") as server:
        env = credentials_env(server)
        monkeypatch.setenv(SECRET_ENV, env[SECRET_ENV])
        key, secret = next(iter(server.inventory.users.items()))
        yield server, {"CloudStack api key": key, "CloudStack secret key": secret, "credentials variable": env[SECRET_ENV]}


def vm_ids(server: CloudStackServer) -> set[str]:
    return {f"cloudstack:///{vm['id']}" for vm in server.inventory.tables["virtualmachines"]}


def cs_spec(server: CloudStackServer, workers: int = 1, version: str = "1.31") -> str:
    docs = spec_docs("csk", server.url, ENDPOINT)
    docs[0]["spec"]["workerNodeGroupConfigurations"][0]["count"] = workers
    docs[0]["spec"]["kubernetesVersion"] = version
    for machine in docs[2:]:
        machine["spec"]["template"]["name"] = f"rhel8-kube-{version}"
    return spec_text(docs)


async def test_cloudstack_create_upgrade_and_delete_keep_the_keys_in_the_secret_only(
    cloudstack_env: tuple[CloudStackServer, dict[str, str]], stack: Stack, capfd: pytest.CaptureFixture[str]
) -> None:
    server, keys = cloudstack_env
    lc, name = stack.lc, "csk"
    workdir = stack.workdir(name)
    ref = await lc.start_create(CreateClusterInput(spec_yaml=cs_spec(server), workdir=workdir, timeouts=E2E))
    created = await lc.wait(ref.workflow_id)
    assert isinstance(created, CreateClusterResult)
    runs = [ref.workflow_id]
    # preflight ran against the emulator with signed requests
    assert {"listZones", "listDomains", "listAccounts", "listNetworks", "listTemplates", "listServiceOfferings"} <= set(server.commands())
    kubeconfig = created.kubeconfig_path or ""
    versions = node_versions(Path(kubeconfig))
    assert len(versions) == 2 and all(pid.startswith("cloudstack:///") for pid in versions), versions
    assert set(versions) == vm_ids(server)  # each node is a VM deployed in CloudStack
    kube = kube_for(kubeconfig)
    # the failure-domain Secret moved with the cluster: CAPC in the new management cluster reads it
    secret = kube.get("v1", "Secret", "global", NS)
    assert secret is not None and set(secret.get("data") or {}) >= {"api-key", "secret-key", "api-url", "verify-ssl"}
    # the keys searched for below are the very ones CAPC is given (the checks are not vacuous)
    assert base64.b64decode(secret["data"]["api-key"]).decode() == keys["CloudStack api key"]
    assert base64.b64decode(secret["data"]["secret-key"]).decode() == keys["CloudStack secret key"]
    csc = kube.get(CAPC_V, "CloudStackCluster", name, NS) or {}
    assert (csc.get("status") or {}).get("ready") is True
    assert kube.get("apps/v1", "Deployment", "capc-controller-manager", "capc-system") is not None

    first_vms = vm_ids(server)
    ref = await lc.start_upgrade(UpgradeClusterInput(spec_yaml=cs_spec(server, workers=2, version="1.32"), workdir=workdir, timeouts=E2E))
    assert isinstance(await lc.wait(ref.workflow_id), UpgradeClusterResult)
    runs.append(ref.workflow_id)
    versions = node_versions(Path(kubeconfig))
    assert len(versions) == 3 and set(versions) == vm_ids(server), versions
    assert all(v.startswith("v1.32") for v in versions.values()), versions
    assert not first_vms & vm_ids(server)  # rolled onto new VMs from the 1.32 template; the old ones destroyed

    # no key in any object of the management cluster but the credentials Secret
    objects = [o for av, kind in KINDS if kube.serves(av, kind) for o in kube.list_objects(av, kind, NS)[0]]
    assert len(objects) > 10
    assert_no_secrets(json.dumps(objects), keys, where="management cluster objects")
    bundle = collect(kube)  # what a support bundle of the cluster holds
    assert "eksa-system/global type=Opaque (data not collected)" in bundle["secrets.txt"]
    assert_no_secrets("\n".join(bundle.values()), keys, where="support bundle")
    secrets = secrets_of(stack.sim.state_dir, Path(workdir)) | keys

    ref = await lc.start_delete(DeleteClusterInput(spec_yaml=cs_spec(server, workers=2, version="1.32"), workdir=workdir, timeouts=E2E))
    assert isinstance(await lc.wait(ref.workflow_id), DeleteClusterResult)
    runs.append(ref.workflow_id)
    assert {c["name"] for c in stack.sim.client.clusters()} & {name, f"{name}-eks-a-cluster"} == set()
    assert [m for m in stack.sim.client.machines() if m["cluster"] == name and m["exists"]] == []
    assert vm_ids(server) == set() and "destroyVirtualMachine" in server.commands()

    for workflow_id in runs:
        assert_no_secrets(await decoded_history(stack.client, workflow_id), secrets)
    logs = capfd.readouterr()
    assert "cloudstack preflight done" in logs.out + logs.err
    assert_no_secrets(logs.out + logs.err, keys, where="worker log output")
    for path in Path(workdir).rglob("*"):
        if path.is_file():
            assert_no_secrets(path.read_text(errors="replace"), keys, where=str(path))
