"""Durability against the simulated infrastructure with the real activities: the worker is
``kill -9``ed before, during and after every step of a management create, upgrade
(1.31 -> 1.32, 1 -> 3 workers) and delete (one run each, a fresh standby worker taking
over each time; upgrade and delete run on a cluster created without crashes) and the
Temporal server itself is killed and restarted on its database mid-create - each time the
operation completes, with exactly the machines it asked for (none provisioned twice for a
Machine, none leaked; after a delete none at all, no virtual cluster, no kubeconfig) and no
secret in any worker log."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from eksa_temporal.client import LifecycleClient, OperationRef
from eksa_temporal.devserver import TemporalDevServer, free_port
from eksa_temporal.worker import build_worker, default_activities
from eksa_temporal.workflows import delete, upgrade
from eksa_temporal.workflows.create import MANAGEMENT_PLAN
from eksa_temporal.workflows.models import (
    CreateClusterInput,
    CreateClusterResult,
    DeleteClusterInput,
    DeleteClusterResult,
    Timeouts,
    UpgradeClusterInput,
    UpgradeClusterResult,
)
from tests.support.sim import SimServer

from .crash import CrashRun, WorkerRelay, crash_at_every_step, step_events
from .secrets import assert_no_secrets, decoded_history, secrets_of
from .test_lifecycle_e2e import kubectl_nodes, live_machines, spec

pytestmark = pytest.mark.anyio
# short steps keep the product's 600 s start-to-close: a short step whose worker was killed
# is retried after the 3 s heartbeat timeout (the worker heartbeats for it), or the test
# runs out of time
CRASH = Timeouts(step_seconds=600, long_step_seconds=90, heartbeat_seconds=3, initial_retry_seconds=0.2, max_retry_seconds=1, max_attempts=10)


async def test_create_completes_when_the_worker_is_killed_at_every_step(
    temporal_env: WorkflowEnvironment, sim: SimServer, tmp_path: Path
) -> None:
    queue = f"crash-{uuid.uuid4()}"
    relay = WorkerRelay(tmp_path, temporal_env.client.service_client.config.target_host, queue)
    relay.start()
    try:
        lc = LifecycleClient(temporal_env.client, queue, task_timeout=timedelta(seconds=2))
        workdir = tmp_path / "out" / "crash"
        ref = await lc.start_create(CreateClusterInput(spec_yaml=spec("crash"), workdir=str(workdir), timeouts=CRASH))
        result, run = await crash_through(temporal_env, relay, lc, ref, MANAGEMENT_PLAN, seconds=240)
    finally:
        relay.stop()
    assert isinstance(result, CreateClusterResult)
    assert "workload-cluster-init" in run.running_hits and len(run.running_hits) >= 4, run.summary()
    # exactly the machines the spec asks for, each provisioned once; nothing else alive
    ever = [m for m in sim.client.machines() if m["cluster"] == "crash"]
    assert len(live_machines(sim, "crash")) == 2
    assert len(ever) == 2, f"machines provisioned more than once: {ever}"
    assert live_machines(sim) == live_machines(sim, "crash")
    assert len(kubectl_nodes(result.kubeconfig_path or "")) == 2
    secrets = secrets_of(sim.state_dir, workdir)
    for log in relay.logs:
        if log.exists():
            assert_no_secrets(log.read_text(errors="replace"), secrets, where=log.name)
    # nor any payload of the history: the killed attempts' heartbeat timeouts included
    assert_no_secrets(await decoded_history(temporal_env.client, ref.workflow_id), secrets)


@asynccontextmanager
async def relay_with_cluster(
    temporal_env: WorkflowEnvironment, sim: SimServer, root: Path, name: str
) -> AsyncIterator[tuple[WorkerRelay, LifecycleClient]]:
    """A worker relay on a fresh task queue that has created management cluster ``name``
    (1.31, 1 worker) without crashes. On exit it stops the relay's workers and checks that
    no secret (sim admin token, cluster token) reached any worker log."""
    relay = WorkerRelay(root, temporal_env.client.service_client.config.target_host, f"crash-{uuid.uuid4()}")
    relay.start()
    try:
        lc = LifecycleClient(temporal_env.client, relay.task_queue, task_timeout=timedelta(seconds=2))
        ref = await lc.start_create(CreateClusterInput(spec_yaml=spec(name), workdir=str(root / "out" / name), timeouts=CRASH))
        assert isinstance(await asyncio.wait_for(lc.wait(ref.workflow_id), timeout=90), CreateClusterResult)
        secrets = secrets_of(sim.state_dir, root / "out")
        yield relay, lc
    finally:
        relay.stop()
    for log in relay.logs:
        if log.exists():
            assert_no_secrets(log.read_text(errors="replace"), secrets, where=log.name)


async def crash_through(
    temporal_env: WorkflowEnvironment,
    relay: WorkerRelay,
    lc: LifecycleClient,
    ref: OperationRef,
    plan: list[str],
    *,
    seconds: float = 90,
) -> tuple[object, CrashRun]:
    """Kill the worker at every step of ``plan`` of the started operation ``ref`` (a standby
    taking over each time); its result, once every step was hit, and what was hit."""
    handle = temporal_env.client.get_workflow_handle(ref.workflow_id, run_id=ref.run_id)
    deadline = time.monotonic() + seconds
    run = await crash_at_every_step(handle, relay, plan, deadline=deadline)
    result = await asyncio.wait_for(lc.wait(ref.workflow_id), timeout=max(deadline - time.monotonic(), 30))
    run.assert_every_step_hit(plan)
    print(f"\nkill -9 of the worker: {relay.kills} times; {run.summary()}")
    return result, run


def node_versions(kubeconfig: Path) -> dict[str, str]:
    """``{providerID: kubeletVersion}`` of the cluster's nodes."""
    out = subprocess.run(
        ["kubectl", "--kubeconfig", str(kubeconfig), "get", "nodes", "-o", "json"], capture_output=True, text=True, timeout=30, check=True
    )
    items = json.loads(out.stdout)["items"]
    return {item["spec"]["providerID"]: item["status"]["nodeInfo"]["kubeletVersion"] for item in items}


