"""The whole controller (watch threads, work queue, Lease, reconciler) against the sim API
server with EKS Anywhere's real CRDs and a real Temporal dev server running the real
workflows on fake activities (``tests/workflows/fakes.py``): apply -> one create -> Ready;
edit -> one upgrade; delete -> one delete, finalizer removed, object gone."""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from eksa_temporal.client import LifecycleClient
from eksa_temporal.controller import names
from eksa_temporal.controller.lifecycle import TemporalLifecycle
from eksa_temporal.controller.loop import Options, build
from eksa_temporal.controller.status import condition_of
from eksa_temporal.worker import build_worker
from tests.controller.conftest import Mgmt, workload_docs
from tests.workflows.fakes import FakeInfra

pytestmark = pytest.mark.anyio
API = names.EKSA_API


@pytest.fixture
async def lifecycle(temporal_env: WorkflowEnvironment) -> AsyncIterator[tuple[LifecycleClient, FakeInfra]]:
    infra = FakeInfra()
    queue = f"test-{uuid.uuid4()}"
    async with build_worker(temporal_env.client, task_queue=queue, activities=infra.activities()):
        yield LifecycleClient(temporal_env.client, task_queue=queue), infra


async def eventually(what: str, probe: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        got = await asyncio.to_thread(probe)
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


async def test_apply_edit_delete_drive_one_operation_each(
    mgmt: Mgmt, namespace: str, lifecycle: tuple[LifecycleClient, FakeInfra], tmp_path: Path
) -> None:
    lc, infra = lifecycle
    options = Options(
        kubeconfig=mgmt.kubeconfig, workdir=tmp_path, identity=f"test-{secrets.token_hex(3)}",
        namespace=namespace, lease_seconds=2, resync_seconds=1, poll_seconds=0.2,
    )
    controller = build(options, TemporalLifecycle(lc))
    stop = asyncio.Event()
    task = asyncio.create_task(controller.run(stop))
    try:
        def ready_at(generation: int | None = None) -> dict[str, Any] | None:
            obj = mgmt.kube.get(API, "Cluster", "w1", namespace)
            cond = condition_of(obj or {}, names.READY)
            if obj is None or cond is None or cond["status"] != "True":
                return None
            if generation is not None and obj["status"].get("observedGeneration") != generation:
                return None
            return obj

        mgmt.kube.apply(workload_docs("w1", namespace))
        obj = await eventually("Ready after the create", ready_at)
        assert obj["metadata"]["annotations"][names.OPERATION_ANNOTATION] == "create"
        assert names.FINALIZER in obj["metadata"]["finalizers"]
        last = await lc.last_operation("w1", namespace)
        assert last is not None and (last.operation, last.origin) == ("create", "controller")

        mgmt.kube.apply(workload_docs("w1", namespace, kubernetes_version="1.32"))
        generation = mgmt.kube.get(API, "Cluster", "w1", namespace)["metadata"]["generation"]  # type: ignore[index]
        obj = await eventually("Ready after the upgrade", lambda: ready_at(generation))
        assert obj["metadata"]["annotations"][names.OPERATION_ANNOTATION] == "upgrade"

        mgmt.kube.delete(API, "Cluster", "w1", namespace)
        await eventually("the object gone", lambda: mgmt.kube.get(API, "Cluster", "w1", namespace) is None)
        runs = [op async for op in _operations(lc, namespace)]
        assert sorted(runs) == ["create", "delete", "upgrade"], runs
        assert infra.names().count("create-workload-cluster") == 1
        assert infra.names().count("upgrade-cluster") == 1
        assert infra.names().count("delete-workload-cluster") == 1
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def _operations(lc: LifecycleClient, namespace: str) -> AsyncIterator[str]:
    async for ex in lc.client.list_workflows(f"WorkflowId = 'eksa/{namespace}/w1'"):
        yield {"CreateClusterWorkflow": "create", "UpgradeClusterWorkflow": "upgrade", "DeleteClusterWorkflow": "delete"}[ex.workflow_type]


async def test_the_lifecycle_seam_reads_state_digest_and_spec_back_from_temporal(
    mgmt: Mgmt, namespace: str, lifecycle: tuple[LifecycleClient, FakeInfra], tmp_path: Path
) -> None:
    import yaml

    from eksa_temporal.spec import load_spec
    from eksa_temporal.spec.digest import spec_digest
    from eksa_temporal.workflows.models import DeleteClusterInput

    lc, _ = lifecycle
    seam = TemporalLifecycle(lc)
    assert await seam.last(namespace, "w9") is None
    text = "---\n".join(yaml.safe_dump(d) for d in workload_docs("w9", namespace))
    inp = DeleteClusterInput(
        spec_yaml=text, workdir=str(tmp_path / "w9"), management_kubeconfig=str(mgmt.kubeconfig), origin="controller"
    )
    started = await seam.start("delete", inp, {})
    assert (started.operation, started.state) == ("delete", "running")
    await lc.wait(started.workflow_id)
    last = await seam.last(namespace, "w9")
    assert last is not None
    spec = load_spec(text).spec
    assert spec is not None
    assert (last.operation, last.state, last.digest) == ("delete", "completed", spec_digest(spec))
    assert await seam.spec_text(last) == text
