"""The worker's Prometheus metrics: the Temporal runtime's own (``temporal_*``: polls, task
latencies, slots, sticky cache, requests) and the product's (``eksa_*``), all served on one
endpoint by the runtime's Prometheus exporter (``eksa-temporal worker --metrics-bind``).

The product's metrics go through the runtime's metric meter, recorded by worker
interceptors, so no workflow command changes:

- workflows (``workflow.metric_meter()``, replay-safe: nothing is counted again when a
  workflow is replayed on another worker): ``eksa_operations_started{operation}``,
  ``eksa_operations_finished{operation,outcome}``, ``eksa_operation_duration_seconds``;
- activities (one activity per step): ``eksa_step_attempts{step,provider,outcome}``,
  ``eksa_step_duration_seconds{step,provider,outcome}``, and
  ``eksa_machines_provisioned{provider}`` (machines ready at the end of a create's
  provisioning step that changed something);
- ``eksa_operations_parked{operation}``: operations waiting in ``awaiting-operator`` on the
  worker's task queue now, counted from Temporal's visibility (every worker of a queue
  reports the same number: aggregate with ``max``).

``worker.serve`` builds the runtime with ``prometheus_runtime`` and passes
``MetricsInterceptor`` to the worker; ``ParkedGauge.run`` polls visibility.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.common import MetricCounter, MetricHistogramFloat, MetricMeter
from temporalio.exceptions import ApplicationError, FailureError, is_cancelled_exception
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.service import RPCError
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    ExecuteWorkflowInput,
    Interceptor,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

from eksa_temporal import logs
from eksa_temporal.errors import NON_RETRYABLE

METRICS_BIND_ENV = "EKSA_TEMPORAL_METRICS_BIND"
# seconds between two counts of the parked operations (default 15)
PARKED_INTERVAL_ENV = "EKSA_TEMPORAL_METRICS_PARKED_SECONDS"

OPERATIONS_STARTED = "eksa_operations_started"
OPERATIONS_FINISHED = "eksa_operations_finished"
OPERATION_DURATION = "eksa_operation_duration_seconds"
STEP_ATTEMPTS = "eksa_step_attempts"
STEP_DURATION = "eksa_step_duration_seconds"
MACHINES_PROVISIONED = "eksa_machines_provisioned"
OPERATIONS_PARKED = "eksa_operations_parked"
SERIES = (
    OPERATIONS_STARTED,
    OPERATIONS_FINISHED,
    OPERATION_DURATION,
    STEP_ATTEMPTS,
    STEP_DURATION,
    MACHINES_PROVISIONED,
    OPERATIONS_PARKED,
)

# workflow type -> the operation's name (as in ``EksaOperation``)
OPERATIONS: Mapping[str, str] = {
    "CreateClusterWorkflow": "create",
    "UpgradeClusterWorkflow": "upgrade",
    "DeleteClusterWorkflow": "delete",
}
# the steps that provision a new cluster's machines (an upgrade's machines roll, not add)
PROVISIONING_STEPS = frozenset({"workload-cluster-init", "create-workload-cluster"})

# seconds: steps run from well under a second (validation) to an hour (long waits)
STEP_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
OPERATION_BUCKETS = (1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400)


def parse_bind(bind: str) -> str:
    """``host:port`` checked; raises ``MetricsUnavailable`` with the fix otherwise."""
    host, sep, port = bind.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise MetricsUnavailable(
            f"--metrics-bind {bind!r} is not host:port (fix: e.g. --metrics-bind 127.0.0.1:9464, "
            "or 0.0.0.0:9464 in a container)"
        )
    return bind


class MetricsUnavailable(ValueError):
    """The metrics endpoint cannot be served (bad address, port in use)."""


def prometheus_runtime(bind: str) -> Runtime:
    """A Temporal runtime serving Prometheus metrics on ``bind`` (``host:port``); raises
    ``MetricsUnavailable`` (one line with the fix) when it cannot."""
    config = PrometheusConfig(
        bind_address=parse_bind(bind),
        histogram_bucket_overrides={STEP_DURATION: STEP_BUCKETS, OPERATION_DURATION: OPERATION_BUCKETS},
    )
    try:
        return Runtime(telemetry=TelemetryConfig(metrics=config))
    except ValueError as exc:  # the SDK's "Failed starting Prometheus exporter: ..."
        raise MetricsUnavailable(
            f"cannot serve metrics on {bind}: {exc} (fix: choose a free host:port for --metrics-bind)"
        ) from exc


# -- workflows -------------------------------------------------------------------------------


def _operation() -> str:
    kind = workflow.info().workflow_type
    return OPERATIONS.get(kind, kind)


class _WorkflowMetrics(WorkflowInboundInterceptor):
    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
        meter = workflow.metric_meter()  # replay-safe: records only on first execution
        operation = _operation()
        meter.create_counter(OPERATIONS_STARTED, "lifecycle operations started").add(
            1, {"operation": operation}
        )
        try:
            result = await self.next.execute_workflow(input)
        except BaseException as exc:
            if is_cancelled_exception(exc):
                _finished(meter, operation, "cancelled")
            elif isinstance(exc, FailureError):  # fails the workflow (others: the task)
                _finished(meter, operation, "failed")
            raise
        _finished(meter, operation, "completed")
        return result


def _finished(meter: MetricMeter, operation: str, outcome: str) -> None:
    attrs = {"operation": operation, "outcome": outcome}
    meter.create_counter(OPERATIONS_FINISHED, "lifecycle operations finished").add(1, attrs)
    seconds = (workflow.now() - workflow.info().start_time).total_seconds()
    meter.create_histogram_float(
        OPERATION_DURATION, "lifecycle operation duration, start to end", "s"
    ).record(max(seconds, 0.0), attrs)


# -- activities (steps) ----------------------------------------------------------------------


def step_outcome(exc: BaseException | None) -> str:
    """``completed``, ``cancelled``, ``permanent-error`` (fails the step at once) or
    ``error`` (retried)."""
    if exc is None:
        return "completed"
    if is_cancelled_exception(exc) or isinstance(exc, asyncio.CancelledError):
        return "cancelled"
    if isinstance(exc, ApplicationError) and (exc.non_retryable or exc.type in NON_RETRYABLE):
        return "permanent-error"
    return "error"


@dataclass(frozen=True)
class _StepInstruments:
    """The step metrics, created once per worker."""

    attempts: MetricCounter
    duration: MetricHistogramFloat
    machines: MetricCounter

    @classmethod
    def on(cls, meter: MetricMeter) -> _StepInstruments:
        return cls(
            attempts=meter.create_counter(STEP_ATTEMPTS, "step (activity) attempts"),
            duration=meter.create_histogram_float(STEP_DURATION, "step attempt duration", "s"),
            machines=meter.create_counter(MACHINES_PROVISIONED, "machines of new clusters provisioned and ready"),
        )


class _StepMetrics(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, metrics: _StepInstruments) -> None:
        super().__init__(next)
        self._metrics = metrics

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        step = activity.info().activity_type
        provider = str(getattr(input.args[0], "provider", None) or "unknown") if input.args else "unknown"
        started = time.monotonic()
        try:
            result = await self.next.execute_activity(input)
        except BaseException as exc:
            self._record(step, provider, step_outcome(exc), started)
            raise
        self._record(step, provider, "completed", started)
        machines = getattr(result, "machines_ready", None)
        if step in PROVISIONING_STEPS and isinstance(machines, int) and getattr(result, "changed", False):
            self._metrics.machines.add(machines, {"provider": provider})
        return result

    def _record(self, step: str, provider: str, outcome: str, started: float) -> None:
        attrs = {"step": step, "provider": provider, "outcome": outcome}
        self._metrics.attempts.add(1, attrs)
        self._metrics.duration.record(time.monotonic() - started, attrs)


class MetricsInterceptor(Interceptor):
    """Records the ``eksa_*`` operation and step metrics on ``meter`` (activities) and the
    workflow's replay-safe meter (workflows)."""

    def __init__(self, meter: MetricMeter) -> None:
        self._steps = _StepInstruments.on(meter)

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _StepMetrics(next, self._steps)

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor] | None:
        return _WorkflowMetrics


