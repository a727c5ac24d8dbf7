"""Short steps on a real dev server: the worker heartbeats for a short step that reports
nothing (``eksa_temporal.handover``), so it outlives a heartbeat timeout much shorter than
its run; the details a retried attempt resumes from survive those heartbeats; a cancel that
reaches the step through them does not interrupt it. Without the interceptor the same step
times out on its heartbeat - what the interceptor is for. A long step running an external
command (``tools.runner``) is kept alive by the command's ticks, and keeps its details."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio import activity, workflow
from temporalio.client import WorkflowFailureError
from temporalio.common import RetryPolicy
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    TimeoutError,
    TimeoutType,
)
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

import eksa_temporal.activities.kubeconfig  # declares write-cluster-config, a short step
import eksa_temporal.activities.teardown  # noqa: F401  (declares cleanup-infrastructure, a long step)
from eksa_temporal.activities.steps import declared
from eksa_temporal.handover import HandoverInterceptor, run_to_completion
from eksa_temporal.tools.runner import run

pytestmark = pytest.mark.anyio
STEP = "write-cluster-config"
LONG = "cleanup-infrastructure"
HEARTBEAT = timedelta(seconds=1)


@workflow.defn(name="ShortStepProbe")
class ShortStepProbe:
    @workflow.run
    async def run(self, arg: dict[str, Any]) -> Any:
        return await workflow.execute_activity(
            str(arg.get("step", STEP)),
            arg,
            start_to_close_timeout=timedelta(seconds=60),
            heartbeat_timeout=HEARTBEAT,
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=100), maximum_attempts=int(arg.get("attempts", 1))),
            cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        )


@activity.defn(name=STEP)
def slow_short_step(arg: dict[str, Any]) -> Any:
    """Runs ``seconds`` without reporting progress. With ``fail_until`` it heartbeats its
    details once on attempt 1 and fails the attempts before ``fail_until``; the last attempt
    returns the details it was handed. With ``marker`` it writes the file when it ends."""
    info = activity.info()
    if arg.get("fail_until"):
        if info.attempt == 1:
            activity.heartbeat({"phase": "written", "attempt": 1})
        time.sleep(float(arg["seconds"]))
        if info.attempt < int(arg["fail_until"]):
            raise ApplicationError(f"attempt {info.attempt} fails")
        return list(info.heartbeat_details)
    time.sleep(float(arg["seconds"]))
    if arg.get("marker"):
        Path(arg["marker"]).write_text(f"ran to the end; cancel requested: {activity.is_cancelled()}")
    return "done"


@activity.defn(name=LONG)
def long_step_with_a_command(arg: dict[str, Any]) -> Any:
    """Reports its details, then runs ``sleep seconds`` through the product's runner and
    reports nothing more; attempt 1 fails after it when ``fail_first``, attempt 2 returns
    the details it was handed."""
    info = activity.info()
    if info.attempt > 1:
        return list(info.heartbeat_details)
    activity.heartbeat({"phase": "machines", "attempt": 1})
    run(["sleep", str(arg["seconds"])], timeout=30)
    if arg.get("fail_first"):
        raise ApplicationError("attempt 1 fails after its command")
    return "done"


def probe_worker(env: WorkflowEnvironment, queue: str, *, interceptor: bool) -> Worker:
    return Worker(
        env.client,
        task_queue=queue,
        workflows=[ShortStepProbe],
        activities=[slow_short_step, long_step_with_a_command],
        activity_executor=ThreadPoolExecutor(4),
        interceptors=[HandoverInterceptor(env.client)] if interceptor else [],
        workflow_runner=UnsandboxedWorkflowRunner(),
    )


async def run_probe(env: WorkflowEnvironment, arg: dict[str, Any], *, interceptor: bool) -> Any:
    queue = f"short-{uuid.uuid4()}"
    async with probe_worker(env, queue, interceptor=interceptor):
        return await env.client.execute_workflow(ShortStepProbe.run, arg, id=f"probe-{uuid.uuid4()}", task_queue=queue)


def test_write_cluster_config_is_a_short_step() -> None:
    record = declared(STEP)
    assert record is not None and not record.long


async def test_a_long_step_running_a_command_outlives_the_heartbeat_timeout_and_keeps_its_details(
    temporal_env: WorkflowEnvironment,
) -> None:
    record = declared(LONG)
    assert record is not None and record.long
    assert await run_probe(temporal_env, {"step": LONG, "seconds": 3.5}, interceptor=True) == "done"
    handed = await run_probe(temporal_env, {"step": LONG, "seconds": 2.5, "fail_first": True, "attempts": 2}, interceptor=True)
    assert handed == [{"phase": "machines", "attempt": 1}]


async def test_a_short_step_outlives_a_heartbeat_timeout_a_third_of_its_run(temporal_env: WorkflowEnvironment) -> None:
    assert await run_probe(temporal_env, {"seconds": 3.5}, interceptor=True) == "done"


async def test_without_the_interceptor_the_same_step_times_out_on_its_heartbeat(temporal_env: WorkflowEnvironment) -> None:
    with pytest.raises(WorkflowFailureError) as failed:
        await run_probe(temporal_env, {"seconds": 3.5}, interceptor=False)
    cause = failed.value.cause
    assert isinstance(cause, ActivityError) and isinstance(cause.cause, TimeoutError)
    assert cause.cause.type == TimeoutType.HEARTBEAT


async def test_the_details_a_retry_resumes_from_survive_the_workers_heartbeats(temporal_env: WorkflowEnvironment) -> None:
    # attempt 1 reports its details and fails; attempt 2 runs 2.5 s (the worker resends
    # what it was handed) and fails; attempt 3 is handed attempt 1's details still
    handed = await run_probe(temporal_env, {"seconds": 2.5, "fail_until": 3, "attempts": 3}, interceptor=True)
    assert handed == [{"phase": "written", "attempt": 1}]


async def test_a_cancel_reaching_a_short_step_through_the_heartbeats_lets_it_finish(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    marker = tmp_path / "ended"
    queue = f"short-{uuid.uuid4()}"
    async with probe_worker(temporal_env, queue, interceptor=True):
        handle = await temporal_env.client.start_workflow(
            ShortStepProbe.run, {"seconds": 3, "marker": str(marker)}, id=f"probe-{uuid.uuid4()}", task_queue=queue
        )
        await asyncio.sleep(1.0)
        await handle.cancel()
        # the step ends and its result reaches the workflow, as for a step without heartbeats
        assert await handle.result() == "done"
    assert marker.read_text() == "ran to the end; cancel requested: True"


def test_a_short_steps_own_error_is_raised_even_with_a_cancel_held_back() -> None:
    env = ActivityEnvironment()

    def broken() -> None:
        time.sleep(0.6)
        raise ValueError("broken step")

    canceller = threading.Timer(0.1, env.cancel)
    canceller.start()
    try:
        with pytest.raises(ValueError, match="broken step"):
            env.run(run_to_completion(broken))
    finally:
        canceller.cancel()


def test_a_short_step_finishes_when_cancelled_and_returns_its_result() -> None:
    env = ActivityEnvironment()

    def slow() -> str:
        time.sleep(0.6)
        return "written"

    canceller = threading.Timer(0.1, env.cancel)
    canceller.start()
    try:
        assert env.run(run_to_completion(slow)) == "written"
    finally:
        canceller.cancel()
    # the same step unwrapped is interrupted by the cancel: what run_to_completion prevents
    env = ActivityEnvironment()
    canceller = threading.Timer(0.1, env.cancel)
    canceller.start()
    try:
        with pytest.raises(CancelledError):
            env.run(slow)
    finally:
        canceller.cancel()
