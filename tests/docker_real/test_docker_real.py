"""The real path, opt-in (``pytest -m docker``; never in CI): on a machine with a Docker
engine, ``kind``, ``kubectl`` and internet, a Docker-provider management cluster is created
through the real workflows and activities - a kind bootstrap cluster, the upstream Cluster
API, kubeadm and CAPD components downloaded from the release bundle's URLs, node
containers made by CAPD - then deleted, leaving no kind cluster and no container of it.

Run it: ``.venv/bin/python -m pytest -m docker tests/docker_real -s`` (about 10 minutes).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from eksa_temporal.client import LifecycleClient
from eksa_temporal.spec import generate_cluster_config
from eksa_temporal.worker import build_worker, default_activities
from eksa_temporal.workflows.models import (
    CreateClusterInput,
    CreateClusterResult,
    DeleteClusterInput,
    DeleteClusterResult,
    Timeouts,
)

pytestmark = [pytest.mark.docker, pytest.mark.anyio]
REAL = Timeouts(step_seconds=600, long_step_seconds=1800, heartbeat_seconds=60, max_attempts=5)


def _run(*argv: str) -> str:
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=True).stdout


async def test_a_docker_cluster_is_created_and_deleted_for_real(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    for tool in ("docker", "kind", "kubectl"):
        assert shutil.which(tool), f"{tool} is not on PATH: the real path needs Docker, kind and kubectl"
    _run("docker", "info", "--format", "{{json .}}")
    name = f"real{uuid.uuid4().hex[:6]}"
    workdir = tmp_path / name
    queue = f"docker-real-{uuid.uuid4()}"
    with ThreadPoolExecutor(max_workers=8) as pool:
        worker = build_worker(temporal_env.client, task_queue=queue, activities=default_activities(tmp_path / "sim"), executor=pool)
        async with worker:
            lc = LifecycleClient(temporal_env.client, task_queue=queue)
            spec = generate_cluster_config(name, "docker")
            ref = await lc.start_create(CreateClusterInput(spec_yaml=spec, workdir=str(workdir), timeouts=REAL))
            created = await lc.wait(ref.workflow_id)
            assert isinstance(created, CreateClusterResult)
            nodes = json.loads(_run("kubectl", "--kubeconfig", created.kubeconfig_path or "", "get", "nodes", "-o", "json"))
            assert len(nodes["items"]) == 2
            assert f"{name}-eks-a-cluster" not in _run("kind", "get", "clusters").split()
            ref = await lc.start_delete(DeleteClusterInput(spec_yaml=spec, workdir=str(workdir), timeouts=REAL))
            assert isinstance(await lc.wait(ref.workflow_id), DeleteClusterResult)
    left = _run("docker", "ps", "-a", "--filter", f"label=io.x-k8s.kind.cluster={name}", "--format", "{{.Names}}")
    assert left.strip() == "", f"containers of {name} left: {left}"
