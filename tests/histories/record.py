"""Records the histories the replay test guards: runs each lifecycle workflow (management
and workload create, upgrade, both deletes, a parked step retried, an abort, cancels of a
create before and during the move, of a delete during its move, of an upgrade's backup)
against fake activities on a throw-away dev server and writes ``tests/histories/*.json``.

Run after an intended workflow change has been made replay-safe (``workflow.patched``) to
add new histories - never to paper over a replay failure:
``.venv/bin/python -m tests.histories.record [CHANGE]``; with ``CHANGE`` (the patch id) the
histories are written beside the older ones as ``<label>.<CHANGE>.json``, which keeps both.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import uuid
from pathlib import Path

from eksa_temporal.client import LifecycleClient, OperationRef
from eksa_temporal.worker import build_worker
from eksa_temporal.workflows.models import (
    CreateClusterInput,
    DeleteClusterInput,
    Timeouts,
    UpgradeClusterInput,
)
from tests.support.temporal import start_dev_server
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


async def record(suffix: str = "") -> None:
    env = await start_dev_server()
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

            infra.transient["capi-management-move"] = 2
            await started("create-retried", await lc.start_create(inp(CreateClusterInput, "h-retry")))  # type: ignore[arg-type]
            await _until_parked(lc, runs["create-retried"])
            await lc.retry(runs["create-retried"])
            await lc.wait(runs["create-retried"])

            infra.transient["workload-cluster-init"] = 99
            await started("create-aborted", await lc.start_create(inp(CreateClusterInput, "h-abort")))  # type: ignore[arg-type]
            await _until_parked(lc, runs["create-aborted"])
            await lc.abort(runs["create-aborted"])
            infra.transient.clear()

            infra.block("workload-cluster-init")
            await started("create-cancelled", await lc.start_create(inp(CreateClusterInput, "h-cancel")))  # type: ignore[arg-type]
            await infra.started["workload-cluster-init"].wait()
            await lc.cancel(runs["create-cancelled"])
            for label in ("create-aborted", "create-cancelled"):
                with contextlib.suppress(Exception):
                    await lc.wait(runs[label])

            infra.blocked.clear()
            infra.block("capi-management-move")
            await started("create-cancelled-moving", await lc.start_create(inp(CreateClusterInput, "h-cmove")))  # type: ignore[arg-type]
            await _until_started(lc, infra, "capi-management-move", runs["create-cancelled-moving"])
            await lc.cancel(runs["create-cancelled-moving"])
            with contextlib.suppress(Exception):
                await lc.wait(runs["create-cancelled-moving"])
            infra.blocked.clear()

            infra.results["capi-move-abort"] = {"settled": "finished"}
            infra.block("capi-move-to-bootstrap")
            await started("delete-cancelled", await lc.start_delete(inp(DeleteClusterInput, "h-dmove")))  # type: ignore[arg-type]
            await _until_started(lc, infra, "capi-move-to-bootstrap", runs["delete-cancelled"])
            await lc.cancel(runs["delete-cancelled"])
            with contextlib.suppress(Exception):
                await lc.wait(runs["delete-cancelled"])
            infra.blocked.clear()

            infra.block("capi-backup")
            await started("upgrade-cancelled", await lc.start_upgrade(inp(UpgradeClusterInput, "h-ubackup")))  # type: ignore[arg-type]
            await _until_started(lc, infra, "capi-backup", runs["upgrade-cancelled"])
            await lc.cancel(runs["upgrade-cancelled"])
            with contextlib.suppress(Exception):
                await lc.wait(runs["upgrade-cancelled"])
            infra.blocked.clear()
            for label, wf_id in runs.items():
                history = await env.client.get_workflow_handle(wf_id, run_id=run_ids[label]).fetch_history()
                (HERE / f"{label}{'.' + suffix if suffix else ''}.json").write_text(history.to_json())
                print(f"recorded {label}: {len(history.events)} events")
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(record(sys.argv[1] if len(sys.argv) > 1 else ""))
    sys.stdout.flush()
    os._exit(0)
