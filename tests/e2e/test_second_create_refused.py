"""A create never replaces a live cluster: a second create of it - from another folder,
from the same folder, through the client API, the CLI, or a workflow started directly by
another service - is refused with ``ClusterExists`` before any side effect, and the first
cluster's machines and objects stay exactly as they were. A cluster of the same name in
another namespace is refused too (names are unique across namespaces)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

from eksa_temporal.client import ClusterExists, LifecycleClient, LifecycleError
from eksa_temporal.kube.client import kube_for
from eksa_temporal.providers.registry import Registry
from eksa_temporal.spec import generate_cluster_config
from eksa_temporal.workflows.create import CreateClusterWorkflow
from eksa_temporal.workflows.models import CreateClusterInput, Timeouts

from .conftest import Stack

pytestmark = pytest.mark.anyio
E2E = Timeouts(step_seconds=60, long_step_seconds=120, heartbeat_seconds=15, initial_retry_seconds=0.2, max_retry_seconds=1, max_attempts=3)
EKSA = Path(sys.executable).parent / "eksa-temporal"
KINDS = (
    ("cluster.x-k8s.io/v1beta1", "Cluster"),
    ("cluster.x-k8s.io/v1beta1", "Machine"),
    ("cluster.x-k8s.io/v1beta1", "MachineDeployment"),
    ("controlplane.cluster.x-k8s.io/v1beta1", "KubeadmControlPlane"),
)


def spec(name: str, namespace: str | None = None) -> str:
    text = generate_cluster_config(name, "sim")
    if namespace:
        text = text.replace("metadata:\n  name: ", f"metadata:\n  namespace: {namespace}\n  name: ")
    return text


def snapshot(stack: Stack, name: str, kubeconfig: str) -> dict[str, Any]:
    """The cluster as the infrastructure and its API server see it."""
    kube = kube_for(kubeconfig)
    objects = {}
    for api, kind in KINDS:
        for o in kube.list_objects(api, kind)[0]:
            meta = o["metadata"]
            objects[(kind, meta.get("namespace"), meta["name"])] = meta["resourceVersion"]
    return {
        "machines": sorted((m["id"], m["state"]) for m in stack.sim.client.machines() if m["cluster"] == name),
        "virtual_clusters": sorted(c["name"] for c in stack.sim.client.clusters()),
        "objects": objects,
    }


def seeing(stack: Stack) -> LifecycleClient:
    """A client whose submission check sees the test's sim (as the CLI sees its own)."""
    return LifecycleClient(stack.client, task_queue=stack.lc.task_queue, registry=Registry(stack.sim.state_dir))


def cli(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ,
        TEMPORAL_ADDRESS=stack.client.service_client.config.target_host,
        TEMPORAL_NAMESPACE=stack.client.namespace,
        EKSA_TEMPORAL_STATE_DIR=str(stack.root),  # the sim lives in root/sim
        EKSA_TEMPORAL_TASK_QUEUE=stack.lc.task_queue,
    )
    return subprocess.run([str(EKSA), *args], capture_output=True, text=True, timeout=120, env=env, cwd=stack.root)


async def workflow_refusal(stack: Stack, inp: CreateClusterInput, wf_id: str) -> str:
    """Start the create workflow directly (no submission check) and return its failure."""
    handle = await stack.client.start_workflow(CreateClusterWorkflow.run, inp, id=wf_id, task_queue=stack.lc.task_queue)
    with pytest.raises(LifecycleError) as failed:
        await stack.lc.wait(handle.id)
    progress = (await stack.lc.status(handle.id)).progress
    assert progress is not None
    ran = [s.name for s in progress.steps if s.runs]
    assert ran[0] in ("setup-validate", "setup-validate-create")
    assert "cleanup-infrastructure" not in ran and "bootstrap-cluster-init" not in ran
    return str(failed.value)


