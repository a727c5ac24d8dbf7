"""Fixtures of the controller end-to-end tests: one management cluster per test module.

``mgmt`` (module-wide) starts a real sim, a lifecycle worker subprocess on a fresh task
queue of the session's Temporal dev server (with ``EKSA_COMPONENTS_SOURCE`` pointing at the
upstream components of ``../shared``, so the management create installs EKS-A's CRDs as
EKS-A does), creates management cluster ``mgmt`` through the lifecycle client, then starts
``eksa-temporal controller --kubeconfig <mgmt kubeconfig>`` as a subprocess. Each test
drives it with ``kubectl`` and reads the outcome from the API server, Temporal and the sim.
Every process is started here in its own process group and stopped by its PID. The tests
of a module share the management cluster of the test process that runs them."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from eksa_temporal.client import LifecycleClient
from eksa_temporal.spec import generate_cluster_config
from eksa_temporal.workflows.models import CreateClusterInput, CreateClusterResult, Timeouts
from tests.support.sim import SimServer, running_sim

from .clusters import Kubectl, Run, runs
from .processes import FAST_TIMEOUTS, Processes, child_env

SIM_ARGS = ("--boot-seconds", "0.2", "--seed", "7")
FAST = Timeouts(**json.loads(FAST_TIMEOUTS))


@dataclass
class Mgmt:
    """A management cluster with a worker and a controller, as the tests drive it."""

    client: Client
    lc: LifecycleClient
    sim: SimServer
    root: Path
    kubeconfig: Path
    kubectl: Kubectl
    procs: Processes
    since: datetime  # when the management create started: runs before it belong to other tests

    def workdir(self, name: str) -> Path:
        return self.root / "out" / name

    async def runs(self, name: str, namespace: str = "default") -> list[Run]:
        """The workflow runs of cluster ``<namespace>/<name>`` since this management cluster."""
        return await runs(self.client, name, namespace, since=self.since)


@pytest.fixture(scope="module")
async def mgmt(
    temporal_env: WorkflowEnvironment, upstream_components: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Mgmt]:
    root = tmp_path_factory.mktemp("ctl")
    client = temporal_env.client
    queue = f"controller-e2e-{uuid.uuid4()}"
    env = child_env(client.service_client.config.target_host, client.namespace, queue, root, upstream_components)
    with running_sim(root / "sim", SIM_ARGS) as sim:
        procs = Processes(root, env)
        try:
            procs.start_worker()
            lc = LifecycleClient(client, queue, task_timeout=timedelta(seconds=2))
            workdir = root / "out" / "mgmt"
            ref = await lc.start_create(CreateClusterInput(spec_yaml=generate_cluster_config("mgmt", "sim"), workdir=str(workdir), timeouts=FAST))
            created = await asyncio.wait_for(lc.wait(ref.workflow_id), timeout=150)
            since = (await client.get_workflow_handle(ref.workflow_id, run_id=ref.run_id).describe()).start_time
            assert isinstance(created, CreateClusterResult) and created.kubeconfig_path
            procs.kubeconfig = Path(created.kubeconfig_path)
            procs.start_controller("controller-a")
            kubectl = Kubectl(procs.kubeconfig, root / "kube-cache")
            yield Mgmt(client, lc, sim, root, procs.kubeconfig, kubectl, procs, since)
        finally:
            procs.stop()