# -- parked operations -------------------------------------------------------------------------


def parked_interval() -> timedelta:
    """``$EKSA_TEMPORAL_METRICS_PARKED_SECONDS`` (default 15 s, at least 0.5 s)."""
    raw = os.environ.get(PARKED_INTERVAL_ENV, "")
    try:
        seconds = float(raw) if raw else 15.0
    except ValueError:
        seconds = 15.0
    return timedelta(seconds=max(seconds, 0.5))


@dataclass
class ParkedGauge:
    """``eksa_operations_parked{operation}`` from visibility, every ``interval``."""

    client: Client
    meter: MetricMeter
    task_queue: str
    interval: timedelta = field(default_factory=parked_interval)
    _failing: bool = False

    def query(self, operation: str) -> str:
        return (
            f"TaskQueue = '{self.task_queue}' AND ExecutionStatus = 'Running' "
            f"AND EksaPhase = 'awaiting-operator' AND EksaOperation = '{operation}'"
        )

    async def update(self) -> dict[str, int]:
        gauge = self.meter.create_gauge(
            OPERATIONS_PARKED, "operations awaiting an operator decision now (visibility)"
        )
        counts = {}
        for operation in sorted(set(OPERATIONS.values())):
            counts[operation] = (await self.client.count_workflows(self.query(operation))).count
            gauge.set(counts[operation], {"operation": operation, "task_queue": self.task_queue})
        return counts

    async def run(self, stop: asyncio.Event) -> None:
        """Update until ``stop`` is set; a failed visibility call skips one round."""
        while not stop.is_set():
            try:
                await self.update()
                self._failing = False
            except RPCError as exc:
                if not self._failing:  # once per outage, not every round
                    logs.get_logger("metrics").warning("parked operations not counted", error=str(exc))
                self._failing = True
            try:
                await asyncio.wait_for(stop.wait(), self.interval.total_seconds())
            except TimeoutError:
                continue
