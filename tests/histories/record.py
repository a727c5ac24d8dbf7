"""Records the histories the replay test guards: runs each lifecycle workflow (management
and workload create, upgrade, both deletes, a parked step retried, an abort, cancels of a
create before and during the move, of a delete during its move, of an upgrade's backup)
against fake activities on a throw-away dev server and writes ``tests/histories/*.json``.

Run after an intended workflow change has been made replay-safe (``workflow.patched``) to
add new histories - never to paper over a replay failure:
``.venv/bin/python -m tests.histories.record``
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import uuid
from pathlib import Path

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from eksa_temporal.activities import steps as s
from eksa_temporal.client import LifecycleClient, OperationRef
from eksa_temporal.worker import build_worker
from eksa_temporal.workflows.models import (
    CreateClusterInput,
    DeleteClusterInput,
    Timeouts,
    UpgradeClusterInput,
)
from tests.workflows.conftest import search_attribute_args
from tests.workflows.fakes import FakeInfra, spec_yaml

HERE = Path(__file__).parent
FAST = Timeouts(initial_retry_seconds=0.05, max_retry_seconds=0.1, max_attempts=2, heartbeat_seconds=5)


async def _until_parked(lc: LifecycleClient, wf_id: str) -> None:
    for _ in range(200):
        if (await lc.status(wf_id, with_progress=False)).state == "awaiting-operator":
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{wf_id} never parked")


async def _until_started(lc: LifecycleClient, infra: FakeInfra, step: str, wf_id: str) -> None:
    try:
        await asyncio.wait_for(infra.started[step].wait(), 30)
    except TimeoutError:
        status = await lc.status(wf_id)
        raise RuntimeError(f"{wf_id} never started {step}: {status.state} {status.progress}") from None


async def record() -> None:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(Path(sys.executable).parent / "temporal"),
        data_converter=pydantic_data_converter,
        dev_server_extra_args=search_attribute_args(),
    )
    try:
        infra = FakeInfra()
        queue = f"record-{uuid.uuid4()}"
        async with build_worker(env.client, task_queue=queue, activities=infra.activities()):
            lc = LifecycleClient(env.client, task_queue=queue)

            async def started(label: str, ref: OperationRef) -> None:
                runs[label] = ref.workflow_id
                run_ids[label] = ref.run_id

            def inp(model: type, name: str, mgmt: str | None = None, **kw: object) -> object:
                return model(spec_yaml=spec_yaml(name, mgmt), workdir=f"/tmp/out/{name}", timeouts=FAST, **kw)

            runs: dict[str, str] = {}
            run_ids: dict[str, str | None] = {}
            await started("create-management", await lc.start_create(inp(CreateClusterInput, "h-mgmt")))  # type: ignore[arg-type]
            await started("create-workload", await lc.start_create(inp(CreateClusterInput, "h-wl", "h-mgmt", management_kubeconfig="/tmp/k")))  # type: ignore[arg-type]
            for name in list(runs.values()):
                await lc.wait(name)
            await started("upgrade", await lc.start_upgrade(inp(UpgradeClusterInput, "h-mgmt")))  # type: ignore[arg-type]
            await lc.wait(runs["upgrade"])
            await started("delete-workload", await lc.start_delete(inp(DeleteClusterInput, "h-wl", "h-mgmt")))  # type: ignore[arg-type]
            await lc.wait(runs["delete-workload"])
            await started("delete-management", await lc.start_delete(inp(DeleteClusterInput, "h-mgmt")))  # type: ignore[arg-type]
            await lc.wait(runs["delete-management"])

            infra.transient[s.CAPI_MANAGEMENT_MOVE] = 2
            await started("create-retried", await lc.start_create(inp(CreateClusterInput, "h-retry")))  # type: ignore[arg-type]
            await _until_parked(lc, runs["create-retried"])
            await lc.retry(runs["create-retried"])
            await lc.wait(runs["create-retried"])

            infra.transient[s.WORKLOAD_CLUSTER_INIT] = 99
            await started("create-aborted", await lc.start_create(inp(CreateClusterInput, "h-abort")))  # type: ignore[arg-type]
            await _until_parked(lc, runs["create-aborted"])
            await lc.abort(runs["create-aborted"])
            infra.transient.clear()

            infra.block(s.WORKLOAD_CLUSTER_INIT)
            await started("create-cancelled", await lc.start_create(inp(CreateClusterInput, "h-cancel")))  # type: ignore[arg-type]
            await infra.started[s.WORKLOAD_CLUSTER_INIT].wait()
            await lc.cancel(runs["create-cancelled"])
            for label in ("create-aborted", "create-cancelled"):
                with contextlib.suppress(Exception):
                    await lc.wait(runs[label])

            infra.blocked.clear()
            infra.block(s.CAPI_MANAGEMENT_MOVE)
            await started("create-cancelled-moving", await lc.start_create(inp(CreateClusterInput, "h-cmove")))  # type: ignore[arg-type]
            await _until_started(lc, infra, s.CAPI_MANAGEMENT_MOVE, runs["create-cancelled-moving"])
            await lc.cancel(runs["create-cancelled-moving"])
            with contextlib.suppress(Exception):
                await lc.wait(runs["create-cancelled-moving"])
            infra.blocked.clear()

            infra.results[s.CAPI_MOVE_ABORT] = {"settled": "finished"}
            infra.block(s.CAPI_MOVE_TO_BOOTSTRAP)
            await started("delete-cancelled", await lc.start_delete(inp(DeleteClusterInput, "h-dmove")))  # type: ignore[arg-type]
            await _until_started(lc, infra, s.CAPI_MOVE_TO_BOOTSTRAP, runs["delete-cancelled"])
            await lc.cancel(runs["delete-cancelled"])
            with contextlib.suppress(Exception):
                await lc.wait(runs["delete-cancelled"])
            infra.blocked.clear()

            infra.block(s.BACKUP_CAPI_OBJECTS)
            await started("upgrade-cancelled", await lc.start_upgrade(inp(UpgradeClusterInput, "h-ubackup")))  # type: ignore[arg-type]
            await _until_started(lc, infra, s.BACKUP_CAPI_OBJECTS, runs["upgrade-cancelled"])
            await lc.cancel(runs["upgrade-cancelled"])
            with contextlib.suppress(Exception):
                await lc.wait(runs["upgrade-cancelled"])
            infra.blocked.clear()
            for label, wf_id in runs.items():
                history = await env.client.get_workflow_handle(wf_id, run_id=run_ids[label]).fetch_history()
                (HERE / f"{label}.json").write_text(history.to_json())
                print(f"recorded {label}: {len(history.events)} events")
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(record())
    sys.stdout.flush()
    os._exit(0)
