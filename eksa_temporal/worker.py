"""The lifecycle worker: polls the task queue with the three lifecycle workflows and every
activity (sync activities run on a ThreadPoolExecutor), and shuts down gracefully on SIGTERM
or Ctrl-C within the grace period (``graceful_shutdown``), reporting its state on
``--health-bind`` (``eksa_temporal.health``); retried steps hand over quickly
(``eksa_temporal.handover``). ``python worker.py`` is the same as ``eksa-temporal worker``.

Connection settings come from the standard Temporal env/profile config
(``eksa_temporal.client.connect``), which also encrypts payloads when ``EKSA_CODEC_KEYS_FILE``
or ``EKSA_CODEC_KEY`` is set (``eksa_temporal.codec``); the task queue from ``EKSA_TEMPORAL_TASK_QUEUE``; the
simulated infrastructure's state from ``EKSA_TEMPORAL_STATE_DIR``.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.client import Client
from temporalio.runtime import Runtime
from temporalio.worker import Interceptor, Worker

from eksa_temporal import config, logs
from eksa_temporal.codec import AesGcmCodec


def lifecycle_workflows() -> list[type]:
    """The workflow classes (imported on use: their runbooks reference the activity
    modules, whose import failures ``default_activities`` reports in one line)."""
    from eksa_temporal.workflows.create import CreateClusterWorkflow
    from eksa_temporal.workflows.delete import DeleteClusterWorkflow
    from eksa_temporal.workflows.upgrade import UpgradeClusterWorkflow

    return [CreateClusterWorkflow, UpgradeClusterWorkflow, DeleteClusterWorkflow]

MAX_CONCURRENT_ACTIVITIES = 64
# how long running activities may finish after SIGTERM (deploy/ grace periods exceed it plus
# the heartbeat timeout); $EKSA_TEMPORAL_SHUTDOWN_GRACE_SECONDS overrides it
GRACEFUL_SHUTDOWN = timedelta(seconds=10)
SHUTDOWN_GRACE_ENV = "EKSA_TEMPORAL_SHUTDOWN_GRACE_SECONDS"
# after the grace period the SDK cancels what still runs; a step that ignores the cancel
# for this much longer is abandoned (the process leaves; the step's heartbeat timeout hands
# it to another worker)
SHUTDOWN_MARGIN = timedelta(seconds=3)
# workflows kept in the worker's cache (sticky execution); 0 makes every workflow task go
# through the normal queue, so a replacement worker takes over a crashed one's workflows
# without waiting for the sticky timeout (used by the crash tests)
MAX_CACHED_ENV = "EKSA_TEMPORAL_MAX_CACHED_WORKFLOWS"

log = logs.get_logger("worker")


def graceful_shutdown() -> timedelta:
    """The grace period: ``$EKSA_TEMPORAL_SHUTDOWN_GRACE_SECONDS`` (>= 0), else 10 s."""
    raw = os.environ.get(SHUTDOWN_GRACE_ENV, "")
    try:
        return timedelta(seconds=max(float(raw), 0.0)) if raw else GRACEFUL_SHUTDOWN
    except ValueError:
        return GRACEFUL_SHUTDOWN


def default_activities(sim_state_dir: Path | None = None) -> list[Callable[..., Any]]:
    """Every real activity, built with its clients (providers from ``providers.registry``)."""
    from eksa_temporal.activities.catalog import worker_activities
    from eksa_temporal.providers.registry import Registry

    return list(worker_activities(Registry(sim_state_dir)))


def build_worker(
    client: Client,
    *,
    task_queue: str | None = None,
    activities: Sequence[Callable[..., Any]] | None = None,
    executor: ThreadPoolExecutor | None = None,
    max_concurrent_activities: int = MAX_CONCURRENT_ACTIVITIES,
    max_cached_workflows: int | None = None,
    interceptors: Sequence[Interceptor] = (),
) -> Worker:
    """A worker for the lifecycle workflows; ``activities`` defaults to the real ones, sync
    activities run on ``executor`` (a new pool of ``max_concurrent_activities`` threads if
    none is given). Steps hand over quickly between workers (``handover``)."""
    from eksa_temporal.handover import HandoverInterceptor

    if executor is None:
        executor = ThreadPoolExecutor(max_workers=max_concurrent_activities, thread_name_prefix="activity")
    steps = list(activities) if activities is not None else default_activities()
    return Worker(
        client,
        task_queue=task_queue or config.task_queue(),
        workflows=lifecycle_workflows(),
        activities=steps,
        activity_executor=executor,
        max_concurrent_activities=max_concurrent_activities,
        graceful_shutdown_timeout=graceful_shutdown(),
        interceptors=[HandoverInterceptor(client), *interceptors],
        max_cached_workflows=max_cached_workflows if max_cached_workflows is not None else int(os.environ.get(MAX_CACHED_ENV, "1000")),
    )


async def serve(
    *,
    task_queue: str | None = None,
    sim_state_dir: Path | None = None,
    stop: asyncio.Event | None = None,
    metrics_bind: str | None = None,
    health_bind: str | None = None,
) -> None:
    """Run the worker until SIGTERM/SIGINT (or ``stop``), then shut down gracefully: polling
    stops at once, running steps get the grace period (``graceful_shutdown``) to finish,
    then are cancelled and handed over (``handover``); returns within the grace period plus
    ``SHUTDOWN_MARGIN`` whatever the steps do. Every activity is built before connecting: a
    worker missing some refuses to start. With ``metrics_bind`` (``host:port``, default
    ``$EKSA_TEMPORAL_METRICS_BIND``) the Temporal runtime serves Prometheus metrics there,
    the product's ``eksa_*`` included (``eksa_temporal.metrics``); with ``health_bind``
    (default ``$EKSA_TEMPORAL_HEALTH_BIND``) ``/healthz`` and ``/livez`` report the worker's
    state (``eksa_temporal.health``)."""
    from eksa_temporal import metrics
    from eksa_temporal.client import connect
    from eksa_temporal.health import HEALTH_BIND_ENV, HealthServer, WorkerHealth, WorkerState

    activities = default_activities(sim_state_dir)
    bind = metrics_bind or os.environ.get(metrics.METRICS_BIND_ENV) or None
    runtime = metrics.prometheus_runtime(bind) if bind else None
    if runtime is not None:  # every client and worker of this process reports through it
        Runtime.set_default(runtime, error_if_already_set=False)
    health = WorkerHealth()
    hbind = health_bind or os.environ.get(HEALTH_BIND_ENV) or None
    health_server = HealthServer(health, hbind) if hbind else None
    if health_server is not None:  # up before connecting: probes see "starting"
        await health_server.start()
        log.info("health served", bind=hbind)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    queue = task_queue or config.task_queue()
    pool = ThreadPoolExecutor(max_workers=MAX_CONCURRENT_ACTIVITIES, thread_name_prefix="activity")
    try:
        client = await connect()
        worker = build_worker(
            client, task_queue=queue, activities=activities, executor=pool,
            interceptors=[metrics.MetricsInterceptor(runtime.metric_meter)] if runtime else (),
        )  # fmt: skip
        running = asyncio.create_task(worker.run())
        stopping = asyncio.create_task(stop.wait())
        health.set(WorkerState.POLLING)
        codec = client.data_converter.payload_codec
        key_id = codec.keyring.active if isinstance(codec, AesGcmCodec) else None
        log.info("worker polling", task_queue=queue, pid=os.getpid(), encryption_key_id=key_id)
        encryption = f"payloads encrypted with key {key_id}" if key_id else "payloads not encrypted"
        print(f"worker polling task queue {queue} (pid {os.getpid()}; {encryption})", file=sys.stderr, flush=True)
        parked = None
        if runtime is not None:
            gauge = metrics.ParkedGauge(client, runtime.metric_meter, queue)
            parked = asyncio.create_task(gauge.run(stop))
            log.info("metrics served", bind=bind)
            print(f"metrics on http://{bind}/metrics", file=sys.stderr, flush=True)
        await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stop.set()  # also when the worker failed: the parked gauge stops
        health.set(WorkerState.DRAINING)
        if not running.done():
            await _drain(worker)
        if parked is not None:
            await parked
        if running.done():
            running.result()  # a worker that failed raises here
    finally:
        health.set(WorkerState.STOPPED)
        pool.shutdown(wait=False, cancel_futures=True)  # a step ignoring its cancel is not waited for
        if health_server is not None:
            await health_server.stop()
    log.info("worker stopped")


async def _drain(worker: Worker) -> None:
    """Stop polling, give running steps the grace period, then leave (bounded)."""
    grace = graceful_shutdown()
    log.info("worker shutting down", grace_seconds=grace.total_seconds())
    print(f"worker draining: running steps have {grace.total_seconds():g}s to finish", file=sys.stderr, flush=True)
    bound = (grace + SHUTDOWN_MARGIN).total_seconds()
    try:
        await asyncio.wait_for(asyncio.shield(worker.shutdown()), timeout=bound)
    except TimeoutError:
        log.warning("steps still running after the grace period; leaving them to their heartbeat timeout", waited_seconds=bound)


def _run(main: Coroutine[Any, Any, None]) -> None:
    """``asyncio.run`` without cancelling and awaiting leftover tasks on the way out: a step
    that ignored its cancel past the grace period must not hold the process (callers leave
    through ``os._exit``)."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(main)
    finally:
        if not asyncio.all_tasks(loop):
            loop.close()


def main(metrics_bind: str | None = None, health_bind: str | None = None) -> int:
    from eksa_temporal.activities.catalog import ActivityModuleError, load_activity_modules

    try:  # first: the workflows' runbooks reference the activity modules
        load_activity_modules()
    except ActivityModuleError as exc:
        print(f"Error: worker not started: {exc}", file=sys.stderr)
        return 1
    from eksa_temporal.client import LifecycleError
    from eksa_temporal.files import PRIVATE_UMASK
    from eksa_temporal.health import HealthBindError
    from eksa_temporal.metrics import MetricsUnavailable

    os.umask(PRIVATE_UMASK)  # kubeconfigs, backups and bundles it writes are owner-only
    logs.configure()
    try:
        _run(serve(metrics_bind=metrics_bind, health_bind=health_bind))
    except KeyboardInterrupt:
        return 130
    except (ActivityModuleError, LifecycleError, MetricsUnavailable, HealthBindError) as exc:  # one line: what to fix
        print(f"Error: worker not started: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        print(f"Error: worker stopped: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