async def test_a_second_create_of_a_live_cluster_is_refused_and_changes_nothing(stack: Stack) -> None:
    ref = await stack.lc.start_create(CreateClusterInput(spec_yaml=spec("prod"), workdir=stack.workdir("prod"), timeouts=E2E))
    created = await stack.lc.wait(ref.workflow_id)
    kubeconfig = created.kubeconfig_path
    before = snapshot(stack, "prod", kubeconfig)
    assert len(before["machines"]) == 2 and before["objects"]

    lc = seeing(stack)
    other_folder = str(stack.root / "elsewhere" / "prod")
    with pytest.raises(ClusterExists) as elsewhere:
        await lc.start_create(CreateClusterInput(spec_yaml=spec("prod"), workdir=other_folder, timeouts=E2E))
    assert "cluster default/prod already exists: the sim at" in str(elsewhere.value)
    assert "virtual cluster prod" in str(elsewhere.value) and "upgrade-cluster" in str(elsewhere.value)
    with pytest.raises(ClusterExists, match="already exists"):
        await lc.start_create(CreateClusterInput(spec_yaml=spec("prod"), workdir=stack.workdir("prod"), timeouts=E2E))
    latest = await stack.client.get_workflow_handle(ref.workflow_id).describe()
    assert latest.run_id == ref.run_id  # no workflow was started

    spec_file = stack.root / "prod.yaml"
    spec_file.write_text(spec("prod"))
    for folder in (other_folder, stack.workdir("prod")):
        done = cli(stack, "start", "create-cluster", "-f", str(spec_file), "--workdir", folder)
        assert done.returncode == 1, done.stdout + done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: cluster default/prod already exists: "), done.stderr
        assert "fix: " in lines[0] and "started" not in done.stdout
    assert (await stack.client.get_workflow_handle(ref.workflow_id).describe()).run_id == ref.run_id

    # another service starting the workflow itself meets the workflow's own check
    line = await workflow_refusal(
        stack, CreateClusterInput(spec_yaml=spec("prod"), workdir=other_folder, timeouts=E2E), ref.workflow_id
    )
    assert "ClusterExists" in line or "already exists" in line
    assert "virtual cluster prod" in line
    assert not (Path(other_folder) / "generated" / "prod.owner").exists()

    assert snapshot(stack, "prod", kubeconfig) == before


async def test_a_cluster_of_the_same_name_in_another_namespace_is_refused(stack: Stack) -> None:
    lc = seeing(stack)
    first = await stack.lc.start_create(CreateClusterInput(spec_yaml=spec("dup"), workdir=stack.workdir("dup"), timeouts=E2E))
    # while the first create runs, the same name in another namespace is refused at once
    for _ in range(100):  # bounded: until the running create is visible to list queries
        if any(op.workflow_id == first.workflow_id and op.state == "running" for op in await stack.lc.list("dup")):
            break
        await anyio.sleep(0.05)
    with pytest.raises(ClusterExists) as running:
        await lc.start_create(
            CreateClusterInput(spec_yaml=spec("dup", "team-b"), workdir=str(stack.root / "team-b" / "dup"), timeouts=E2E)
        )
    assert "cluster team-b/dup already exists: operation eksa/default/dup runs" in str(running.value)
    created = await stack.lc.wait(first.workflow_id)
    before = snapshot(stack, "dup", created.kubeconfig_path)

    with pytest.raises(ClusterExists, match="virtual cluster dup"):
        await lc.start_create(
            CreateClusterInput(spec_yaml=spec("dup", "team-b"), workdir=str(stack.root / "team-b" / "dup"), timeouts=E2E)
        )
    line = await workflow_refusal(
        stack,
        CreateClusterInput(spec_yaml=spec("dup", "team-b"), workdir=str(stack.root / "team-b" / "dup"), timeouts=E2E),
        "eksa/team-b/dup",
    )
    assert "virtual cluster dup" in line
    # the same output folder as the first cluster's: its owner marker names another workflow
    with pytest.raises(ClusterExists):
        await lc.start_create(CreateClusterInput(spec_yaml=spec("dup", "team-b"), workdir=stack.workdir("dup"), timeouts=E2E))
    assert snapshot(stack, "dup", created.kubeconfig_path) == before
