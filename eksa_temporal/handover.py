"""How a step moves quickly from a dead worker to another: the worker's activity
interceptor that ``worker.build_worker`` installs on every worker.

A retried attempt (attempt > 1: the previous one timed out on a dead worker's heartbeat,
was cancelled by its worker's shutdown, or failed) first clears its workflow's sticky task
queue (``ResetStickyTaskQueue``). The workflow task that the attempt's completion schedules
then goes to the shared task queue at once, instead of to the sticky queue of a worker that
may be gone, where it would wait out the sticky schedule-to-start timeout (10 s; measured in
``benchmarks/recovery.py``: a ``kill -9`` cost +13.9 s before, +5.6 s after). First
attempts, the whole of a healthy run, make no extra call; a retried attempt whose workflow
is still cached on a live worker costs that worker one replay of the history.

Every step has a heartbeat timeout (``workflows/runner.py``), short ones included, so a step
whose worker died, or whose task was lost between the server and a worker, is retried after
the heartbeat timeout instead of its start-to-close timeout (10 min by default). Long steps
report progress while they wait; a short step (validation, writing the cluster's files)
reports none, so the interceptor heartbeats for it every third of the timeout while it runs,
resending the last details it has (its own, or those of the attempt before, which a resume
reads). A cancel that reaches a short step through those heartbeats is not raised in it: it
runs to its end, as a step without heartbeats always did (a worker shutdown still stops it).
A heartbeat without details - what ``tools.runner`` sends while an external command of any
step runs (``kind delete cluster`` may take longer than the heartbeat timeout) - resends the
last details, so what a retried attempt resumes from is never cleared.

Nothing here changes workflow commands; histories replay as before.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from temporalio import activity
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import ResetStickyTaskQueueRequest
from temporalio.client import Client
from temporalio.exceptions import CancelledError
from temporalio.service import RPCError
from temporalio.worker import (
    ActivityInboundInterceptor,
    ActivityOutboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from eksa_temporal import logs
from eksa_temporal.activities.steps import declared

RESET_TIMEOUT_SECONDS = 2.0

log = logs.get_logger("handover")


class HandoverInterceptor(Interceptor):
    """Clears the sticky task queue before a retried attempt and heartbeats for short steps
    (see the module docstring)."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _Handover(next, self._client)


class _Handover(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, client: Client) -> None:
        super().__init__(next)
        self._client = client
        self._beats: _LastBeat | None = None

    def init(self, outbound: ActivityOutboundInterceptor) -> None:
        self._beats = _LastBeat(outbound, outbound.info().heartbeat_details)
        super().init(self._beats)

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        if info.attempt > 1 and info.workflow_namespace and info.workflow_id:
            await reset_sticky(self._client, info.workflow_namespace, info.workflow_id, info.workflow_run_id)
        record = declared(info.activity_type)
        if self._beats is None or not info.heartbeat_timeout or record is None or record.long or inspect.iscoroutinefunction(input.fn):
            return await super().execute_activity(input)
        input.fn = run_to_completion(input.fn)
        keepalive = asyncio.create_task(self._beats.keep_alive(info.heartbeat_timeout.total_seconds() / 3))
        try:
            return await super().execute_activity(input)
        finally:
            keepalive.cancel()


class _LastBeat(ActivityOutboundInterceptor):
    """Remembers the details of the last heartbeat (at first, the attempt before's) and
    resends them on its own while a short step runs."""

    def __init__(self, next: ActivityOutboundInterceptor, details: Any) -> None:
        super().__init__(next)
        self.details: tuple[Any, ...] = tuple(details or ())

    def heartbeat(self, *details: Any) -> None:
        # a heartbeat without details says "alive, same progress" (an external command
        # running, ``tools.runner``): the last details are sent again, not cleared
        if details:
            self.details = details
        super().heartbeat(*self.details)

    async def keep_alive(self, every: float) -> None:
        while True:  # a step done within the first interval sends nothing
            await asyncio.sleep(every)
            self.heartbeat()


def run_to_completion(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` (a sync step) run to its end when a cancel request reaches it, as a step
    without heartbeats always did; a worker shutdown still interrupts it."""

    @functools.wraps(fn)
    def run(*args: Any) -> Any:
        outcome: Any = None
        failure: Exception | None = None
        try:
            with activity.shield_thread_cancel_exception():
                try:
                    outcome = fn(*args)
                except Exception as exc:  # the step's own error, raised below (not the cancel)
                    failure = exc
        except CancelledError:  # the cancel held back while the step ran
            if activity.is_worker_shutdown():
                raise
        if failure is not None:
            raise failure
        return outcome

    return run


async def reset_sticky(client: Client, namespace: str, workflow_id: str, run_id: str | None) -> bool:
    """Clear the sticky task queue of one workflow run; False (logged) when the call fails:
    the workflow task then only waits out the sticky timeout, as without this call."""
    request = ResetStickyTaskQueueRequest(
        namespace=namespace, execution=WorkflowExecution(workflow_id=workflow_id, run_id=run_id or "")
    )
    try:
        await client.workflow_service.reset_sticky_task_queue(request, retry=False, timeout=timedelta(seconds=RESET_TIMEOUT_SECONDS))
    except RPCError as exc:
        log.warning("sticky task queue not reset", workflow_id=workflow_id, error=exc.message)
        return False
    return True

