"""Recovery time after a worker ``kill -9``, printing figures (not a timed test): a
management create uninterrupted, and one whose only worker is ``kill -9``ed while
``workload-cluster-init`` runs (a replacement worker started at once, as a Deployment
would), the difference and the ratio; then where the difference went, from the killed
run's history (kill -> retried attempt started -> completed -> next workflow task picked up).

Everything runs on private processes (a Temporal dev server on SQLite, a sim with
``--boot-seconds`` so the step is running when the worker dies, workers) in a temporary
folder, on free 127.0.0.1 ports, stopped by PID at the end.
``.venv/bin/python benchmarks/recovery.py [--runs 3] [--boot-seconds 1] [--timeline] [--baseline]``
(``--baseline`` adds killed runs whose replacement worker does not clear the sticky task
queue: the product before ``eksa_temporal.handover``, for the ratio in one run).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from temporalio.api.enums.v1 import PendingActivityState
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from benchmarks.lifecycle_bench import stop_all
from eksa_temporal.client import LifecycleClient
from eksa_temporal.devserver import (
    Child,
    TemporalDevServer,
    free_port,
    spawn,
    start_sim,
    start_worker,
)
from eksa_temporal.simulator.api import SimClient
from eksa_temporal.spec import generate_cluster_config
from eksa_temporal.workflows.models import CreateClusterInput, Timeouts

HEARTBEAT = 5.0
BENCH = Timeouts(heartbeat_seconds=HEARTBEAT, initial_retry_seconds=0.2, max_retry_seconds=2)
STEP = "workload-cluster-init"
NO_RESET_WORKER = (
    "import runpy; from eksa_temporal import handover; "
    "handover.HandoverInterceptor.intercept_activity = lambda self, nxt: nxt; "
    "runpy.run_module('eksa_temporal.worker', run_name='__main__')"
)


async def timeline(client: Client, wf_id: str, since: float) -> list[tuple[float, str]]:
    """``(seconds after since, event)`` for the history events at or after ``since``."""
    rows: list[tuple[float, str]] = []
    names: dict[int, str] = {}
    async for ev in client.get_workflow_handle(wf_id).fetch_history_events():
        t = ev.event_time.ToDatetime().timestamp() - since
        kind: str = str(ev.WhichOneof("attributes") or "").removesuffix("_event_attributes")
        if ev.HasField("activity_task_scheduled_event_attributes"):
            names[ev.event_id] = ev.activity_task_scheduled_event_attributes.activity_type.name
            kind += f" {names[ev.event_id]}"
        elif ev.HasField("activity_task_started_event_attributes"):
            a = ev.activity_task_started_event_attributes
            kind += f" {names.get(a.scheduled_event_id, '?')} attempt {a.attempt}"
        elif ev.HasField("activity_task_completed_event_attributes"):
            kind += f" {names.get(ev.activity_task_completed_event_attributes.scheduled_event_id, '?')}"
        elif ev.HasField("workflow_task_timed_out_event_attributes"):
            kind += f" ({ev.workflow_task_timed_out_event_attributes.timeout_type})"
        if t >= -0.001:
            rows.append((t, kind))
    return rows


def handover(rows: list[tuple[float, str]]) -> tuple[float, float]:
    """From a killed run's timeline: seconds from the kill to the retried attempt's start,
    and from the retried step's completion to the next workflow task's start."""
    retry = next(t for t, what in rows if what.startswith(f"activity_task_started {STEP} attempt"))
    done = next(t for t, what in rows if what == f"activity_task_completed {STEP}")
    picked = next(t for t, what in rows if t >= done and what == "workflow_task_started")
    return retry, picked - done


class Bench:
    def __init__(self, root: Path, boot_seconds: float, show_timeline: bool) -> None:
        self.root = root
        self.boot_seconds = boot_seconds
        self.show_timeline = show_timeline
        self.handovers: list[tuple[float, float]] = []
        self.baseline: list[tuple[float, float]] = []
        self.server = TemporalDevServer(root / "temporal", port=free_port(), ui_port=None)
        self.sim: Child | None = None
        self.workers: list[Child] = []
        self.queue = f"recovery-{uuid.uuid4()}"

    def worker(self, reset: bool = True) -> Child:
        """A worker process; ``reset=False``: one whose retried attempts do not clear the
        sticky task queue (the product before ``eksa_temporal.handover``), for the baseline."""
        log = self.root / f"worker-{len(self.workers)}.log"
        if reset:
            child = start_worker(self.root, self.server.address, task_queue=self.queue, log_path=log)
        else:
            env = dict(os.environ, TEMPORAL_ADDRESS=self.server.address, EKSA_TEMPORAL_STATE_DIR=str(self.root), EKSA_TEMPORAL_TASK_QUEUE=self.queue)
            child = spawn("worker", [sys.executable, "-c", NO_RESET_WORKER], log_path=log, env=env)
        self.workers.append(child)
        return child

    async def create(self, lc: LifecycleClient, client: Client, name: str, *, kill: bool, reset: bool = True) -> tuple[float, float | None]:
        """Seconds the create took, and when (epoch) the worker was killed, if it was."""
        t = time.perf_counter()
        ref = await lc.start_create(CreateClusterInput(spec_yaml=generate_cluster_config(name, "sim"), workdir=str(self.root / "out" / name), timeouts=BENCH))
        killed_at = None
        if kill:
            handle = client.get_workflow_handle(ref.workflow_id)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                desc = await handle.describe()
                if any(pa.activity_type.name == STEP and pa.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED for pa in desc.raw_description.pending_activities):
                    break
                await asyncio.sleep(0.05)
            else:
                raise RuntimeError(f"{STEP} never ran")
            await asyncio.sleep(0.3)  # well inside the step
            killed_at = time.time()
            self.workers[-1].kill()
            self.worker(reset)
        await asyncio.wait_for(lc.wait(ref.workflow_id), timeout=180)
        took = time.perf_counter() - t
        if killed_at is not None:
            rows = await timeline(client, ref.workflow_id, killed_at)
            (self.handovers if reset else self.baseline).append(handover(rows))
            if self.show_timeline:
                print(f"\n  {name}: {took:.2f}s; history after the kill -9 (s):")
                for at, what in rows:
                    print(f"    {at:6.2f}  {what}")
        return took, killed_at

    async def run(self, runs: int, baseline: bool) -> None:
        self.server.start()
        self.sim = start_sim(self.root / "sim", extra=["--listen", "127.0.0.1:0"])
        SimClient(self.root / "sim").set_knobs(deployment_ready_seconds=0.0, boot_seconds=self.boot_seconds)
        client = await Client.connect(self.server.address, data_converter=pydantic_data_converter)
        lc = LifecycleClient(client, self.queue, task_timeout=timedelta(seconds=2))
        self.worker()
        await asyncio.sleep(5)  # the worker imports and starts polling
        await self.create(lc, client, "warm", kill=False)
        plain, killed, before = [], [], []
        for i in range(runs):
            plain.append((await self.create(lc, client, f"plain-{i}", kill=False))[0])
            killed.append((await self.create(lc, client, f"killed-{i}", kill=True))[0])
            await asyncio.sleep(4)  # the replacement is polling before the next run
            if baseline:
                before.append((await self.create(lc, client, f"before-{i}", kill=True, reset=False))[0])
                await asyncio.sleep(4)
        p, k = statistics.median(plain), statistics.median(killed)
        print(f"\nmanagement create (median of {runs}): {p:.2f}s uninterrupted, {k:.2f}s with the worker kill -9ed "
              f"during {STEP} and a replacement started at once: +{k - p:.2f}s (target <= heartbeat {HEARTBEAT:.0f}s + 3s), "
              f"ratio {k / p:.2f}x; runs uninterrupted {[round(x, 2) for x in plain]}, killed {[round(x, 2) for x in killed]}")
        if before:
            b = statistics.median(before)
            print(f"baseline, retried attempts not clearing the sticky task queue: {b:.2f}s killed, +{b - p:.2f}s, "
                  f"ratio {b / p:.2f}x; runs {[round(x, 2) for x in before]}")
        for label, handovers in (("killed runs", self.handovers), ("baseline runs", self.baseline)):
            if handovers:
                retry = [r for r, _ in handovers]
                gap = [g for _, g in handovers]
                print(f"from the {label}' histories: kill -> retried {STEP} started {statistics.median(retry):.2f}s "
                      f"(median; {[round(x, 2) for x in retry]}); retried step completed -> next workflow task started "
                      f"{1000 * statistics.median(gap):.0f} ms (median; {[round(1000 * x) for x in gap]} ms)")

    def stop(self) -> None:
        stop_all(self.server, self.sim, self.workers)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--boot-seconds", type=float, default=1.0, help="sim machine boot time (how long the killed step runs)")
    parser.add_argument("--timeline", action="store_true", help="print each killed run's history after the kill")
    parser.add_argument("--baseline", action="store_true", help="also kill runs whose replacement does not clear the sticky task queue")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="eksa-recovery-") as tmp:
        bench = Bench(Path(tmp), args.boot_seconds, args.timeline)
        try:
            asyncio.run(bench.run(args.runs, args.baseline))
        finally:
            bench.stop()
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)