async def test_upgrade_completes_when_the_worker_is_killed_at_every_step(
    temporal_env: WorkflowEnvironment, sim: SimServer, tmp_path: Path
) -> None:
    async with relay_with_cluster(temporal_env, sim, tmp_path, "upg") as (relay, lc):
        workdir = tmp_path / "out" / "upg"
        before = {m["provider_id"] for m in live_machines(sim, "upg")}
        assert len(before) == 2
        ref = await lc.start_upgrade(UpgradeClusterInput(spec_yaml=spec("upg", version="1.32", workers=3), workdir=str(workdir), timeouts=CRASH))
        result, run = await crash_through(temporal_env, relay, lc, ref, upgrade.PLAN)
    assert isinstance(result, UpgradeClusterResult)
    assert "upgrade-cluster" in run.running_hits, run.summary()
    # every machine of the cluster at 1.32, 1 control plane + 3 workers, the old ones gone
    live = {str(m["provider_id"]) for m in live_machines(sim, "upg")}
    assert len(live) == 4 and not live & before
    versions = node_versions(workdir / "upg-eks-a-cluster.kubeconfig")
    assert set(versions) == live, f"nodes {versions} vs live machines {live}"
    assert all(v.startswith("v1.32") for v in versions.values()), versions
    # no Machine provisioned twice, nothing else alive
    ever = [m for m in sim.client.machines() if m["cluster"] == "upg"]
    twice = {name: n for name, n in Counter(str(m["machine"]) for m in ever).items() if n > 1}
    assert twice == {}, f"machines provisioned more than once: {ever}"
    assert len(ever) == 2 + 4, f"the rollout provisioned more machines than it replaced: {ever}"
    assert live_machines(sim) == live_machines(sim, "upg")
    assert "kubernetesVersion: '1.32'" in (workdir / "upg-eks-a-cluster.yaml").read_text()


async def test_delete_completes_when_the_worker_is_killed_at_every_step(
    temporal_env: WorkflowEnvironment, sim: SimServer, tmp_path: Path
) -> None:
    async with relay_with_cluster(temporal_env, sim, tmp_path, "del") as (relay, lc):
        workdir = tmp_path / "out" / "del"
        kubeconfig = workdir / "del-eks-a-cluster.kubeconfig"
        assert kubeconfig.exists() and len(live_machines(sim, "del")) == 2
        assert "del" in {c["name"] for c in sim.client.clusters()}
        ref = await lc.start_delete(DeleteClusterInput(spec_yaml=spec("del"), workdir=str(workdir), timeouts=CRASH))
        result, run = await crash_through(temporal_env, relay, lc, ref, delete.MANAGEMENT_PLAN)
    assert isinstance(result, DeleteClusterResult)
    assert "delete-cluster" in run.running_hits, run.summary()
    assert live_machines(sim) == []
    assert {c["name"] for c in sim.client.clusters()} & {"del", "del-eks-a-cluster"} == set()  # cluster, bootstrap
    assert not kubeconfig.exists()


async def test_create_completes_when_the_temporal_server_is_killed_and_restarted(sim: SimServer, tmp_path: Path) -> None:
    server = TemporalDevServer(tmp_path / "temporal", port=free_port(), ui_port=None)
    server.start()
    try:
        client = await Client.connect(server.address, data_converter=pydantic_data_converter)
        queue = f"srvcrash-{uuid.uuid4()}"
        async with build_worker(client, task_queue=queue, activities=default_activities(sim.state_dir)):
            lc = LifecycleClient(client, queue)
            ref = await lc.start_create(CreateClusterInput(spec_yaml=spec("srv"), workdir=str(tmp_path / "out" / "srv"), timeouts=CRASH))
            handle = client.get_workflow_handle(ref.workflow_id)
            for _ in range(400):
                if "workload-cluster-init" in (await step_events(handle))["running"]:
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("workload-cluster-init never ran")
            server.kill()
            await asyncio.sleep(1.0)
            server.start()
            result = await asyncio.wait_for(lc.wait(ref.workflow_id), timeout=120)
        assert isinstance(result, CreateClusterResult)
        assert len(live_machines(sim, "srv")) == 2
        assert len([m for m in sim.client.machines() if m["cluster"] == "srv"]) == 2
    finally:
        server.stop()

