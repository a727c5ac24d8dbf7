"""The step runner every lifecycle workflow uses: runs one named activity per step with
explicit timeouts, a RetryPolicy whose permanent error types fail fast, and ``summary=`` set
to the step name; keeps the ``progress`` model, the Web UI's current-details table and the
``EksaPhase`` search attribute in step with what happens.

When a step's retries are exhausted the operation parks in phase ``awaiting-operator`` and
waits for the ``retry`` (run the step again) or ``abort`` update. ``Operation.guard`` turns
the end of an operation into the right phase: cancellation and failures run compensation
(unless ``keep_on_failure``), failures collect a support bundle first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey
from temporalio.exceptions import ActivityError, ApplicationError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from eksa_temporal.activities.steps import StepInfo, step_info
    from eksa_temporal.errors import NON_RETRYABLE, ClusterExists
    from eksa_temporal.workflows.details import render_details
    from eksa_temporal.workflows.facts import ClusterFacts
    from eksa_temporal.workflows.models import (
        OperationProgress,
        Phase,
        StepProgress,
        StepState,
        Timeouts,
    )

R = TypeVar("R")
A = TypeVar("A")

# an activity method of a step, unbound: ``ProvisionActivities.workload_cluster_init``
StepMethod = Callable[[Any, A], R]

EKSA_CLUSTER = SearchAttributeKey.for_keyword("EksaCluster")
EKSA_OPERATION = SearchAttributeKey.for_keyword("EksaOperation")
EKSA_PROVIDER = SearchAttributeKey.for_keyword("EksaProvider")
EKSA_PHASE = SearchAttributeKey.for_keyword("EksaPhase")
SEARCH_ATTRIBUTES = (EKSA_CLUSTER, EKSA_OPERATION, EKSA_PROVIDER, EKSA_PHASE)

class StepFailed(Exception):
    """A step failed for good: a permanent error, or the operator chose ``abort``."""

    def __init__(self, step: str, message: str, *, aborted: bool = False) -> None:
        super().__init__(message)
        self.step = step
        self.message = message
        self.aborted = aborted


def error_line(err: BaseException) -> str:
    """The most specific message of an activity failure, on one line."""
    cause: BaseException | None = err
    while isinstance(cause, ActivityError) and cause.cause is not None:
        cause = cause.cause
    if isinstance(cause, ApplicationError) and cause.type:
        text = f"{cause.type}: {cause.message}"
    else:
        text = str(cause) or type(cause).__name__
    return " ".join(text.split())[:500]


def raise_if_cancel_requested() -> None:
    """Raise ``CancelledError`` when the workflow has been asked to cancel."""
    if workflow.cancellation_reason() is not None:
        raise asyncio.CancelledError(workflow.cancellation_reason() or "cancel requested")


def _is_permanent(err: ActivityError) -> bool:
    cause = err.cause
    return isinstance(cause, ApplicationError) and (cause.non_retryable or cause.type in NON_RETRYABLE)


class Operation:
    """State and step execution of one lifecycle operation (one workflow run)."""

    def __init__(
        self, operation: str, facts: ClusterFacts, timeouts: Timeouts, plan: list[StepMethod[Any, Any]]
    ) -> None:
        self.facts = facts
        self.timeouts = timeouts
        self.progress = OperationProgress(
            operation=operation,
            cluster=facts.name,
            namespace=facts.namespace,
            provider=facts.provider,
            steps=[StepProgress(name=step_info(m).name) for m in plan],
        )
        self._decision: str | None = None
        self.side_effects = False  # a step beyond validation ran: compensation has work

    def replan(self, plan: list[StepMethod[Any, Any]]) -> None:
        """The table's steps become ``plan`` (steps already there keep their progress)."""
        known = {sp.name: sp for sp in self.progress.steps}
        self.progress.steps = [known.get(step_info(m).name) or StepProgress(name=step_info(m).name) for m in plan]
        self.publish()

    # -- visibility -------------------------------------------------------------------
    def announce(self) -> None:
        """Upsert every search attribute (also when started without them) and publish."""
        workflow.upsert_search_attributes(
            [
                EKSA_CLUSTER.value_set(self.facts.name),
                EKSA_OPERATION.value_set(self.progress.operation),
                EKSA_PROVIDER.value_set(self.facts.provider or "unknown"),
                EKSA_PHASE.value_set(self.progress.phase.value),
            ]
        )
        self.publish()

    def publish(self) -> None:
        workflow.set_current_details(render_details(self.progress))

    def set_phase(self, phase: Phase, error: str | None = None) -> None:
        if error is not None:
            self.progress.error = error
        if phase != self.progress.phase:
            self.progress.phase = phase
            workflow.upsert_search_attributes([EKSA_PHASE.value_set(phase.value)])
        self.publish()

    def _step(self, name: str, *, compensation: bool = False) -> StepProgress:
        table = self.progress.compensation if compensation else self.progress.steps
        for sp in table:
            if sp.name == name:
                return sp
        sp = StepProgress(name=name)
        table.append(sp)
        return sp

    # -- operator decisions (update handlers delegate here) ----------------------------
    def validate_decision(self) -> None:
        if self.progress.phase != Phase.AWAITING_OPERATOR or self._decision is not None:
            raise ValueError(
                f"{self.progress.operation} of {self.facts.name} is {self.progress.phase.value}, "
                "not awaiting an operator decision"
            )

    def decide(self, decision: str) -> str:
        self._decision = decision
        return self.progress.current_step or ""

    # -- steps -----------------------------------------------------------------------
    def _options(self, info: StepInfo, max_attempts: int | None = None) -> dict[str, Any]:
        t = self.timeouts
        long = info.long
        # every step, short ones too: the worker heartbeats for a short step (eksa_temporal.
        # handover), so a dead worker or a lost task costs the heartbeat timeout, not the
        # step's. Activity options are not compared on replay: no patch needed (the stored
        # histories, recorded with short steps without heartbeats, replay).
        return {
            "start_to_close_timeout": timedelta(seconds=t.long_step_seconds if long else t.step_seconds),
            "heartbeat_timeout": timedelta(seconds=t.heartbeat_seconds),
            "retry_policy": RetryPolicy(
                initial_interval=timedelta(seconds=t.initial_retry_seconds),
                backoff_coefficient=2.0,
                maximum_interval=timedelta(seconds=t.max_retry_seconds),
                maximum_attempts=max_attempts or t.max_attempts,
                non_retryable_error_types=NON_RETRYABLE,
            ),
            "cancellation_type": workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
            "summary": info.name,
        }

    async def step(self, method: StepMethod[A, R], arg: A) -> R:
        """Run the step of activity method ``method`` (its record: name, timeouts); park
        for the operator when its retries are exhausted."""
        info = step_info(method)
        name = info.name
        sp = self._step(name)
        self.progress.current_step = name
        if info.side_effects:
            self.side_effects = True
        while True:
            raise_if_cancel_requested()
            sp.state = StepState.RUNNING
            sp.runs += 1
            sp.started_at = workflow.now()
            sp.finished_at = None
            self.publish()
            try:
                result: R = await workflow.execute_activity_method(method, arg, **self._options(info))
            except ActivityError as err:
                if is_cancelled_exception(err):
                    sp.state = StepState.CANCELLED
                    sp.finished_at = workflow.now()
                    raise
                sp.last_error = error_line(err)
                if _is_permanent(err):
                    sp.state = StepState.FAILED
                    sp.finished_at = workflow.now()
                    raise StepFailed(name, sp.last_error) from err
                sp.failed_attempts += self.timeouts.max_attempts
                if await self._park(sp) == "retry":
                    continue
                sp.state = StepState.FAILED
                sp.finished_at = workflow.now()
                raise StepFailed(name, sp.last_error, aborted=True) from err
            except asyncio.CancelledError:
                sp.state = StepState.CANCELLED
                sp.finished_at = workflow.now()
                raise
            sp.state = StepState.COMPLETED
            sp.finished_at = workflow.now()
            self.publish()
            # a step that finished despite a cancel request (activities that do not stop
            # early complete normally): stop here, before the next step
            raise_if_cancel_requested()
            return result

    async def _park(self, sp: StepProgress) -> str:
        sp.state = StepState.AWAITING_OPERATOR
        self._decision = None
        self.set_phase(Phase.AWAITING_OPERATOR, error=f"{sp.name}: {sp.last_error}")
        workflow.logger.warning("step %s parked awaiting operator: %s", sp.name, sp.last_error)
        try:
            await workflow.wait_condition(
                lambda: self._decision is not None,
                timeout=timedelta(hours=self.timeouts.operator_wait_hours),
                timeout_summary=f"{sp.name} awaiting operator",
            )
        except TimeoutError:
            self._decision = "abort"
        except asyncio.CancelledError:
            sp.state = StepState.CANCELLED
            raise
        decision = self._decision or "abort"
        self._decision = None
        if decision == "retry":
            self.progress.error = None
            self.set_phase(Phase.RUNNING)
        return decision

    async def side_step(self, method: StepMethod[A, R], arg: A, *, attempts: int = 3) -> R | None:
        """A best-effort step (compensation, diagnostics): recorded, never raises."""
        info = step_info(method)
        sp = self._step(info.name, compensation=True)
        sp.state = StepState.RUNNING
        sp.runs += 1
        sp.started_at = workflow.now()
        self.publish()
        try:
            result: R = await workflow.execute_activity_method(
                method, arg, **self._options(info, max_attempts=attempts)
            )
        except ActivityError as err:
            sp.state = StepState.FAILED
            sp.last_error = error_line(err)
            sp.finished_at = workflow.now()
            self.publish()
            return None
        sp.state = StepState.COMPLETED
        sp.finished_at = workflow.now()
        self.publish()
        return result

    # -- the end of an operation ---------------------------------------------------------
    async def guard(
        self,
        body: Callable[[], Awaitable[R]],
        *,
        keep_on_failure: bool,
        compensate: Callable[[], Awaitable[None]] | None,
        diagnose: Callable[[], Awaitable[None]] | None,
    ) -> R:
        """Run ``body``; on cancel compensate and re-raise, on failure diagnose, compensate
        and fail the workflow with one line naming the step."""
        try:
            result = await body()
        except StepFailed as failed:
            what = "aborted by the operator" if failed.aborted else "failed"
            line = f"step {failed.step} {what}: {failed.message}"
            self.progress.error = line
            # a create refused because the cluster exists must not write into (or read
            # through) the existing cluster's folder: nothing of its own exists to diagnose
            if diagnose is not None and not failed.message.startswith(f"{ClusterExists.__name__}:"):
                await diagnose()
            if compensate is not None and not keep_on_failure and self.side_effects:
                self.set_phase(Phase.COMPENSATING)
                await compensate()
            self.set_phase(Phase.FAILED, error=line)
            raise ApplicationError(line, type="OperationAborted" if failed.aborted else "StepFailed", non_retryable=True) from failed
        except BaseException as exc:
            if not is_cancelled_exception(exc):
                raise
            self.progress.error = f"cancelled during {self.progress.current_step}"
            if compensate is not None and not keep_on_failure and self.side_effects:
                self.set_phase(Phase.COMPENSATING)
                await asyncio.shield(asyncio.ensure_future(compensate()))
            self.set_phase(Phase.CANCELLED)
            raise
        self.progress.current_step = None
        self.set_phase(Phase.COMPLETED)
        return result
