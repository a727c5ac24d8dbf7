"""Test harness (not product code) for the move under a real Temporal worker.

- ``MoveTestWorkflow``: runs the ``capi-management-move`` activity with a short heartbeat
  timeout and fast retries, the way a lifecycle workflow does.
- ``python -m tests.move.temporal_harness ADDRESS TASK_QUEUE``: an activity worker
  process (``MoveActivities`` on a thread pool). With ``EKSA_MOVE_CRASH_AT=<point>:<n>``
  it SIGKILLs itself when the engine reaches that point (the hook is passed by this
  harness; product code never reads the variable).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from eksa_temporal.activities.move.models import MoveStepInput, MoveStepResult


@workflow.defn(name="MoveTestWorkflow")
class MoveTestWorkflow:
    @workflow.run
    async def run(self, inp: MoveStepInput) -> MoveStepResult:
        return await workflow.execute_activity(
            "capi-management-move",
            inp,
            result_type=MoveStepResult,
            start_to_close_timeout=timedelta(seconds=120),
            heartbeat_timeout=timedelta(seconds=2),
            retry_policy=RetryPolicy(
                initial_interval=timedelta(milliseconds=200), maximum_attempts=5
            ),
            summary="capi-management-move",
        )


async def _worker(address: str, task_queue: str) -> None:
    from temporalio.client import Client
    from temporalio.contrib.pydantic import pydantic_data_converter
    from temporalio.worker import Worker

    from eksa_temporal.activities.move import MoveActivities
    from eksa_temporal.kube import move as engine

    crash_at = os.environ.get("EKSA_MOVE_CRASH_AT", "")
    if crash_at:
        point, _, n = crash_at.partition(":")
        real_move = engine.move

        def hook(at: str, count: int) -> None:
            if at == point and count == int(n or 0):
                os.kill(os.getpid(), signal.SIGKILL)

        def move_with_crash(*args: Any, **kwargs: Any) -> Any:
            return real_move(*args, **{**kwargs, "hook": hook})

        engine.move = move_with_crash  # type: ignore[assignment]

    client = await Client.connect(address, data_converter=pydantic_data_converter)
    acts = MoveActivities(heartbeat_interval=0.3)
    with ThreadPoolExecutor(max_workers=4) as pool:
        worker = Worker(
            client, task_queue=task_queue, activities=[acts.capi_management_move], activity_executor=pool
        )
        print("worker ready", flush=True)
        await worker.run()


if __name__ == "__main__":
    try:
        asyncio.run(_worker(sys.argv[1], sys.argv[2]))
    finally:
        sys.stdout.flush()
        os._exit(0)
