"""End to end against the simulated infrastructure with the real activities: create a
management cluster, a workload cluster on it, upgrade and scale the workload cluster, then
delete both - and nothing is left in the sim's machine inventory."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from eksa_temporal.spec import generate_cluster_config
from eksa_temporal.workflows.models import (
    CreateClusterInput,
    CreateClusterResult,
    DeleteClusterInput,
    Timeouts,
    UpgradeClusterInput,
)
from tests.support.sim import SimServer

from .conftest import Stack

pytestmark = pytest.mark.anyio
E2E = Timeouts(step_seconds=60, long_step_seconds=120, heartbeat_seconds=15, initial_retry_seconds=0.2, max_retry_seconds=1, max_attempts=3)


def spec(name: str, management: str | None = None, *, version: str = "1.31", workers: int = 1) -> str:
    text = generate_cluster_config(name, "sim")
    if management:
        text = text.replace(f"managementCluster:\n    name: {name}", f"managementCluster:\n    name: {management}")
    text = text.replace("kubernetesVersion: '1.31'", f"kubernetesVersion: '{version}'")
    return text.replace("  - name: md-0\n    count: 1", f"  - name: md-0\n    count: {workers}")


def live_machines(sim: SimServer, cluster: str | None = None) -> list[dict[str, object]]:
    machines = [m for m in sim.client.machines() if m["state"] in ("provisioning", "running")]
    return [m for m in machines if cluster is None or m.get("cluster") == cluster]


def kubectl_nodes(kubeconfig: str) -> list[str]:
    out = subprocess.run(
        ["kubectl", "--kubeconfig", kubeconfig, "get", "nodes", "-o", "json"], capture_output=True, text=True, timeout=30, check=True
    )
    return sorted(item["metadata"]["name"] for item in json.loads(out.stdout)["items"])


async def test_full_lifecycle_of_a_management_and_a_workload_cluster(stack: Stack) -> None:
    lc = stack.lc
    ref = await lc.start_create(CreateClusterInput(spec_yaml=spec("mgmt"), workdir=stack.workdir("mgmt"), timeouts=E2E))
    created = await lc.wait(ref.workflow_id)
    assert isinstance(created, CreateClusterResult)
    assert created.kubeconfig_path == f"{stack.workdir('mgmt')}/mgmt-eks-a-cluster.kubeconfig"
    assert Path(created.kubeconfig_path).stat().st_mode & 0o777 == 0o600
    assert Path(f"{stack.workdir('mgmt')}/mgmt-eks-a-cluster.yaml").exists()
    assert len(kubectl_nodes(created.kubeconfig_path)) == 2  # 1 control plane + 1 worker
    assert len(live_machines(stack.sim, "mgmt")) == 2
    assert [c["name"] for c in stack.sim.client.clusters()].count("mgmt-eks-a-cluster") == 0  # bootstrap gone

    mgmt_kc = created.kubeconfig_path
    wl = await lc.wait(
        (await lc.start_create(CreateClusterInput(spec_yaml=spec("w1", "mgmt"), workdir=stack.workdir("w1"), management_kubeconfig=mgmt_kc, timeouts=E2E))).workflow_id
    )
    assert len(kubectl_nodes(wl.kubeconfig_path)) == 2

    await lc.wait(
        (await lc.start_upgrade(UpgradeClusterInput(spec_yaml=spec("w1", "mgmt", version="1.32", workers=3), workdir=stack.workdir("w1"), management_kubeconfig=mgmt_kc, timeouts=E2E))).workflow_id
    )
    assert len(kubectl_nodes(wl.kubeconfig_path)) == 4
    assert len(live_machines(stack.sim, "w1")) == 4  # the rollout replaced machines, it did not leak any
    assert "kubernetesVersion: '1.32'" in Path(f"{stack.workdir('w1')}/w1-eks-a-cluster.yaml").read_text()

    await lc.wait(
        (await lc.start_delete(DeleteClusterInput(spec_yaml=spec("w1", "mgmt", version="1.32", workers=3), workdir=stack.workdir("w1"), management_kubeconfig=mgmt_kc, timeouts=E2E))).workflow_id
    )
    assert live_machines(stack.sim, "w1") == []
    await lc.wait((await lc.start_delete(DeleteClusterInput(spec_yaml=spec("mgmt"), workdir=stack.workdir("mgmt"), timeouts=E2E))).workflow_id)
    assert live_machines(stack.sim) == []
