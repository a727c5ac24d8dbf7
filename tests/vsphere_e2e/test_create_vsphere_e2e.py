"""``eksa-temporal start create-cluster`` with a vSphere spec against the vCenter simulator:
every vSphere validation runs for real (login, thumbprint, inventory, tags, endpoint probe),
the bootstrap cluster is a kind cluster (the ``kind`` stand-in), the upstream CAPV manifests
are installed as published and the CAPV objects rendered and applied, and the sim stands in
for the CAPV controller, so the create completes. The password lives only in the worker's
environment (and the credentials Secrets, the cluster's and CAPV's): never in the history,
the worker's log, the stand-ins' call log or the CLI's output."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from temporalio.testing import WorkflowEnvironment

from tests.support.histories import DecodedHistory, assert_no_secrets, decoded_history
from tests.support.paths import EKSA
from tests.support.vcsim import open_session
from tests.vsphere import specs
from tests.vsphere_e2e.conftest import Env

pytestmark = pytest.mark.anyio
ENDPOINT = "127.0.0.202"  # nothing listens there: the endpoint probe must pass
CLI_TIMEOUT = 120
UPSTREAM_CAPV_IMAGE = "gcr.io/k8s-staging-capi-vsphere/cluster-api-vsphere-controller:main"


def write_spec(e2e: Env, sim: specs.SimInfo, name: str) -> Path:
    path = e2e.root / f"{name}.yaml"
    path.write_text(yaml.safe_dump_all(specs.documents(sim, name, endpoint=ENDPOINT, workers=1)))
    return path


def create(e2e: Env, queue: str, spec: Path, workdir: Path) -> subprocess.CompletedProcess[str]:
    """The CLI, run without any vSphere credentials in its environment."""
    return subprocess.run(
        [str(EKSA), "start", "create-cluster", "-f", str(spec), "--wait", "--workdir", str(workdir)],
        env=e2e.env(queue), capture_output=True, text=True, timeout=CLI_TIMEOUT, check=False,
    )


def delete(e2e: Env, queue: str, spec: Path, workdir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(EKSA), "start", "delete-cluster", "-f", str(spec), "--wait", "--workdir", str(workdir)],
        env=e2e.env(queue), capture_output=True, text=True, timeout=CLI_TIMEOUT, check=False,
    )


def cluster_vms(sim: specs.SimInfo, cluster: str) -> dict[str, dict[str, Any]]:
    """The VMs named ``<cluster>-*`` in the machine folder: name -> facts."""
    with open_session(sim) as session:
        folder = session.content.searchIndex.FindByInventoryPath("DC0/vm/eksa")
        return {
            vm.name: {"uuid": vm.config.uuid, "power": vm.runtime.powerState, "cpus": vm.config.hardware.numCPU}
            for vm in folder.childEntity
            if vm.name.startswith(f"{cluster}-")
        }


def kubectl(kubeconfig: str, *args: str) -> Any:
    out = subprocess.run(
        ["kubectl", "--kubeconfig", kubeconfig, *args, "-o", "json"],
        capture_output=True, text=True, timeout=30, check=True,
    )
    return json.loads(out.stdout)


def kind_creates(e2e: Env, name: str) -> list[list[str]]:
    """The ``--name`` of each ``kind create cluster`` of ``name`` in the stand-in's call log."""
    return [
        [argv[argv.index("--name") + 1]]
        for argv in (c["argv"] for c in e2e.standins.calls("kind"))
        if argv[1:3] == ["create", "cluster"] and name in argv
    ]


async def history(env: WorkflowEnvironment, name: str) -> DecodedHistory:
    return await decoded_history(env.client, f"eksa/default/{name}")


