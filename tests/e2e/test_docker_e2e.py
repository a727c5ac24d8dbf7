"""The Docker provider end to end through the real tool runner, activities and workflows,
with the ``kind`` and ``docker`` stand-ins (``tests/standins``) on PATH and the upstream
Cluster API, kubeadm and CAPD components of ``../shared/upstream-components`` installed as
they are: create (the kind bootstrap cluster made once and deleted once), upgrade
(Kubernetes 1.31 -> 1.32, 1 -> 2 workers), delete (no container left); the worker
``kill -9``ed while the bootstrap cluster is being created and while the components are
installed; and a cancelled create that leaves no container of the cluster."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from eksa_temporal.client import LifecycleClient
from eksa_temporal.kube.client import condition_true, kube_for
from eksa_temporal.providers.registry import load_spec_plugins
from eksa_temporal.spec import generate_cluster_config
from eksa_temporal.workflows.create import MANAGEMENT_PLAN
from eksa_temporal.workflows.models import (
    CreateClusterInput,
    CreateClusterResult,
    DeleteClusterInput,
    DeleteClusterResult,
    UpgradeClusterInput,
    UpgradeClusterResult,
)
from tests.support.sim import SimServer
from tests.support.standins import STANDINS_BIN, Standins

from .cancel import MATRIX, cancel_during
from .conftest import Stack
from .crash import WorkerRelay, crash_at_every_step
from .secrets import assert_no_secrets, secrets_of
from .test_crash_recovery import CRASH, node_versions
from .test_lifecycle_e2e import E2E, kubectl_nodes

pytestmark = pytest.mark.anyio
CAPI_DEPLOYMENTS = {
    ("capi-system", "capi-controller-manager"),
    ("capi-kubeadm-bootstrap-system", "capi-kubeadm-bootstrap-controller-manager"),
    ("capi-kubeadm-control-plane-system", "capi-kubeadm-control-plane-controller-manager"),
    ("capd-system", "capd-controller-manager"),
}


@pytest.fixture
def docker_env(sim: SimServer, tmp_path: Path, upstream_components: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Standins]:
    """The stand-ins on PATH playing on this test's sim, and the upstream components as the
    worker's component source (inherited by worker subprocesses; set before ``stack``
    builds its worker, which reads the source once)."""
    standins = Standins(STANDINS_BIN, tmp_path / "standin-calls.jsonl", sim)
    for key, value in standins.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("EKSA_COMPONENTS_SOURCE", str(upstream_components))
    load_spec_plugins()
    yield standins


def docker_spec(name: str, *, version: str = "1.31", workers: int = 1) -> str:
    text = generate_cluster_config(name, "docker")
    text = text.replace("kubernetesVersion: '1.31'", f"kubernetesVersion: '{version}'")
    return text.replace("  - name: md-0\n    count: 1", f"  - name: md-0\n    count: {workers}")


def containers(cluster: str) -> list[dict[str, Any]]:
    """``docker ps -a`` of the cluster's containers, by CAPD's cluster label (through the stand-in)."""
    out = subprocess.run(
        ["docker", "ps", "-a", "--no-trunc", "--format", "{{json .}}", "--filter", f"label=io.x-k8s.kind.cluster={cluster}"],
        capture_output=True, text=True, timeout=60, check=True,
    )
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def kind_calls(standins: Standins, verb: str, name: str) -> list[list[str]]:
    return [c["argv"] for c in standins.calls("kind") if c["argv"][1:3] == [verb, "cluster"] and name in c["argv"]]


async def test_docker_create_upgrade_and_delete_through_kind_and_the_upstream_components(docker_env: Standins, stack: Stack) -> None:
    lc, name = stack.lc, "dock"
    workdir = stack.workdir(name)
    ref = await lc.start_create(CreateClusterInput(spec_yaml=docker_spec(name), workdir=workdir, timeouts=E2E))
    created = await lc.wait(ref.workflow_id)
    assert isinstance(created, CreateClusterResult)
    kubeconfig = created.kubeconfig_path or ""
    assert len(kubectl_nodes(kubeconfig)) == 2
    # the kind bootstrap cluster: created once, deleted once
    assert len(kind_calls(docker_env, "create", f"{name}-eks-a-cluster")) == 1
    assert len(kind_calls(docker_env, "delete", f"{name}-eks-a-cluster")) == 1
    assert f"{name}-eks-a-cluster" not in {c["name"] for c in stack.sim.client.clusters()}
    # the new management cluster holds the upstream controllers, webhooks and EKS-A's CRDs
    kube = kube_for(kubeconfig)
    for namespace, deployment in CAPI_DEPLOYMENTS:
        assert condition_true(kube.get("apps/v1", "Deployment", deployment, namespace), "Available"), deployment
    for kind, webhook in (
        ("ValidatingWebhookConfiguration", "capi-validating-webhook-configuration"),
        ("ValidatingWebhookConfiguration", "capd-validating-webhook-configuration"),
        ("MutatingWebhookConfiguration", "capi-kubeadm-control-plane-mutating-webhook-configuration"),
    ):
        assert kube.get("admissionregistration.k8s.io/v1", kind, webhook) is not None, webhook
    assert kube.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", "clusters.anywhere.eks.amazonaws.com")
    nodes = [c for c in containers(name) if "external-load-balancer" not in c["Labels"]]
    assert len(nodes) == 2 and {c["State"] for c in nodes} == {"running"}

    ref = await lc.start_upgrade(UpgradeClusterInput(spec_yaml=docker_spec(name, version="1.32", workers=2), workdir=workdir, timeouts=E2E))
    assert isinstance(await lc.wait(ref.workflow_id), UpgradeClusterResult)
    versions = node_versions(Path(kubeconfig))
    assert len(versions) == 3 and all(v.startswith("v1.32") for v in versions.values()), versions
    assert all(pid.startswith("docker:////") for pid in versions)

    ref = await lc.start_delete(DeleteClusterInput(spec_yaml=docker_spec(name, version="1.32", workers=2), workdir=workdir, timeouts=E2E))
    assert isinstance(await lc.wait(ref.workflow_id), DeleteClusterResult)
    assert containers(name) == []
    assert {c["name"] for c in stack.sim.client.clusters()} & {name, f"{name}-eks-a-cluster"} == set()
    assert not Path(kubeconfig).exists()


async def test_docker_create_survives_kill_9_while_kind_runs_and_while_components_install(
    temporal_env: WorkflowEnvironment, sim: SimServer, tmp_path: Path, docker_env: Standins
) -> None:
    relay = WorkerRelay(tmp_path, temporal_env.client.service_client.config.target_host, f"dock-crash-{uuid.uuid4()}")
    relay.start()
    name = "dcrash"
    try:
        lc = LifecycleClient(temporal_env.client, relay.task_queue, task_timeout=timedelta(seconds=2))
        workdir = tmp_path / "out" / name
        ref = await lc.start_create(CreateClusterInput(spec_yaml=docker_spec(name), workdir=str(workdir), timeouts=CRASH))
        handle = temporal_env.client.get_workflow_handle(ref.workflow_id, run_id=ref.run_id)
        steps = ["bootstrap-cluster-init", "install-capi-components-bootstrap"]
        run = await crash_at_every_step(handle, relay, steps, deadline=time.monotonic() + 200)
        result = await asyncio.wait_for(lc.wait(ref.workflow_id), timeout=240)
    finally:
        relay.stop()
    assert isinstance(result, CreateClusterResult)
    run.assert_every_step_hit(steps)
    assert relay.kills >= 4, run.summary()
    assert len(kubectl_nodes(result.kubeconfig_path or "")) == 2
    # one bootstrap cluster at a time: a retried step reused the one being made (no kind
    # create ever met an existing cluster), and every one made was deleted
    creates = [c for c in docker_env.calls("kind") if c["argv"][1:3] == ["create", "cluster"]]
    deletes = kind_calls(docker_env, "delete", f"{name}-eks-a-cluster")
    assert creates and all(c["exit"] == 0 for c in creates), creates
    assert len(creates) == len(deletes), (creates, deletes)
    assert f"{name}-eks-a-cluster" not in {c["name"] for c in sim.client.clusters()}
    # exactly the cluster's containers, each made once
    made = [m for m in sim.client.machines() if m["cluster"] == name and m["labels"].get("io.x-k8s.kind.role") != "external-load-balancer"]
    assert len(made) == 2, made
    secrets = secrets_of(sim.state_dir, workdir)
    for log in relay.logs:
        if log.exists():
            assert_no_secrets(log.read_text(errors="replace"), secrets, where=log.name)


async def test_a_cancelled_docker_create_leaves_no_container(docker_env: Standins, stack: Stack) -> None:
    name = "dcancel"
    ref = await stack.lc.start_create(CreateClusterInput(spec_yaml=docker_spec(name, workers=2), workdir=stack.workdir(name), timeouts=MATRIX))
    hit = await cancel_during(stack.sim, stack.lc, ref.workflow_id, MANAGEMENT_PLAN, "workload-cluster-init")
    assert hit.state == "cancelled" and hit.caught_running, hit
    assert containers(name) == []
    assert [m for m in stack.sim.client.machines() if m["cluster"] == name and m["exists"]] == []
    assert f"{name}-eks-a-cluster" not in {c["name"] for c in stack.sim.client.clusters()}