async def test_a_vsphere_create_completes_with_the_sim_standing_in_for_capv(
    e2e: Env, inventory: specs.SimInfo, start_worker: Any, temporal_env: WorkflowEnvironment
) -> None:
    worker = start_worker(inventory.user, inventory.password)
    e2e.sim.client.set_knobs(vsphere_clone=True)  # the stand-in clones each machine in vcsim
    workdir = e2e.root / "out" / "vs1"
    spec = write_spec(e2e, inventory, "vs1")
    run = create(e2e, worker.task_queue, spec, workdir)
    assert run.returncode == 0, run.stdout + run.stderr

    kubeconfig = str(workdir / "vs1-eks-a-cluster.kubeconfig")
    nodes = kubectl(kubeconfig, "get", "nodes")["items"]
    assert len(nodes) == 2  # 1 control plane + 1 worker
    assert all(n["spec"]["providerID"].startswith("vsphere://") for n in nodes)
    # the management cluster (self-managed after the move) holds the CAPV objects
    vclusters = kubectl(kubeconfig, "get", "vsphereclusters", "-n", "eksa-system")["items"]
    assert [(v["metadata"]["name"], v["status"]["ready"]) for v in vclusters] == [("vs1", True)]
    assert vclusters[0]["spec"]["server"] == inventory.server
    assert vclusters[0]["spec"]["controlPlaneEndpoint"]["host"] == ENDPOINT
    templates = kubectl(kubeconfig, "get", "vspheremachinetemplates", "-n", "eksa-system")["items"]
    assert {t["spec"]["template"]["spec"]["template"] for t in templates} == {specs.TEMPLATE}
    assert len(templates) == 2  # control plane and md-0
    vms_objs = kubectl(kubeconfig, "get", "vspheremachines", "-n", "eksa-system")["items"]
    provider_ids = {v["spec"]["providerID"] for v in vms_objs}
    assert provider_ids == {n["spec"]["providerID"] for n in nodes}
    deployment = kubectl(kubeconfig, "get", "deployment", "capv-controller-manager", "-n", "capv-system")
    assert any(c["type"] == "Available" and c["status"] == "True" for c in deployment["status"]["conditions"])
    # the upstream CAPV manifest (not the sim's minimal stand-in): its controller image, its
    # clusterctl variables substituted, its credentials mount
    manager = deployment["spec"]["template"]["spec"]["containers"][0]
    assert manager["image"] == UPSTREAM_CAPV_IMAGE
    assert {"--leader-elect", "--v=4", "--diagnostics-address=:8443"} <= set(manager["args"])
    assert {m["mountPath"] for m in manager["volumeMounts"]} >= {"/etc/capv"}
    # ... whose credentials Secret got the worker's vSphere credentials (never printed here)
    bootstrap = kubectl(kubeconfig, "get", "secret", "capv-manager-bootstrap-credentials", "-n", "capv-system")
    credentials = yaml.safe_load(base64.b64decode(bootstrap["data"]["credentials.yaml"]).decode())
    assert credentials["username"] == inventory.user
    assert credentials["password"] == inventory.password, "CAPV's credentials Secret lacks the vSphere password"
    # the bootstrap cluster was a kind cluster (the stand-in), made once
    assert kind_creates(e2e, "vs1-eks-a-cluster") == [["vs1-eks-a-cluster"]]
    machines = [m for m in e2e.sim.client.machines() if m["cluster"] == "vs1" and m["exists"]]
    assert {m["provider_id"] for m in machines} == provider_ids
    vms = cluster_vms(inventory, "vs1")  # cloned from the template, named like the machines
    assert set(vms) == {v["metadata"]["name"] for v in vms_objs}
    assert {f"vsphere://{v['uuid']}" for v in vms.values()} == provider_ids
    assert {m["id"] for m in machines} == {v["uuid"] for v in vms.values()}  # listed by VM UUID
    assert {(v["power"], v["cpus"]) for v in vms.values()} == {("poweredOn", 2)}

    secret = inventory.password
    assert_no_secrets(await history(temporal_env, "vs1"), {"vSphere password": secret})
    assert secret not in worker.log.read_text(errors="replace")
    # nor in any base64 form: CAPV's ${VSPHERE_PASSWORD} is substituted inside the activity
    assert_no_secrets(worker.log.read_text(errors="replace"), {"vSphere password": secret}, where="the worker's log")
    assert_no_secrets(e2e.standins.log.read_text(), {"vSphere password": secret}, where="the stand-ins' call log")
    assert "vsphere-login-ok" in worker.log.read_text(errors="replace")  # the log is the real one
    assert secret not in run.stdout + run.stderr
    assert secret not in e2e.sim.log_path.read_text(errors="replace")  # the stand-in logged in with it
    assert_no_secrets(e2e.sim.log_path.read_text(errors="replace"), {"vSphere password": secret}, where="the sim's log")
    for path in workdir.rglob("*"):
        if path.is_file():
            assert secret not in path.read_text(errors="replace"), path
            assert_no_secrets(path.read_text(errors="replace"), {"vSphere password": secret}, where=str(path))

    removed = delete(e2e, worker.task_queue, spec, workdir)
    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert cluster_vms(inventory, "vs1") == {}  # the stand-in destroyed the VMs it cloned
    assert not [m for m in e2e.sim.client.machines() if m["cluster"] == "vs1" and m["exists"]]


async def test_a_wrong_vsphere_password_fails_the_create_at_setup_validate(
    e2e: Env, inventory: specs.SimInfo, start_worker: Any, temporal_env: WorkflowEnvironment
) -> None:
    wrong = "Not-The-Pa55word-0b2"
    worker = start_worker(inventory.user, wrong)
    workdir = e2e.root / "out" / "vs2"
    run = create(e2e, worker.task_queue, write_spec(e2e, inventory, "vs2"), workdir)
    output = " ".join((run.stdout + run.stderr).split())  # the status table wraps lines
    assert run.returncode == 1, output
    assert "step setup-validate failed: BadCredentials: credentials check failed" in output, output
    assert "rejected the login" in output
    assert "(fix: check EKSA_VSPHERE_USERNAME and EKSA_VSPHERE_PASSWORD)" in output, output

    events = json.loads(
        (await temporal_env.client.get_workflow_handle("eksa/default/vs2").fetch_history()).to_json()
    )["events"]
    scheduled = [
        e["activityTaskScheduledEventAttributes"]["activityType"]["name"]
        for e in events
        if "activityTaskScheduledEventAttributes" in e
    ]
    assert scheduled[0] == "setup-validate"
    failures = [e["activityTaskFailedEventAttributes"]["failure"] for e in events if "activityTaskFailedEventAttributes" in e]
    assert failures and failures[0]["applicationFailureInfo"]["type"] == "BadCredentials"
    assert failures[0]["applicationFailureInfo"].get("nonRetryable") is True  # fails fast, no retries
    assert "bootstrap-cluster-init" not in scheduled
    assert not [c for c in e2e.sim.client.clusters() if c["name"].startswith("vs2")]
    assert [m for m in e2e.sim.client.machines() if m["cluster"] == "vs2"] == []
    assert cluster_vms(inventory, "vs2") == {}
    assert_no_secrets(await history(temporal_env, "vs2"), {"vSphere password": wrong})
    assert wrong not in worker.log.read_text(errors="replace")
