"""Scale benchmark: N concurrent workload creates on one worker and on two, beside the
floor this machine allows, printing figures (not a timed test):

0. the sim's controllers alone (in-process store, no HTTP, no Temporal): N CAPI clusters
   applied at once until all are Available, per reconcile-pool size (``--pools``);
1. the floor: N concurrent workflows of the workload create's shape (the same number of
   sequential activities, each a no-op) on an in-process worker of this script - what the
   dev server and the SDK allow here, measured in the same run;
2. one workload create alone; N concurrent on one worker; N concurrent on two workers:
   makespan, per-create p50/p95, worker peak RSS, CPU seconds spent by the sim, the
   workers and the dev server, Temporal actions and history events per create, activity
   schedule-to-start.

"Actions" are counted twice: by the dev server itself (its ``action`` counter, which the
server keeps per action type as Temporal Cloud bills them, activity heartbeats included),
scraped from its metrics endpoint before and after each batch; and from each history (the
workflow start, activities scheduled and each retry attempt, timers, signals, markers,
search-attribute upserts, child workflows), which cannot see heartbeats.

Everything runs on private processes (a Temporal dev server on SQLite, a sim with zero
latency and boot time, workers) in a temporary folder on free 127.0.0.1 ports, stopped by
PID at the end. ``.venv/bin/python benchmarks/scale.py [--concurrent 50] [--pools 1,2,8]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from temporalio import activity, workflow
from temporalio.api.enums.v1 import EventType, TimeoutType
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from benchmarks.lifecycle_bench import pct, rss_mb, spec, stop_all
from eksa_temporal import logs
from eksa_temporal.client import LifecycleClient
from eksa_temporal.devserver import Child, TemporalDevServer, free_port, start_sim, start_worker
from eksa_temporal.simulator.api import SimClient
from eksa_temporal.workflows.create import WORKLOAD_PLAN
from eksa_temporal.workflows.models import CreateClusterInput, Timeouts

# the product's step bounds (heartbeat timeout 20 s); only the retry backoff is shortened
BENCH = Timeouts(initial_retry_seconds=0.2, max_retry_seconds=2)
TICK = os.sysconf("SC_CLK_TCK")
ACTION_EVENTS = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
    EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
    EventType.EVENT_TYPE_TIMER_STARTED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
    EventType.EVENT_TYPE_MARKER_RECORDED,
    EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
    EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED,
    EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
    EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
}


def server_actions(metrics_port: int, namespace: str = "default") -> Counter[str]:
    """The dev server's ``action`` counter of ``namespace``, per action type."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).read().decode()
    out: Counter[str] = Counter()
    for line in text.splitlines():
        if line.startswith("action{") and f'namespace="{namespace}"' in line:
            labels, _, value = line.rpartition(" ")
            kind = labels.split('action_type="', 1)[1].split('"', 1)[0]
            out[kind] += int(float(value))
    return out


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime
    except (OSError, IndexError, ValueError):
        return 0.0


# 0. the sim's controllers alone ------------------------------------------------------------
def controllers_alone(n: int, pool: int, root: Path) -> tuple[float, float, int]:
    """(makespan, p50, reconciles) for ``n`` CAPI clusters applied at once, in-process."""
    from tests.simulator.controllers import capi
    from tests.simulator.controllers import harness as h

    state = root / f"ctl-{pool}-{uuid.uuid4().hex[:6]}"
    state.mkdir()
    store = h.open_store(state)
    h.install(store, "mgmt")
    h.apply(store, "mgmt", [capi.namespace()])
    os.environ["EKSA_SIM_RECONCILE_WORKERS"] = str(pool)
    try:
        async def scenario() -> tuple[float, float, int]:
            async with h.running(store, state) as manager:
                await asyncio.sleep(0.3)
                t0, r0 = time.perf_counter(), manager.reconciles
                for i in range(n):
                    h.apply(store, "mgmt", capi.cluster_objects(f"w{i}", cp=1, workers=1))
                done: dict[int, float] = {}
                while len(done) < n and time.perf_counter() - t0 < 600:
                    for i in range(n):
                        if i not in done and h.cond(h.get(store, "mgmt", "Cluster", f"w{i}"), "Available", v2=True):
                            done[i] = time.perf_counter() - t0
                    await asyncio.sleep(0.05)
                if len(done) < n:
                    raise RuntimeError(f"only {len(done)} of {n} clusters became Available")
                return max(done.values()), statistics.median(done.values()), manager.reconciles - r0

        return asyncio.run(scenario())
    finally:
        os.environ.pop("EKSA_SIM_RECONCILE_WORKERS", None)
        store.close()


# 1. the floor ------------------------------------------------------------------------------
@activity.defn(name="bench-noop")
async def noop(step: str) -> str:
    return step


@workflow.defn(name="BenchShape")
class BenchShape:
    @workflow.run
    async def run(self, steps: list[str]) -> None:
        for step in steps:
            await workflow.execute_activity(noop, step, start_to_close_timeout=timedelta(seconds=30))


# 2. the product ----------------------------------------------------------------------------
class Bench:
    def __init__(self, root: Path, concurrent: int, worker_counts: tuple[int, ...] = (1, 2)) -> None:
        self.root = root
        self.concurrent = concurrent
        self.worker_counts = worker_counts
        self.server = TemporalDevServer(root / "temporal", port=free_port(), ui_port=None, metrics_port=free_port())
        self.sim: Child | None = None
        self.workers: list[Child] = []
        self.queue = f"scale-{uuid.uuid4()}"

    def worker(self) -> Child:
        child = start_worker(self.root, self.server.address, task_queue=self.queue,
                             log_path=self.root / f"worker-{len(self.workers)}.log")
        self.workers.append(child)
        return child

    def pids(self) -> dict[str, list[int]]:
        server = self.server.child.pid if self.server.child is not None else 0
        return {"sim": [self.sim.pid] if self.sim else [], "workers": [w.pid for w in self.workers],
                "temporal": [server]}

    async def measured(self, run: Callable[[], Awaitable[list[float]]]) -> dict[str, Any]:
        """Run ``run`` (per-create durations), sampling RSS; makespan and CPU per process kind."""
        before = {k: sum(cpu_seconds(p) for p in v) for k, v in self.pids().items()}
        assert self.server.metrics_port is not None
        actions_before = server_actions(self.server.metrics_port)
        peak = 0.0
        t0 = time.perf_counter()
        task = asyncio.ensure_future(run())
        while not task.done():
            peak = max(peak, sum(rss_mb(w.pid) for w in self.workers))
            await asyncio.sleep(0.2)
        durations = task.result()
        makespan = time.perf_counter() - t0
        cpu = {k: sum(cpu_seconds(p) for p in v) - before[k] for k, v in self.pids().items()}
        await asyncio.sleep(1.0)  # the last completions reach the counter
        actions = server_actions(self.server.metrics_port)
        actions.subtract(actions_before)
        return {"makespan": makespan, "p50": statistics.median(durations), "p95": pct(durations, 0.95),
                "rss": peak, "cpu": cpu, "actions": +actions}

    async def run(self) -> None:
        self.server.start()
        self.sim = start_sim(self.root / "sim", extra=["--boot-seconds", "0", "--listen", "127.0.0.1:0"])
        SimClient(self.root / "sim").set_knobs(deployment_ready_seconds=0.0, boot_seconds=0.0)
        client = await Client.connect(self.server.address, data_converter=pydantic_data_converter)
        lc = LifecycleClient(client, self.queue)
        self.worker()

        # 1. the floor: the workload create's shape, no-op activities, same concurrency
        floor_queue = f"floor-{uuid.uuid4()}"
        async with Worker(client, task_queue=floor_queue, workflows=[BenchShape], activities=[noop],
                          workflow_runner=UnsandboxedWorkflowRunner()):  # defined in this script's __main__
            async def shape(i: int) -> float:
                t = time.perf_counter()
                await client.execute_workflow(BenchShape.run, list(WORKLOAD_PLAN), id=f"floor-{i}-{uuid.uuid4().hex[:6]}",
                                              task_queue=floor_queue)
                return time.perf_counter() - t

            floor_one = await shape(-1)
            t0 = time.perf_counter()
            floor_durations = await asyncio.gather(*(shape(i) for i in range(self.concurrent)))
            floor = time.perf_counter() - t0
        print(f"floor ({len(WORKLOAD_PLAN)} sequential no-op activities per workflow, in-process worker): "
              f"one {floor_one:.2f}s; {self.concurrent} concurrent makespan {floor:.2f}s "
              f"(p95 {pct(floor_durations, 0.95):.2f}s); {self.concurrent * len(WORKLOAD_PLAN) / floor:.0f} activities/s",
              flush=True)

        await asyncio.sleep(max(0.0, 5 - floor - floor_one))  # the worker imports and starts polling
        mgmt = self.root / "out" / "m0"
        await lc.wait((await lc.start_create(CreateClusterInput(spec_yaml=spec("m0"), workdir=str(mgmt), timeouts=BENCH))).workflow_id)
        mgmt_kc = str(mgmt / "m0-eks-a-cluster.kubeconfig")

        async def workload(name: str) -> float:
            t = time.perf_counter()
            ref = await lc.start_create(CreateClusterInput(spec_yaml=spec(name, "m0"), workdir=str(self.root / "out" / name),
                                                           management_kubeconfig=mgmt_kc, timeouts=BENCH))
            await lc.wait(ref.workflow_id)
            return time.perf_counter() - t

        await workload("w-warm")
        one = statistics.median([await workload(f"w-one-{i}") for i in range(3)])
        print(f"one workload create alone: {one:.2f}s (median of 3)", flush=True)

        for n_workers in self.worker_counts:
            prefix = f"w{n_workers}x"
            while len(self.workers) < n_workers:
                self.worker()
                await asyncio.sleep(5)  # the new worker imports and starts polling

            async def batch(prefix: str = prefix) -> list[float]:
                return list(await asyncio.gather(*(workload(f"{prefix}-{i}") for i in range(self.concurrent))))

            fig = await self.measured(batch)
            actions, events, queued, per_step = await self.history_figures(client, prefix)
            cpu = ", ".join(f"{k} {v:.1f}s" for k, v in fig["cpu"].items())
            served: Counter[str] = fig["actions"]
            heartbeats = served.get("grpc_RecordActivityTaskHeartbeat", 0)
            by_type = ", ".join(f"{k.partition('_')[2]} {v / self.concurrent:.1f}" for k, v in served.most_common())
            print(f"{self.concurrent} concurrent workload creates on {n_workers} worker(s): makespan {fig['makespan']:.2f}s "
                  f"({fig['makespan'] / floor:.1f}x the floor, {fig['makespan'] / one:.1f}x one alone); per create "
                  f"p50 {fig['p50']:.2f}s, p95 {fig['p95']:.2f}s; worker peak RSS {fig['rss']:.0f} MB (all workers); "
                  f"CPU during the run: {cpu}; actions per create: {sum(served.values()) / self.concurrent:.1f} counted by the "
                  f"server ({heartbeats / self.concurrent:.1f} of them heartbeats; {by_type}), {actions:.1f} in the "
                  f"history; history events {events:.1f}; "
                  f"activity schedule-to-start p50 {1000 * pct(queued, 0.5):.0f} ms, p95 {1000 * pct(queued, 0.95):.0f} ms"
                  f"\n  per step (median run, p95 schedule-to-start): {per_step}", flush=True)

    async def history_figures(self, client: Client, prefix: str) -> tuple[float, float, list[float], str]:
        """Actions and events per create, schedule-to-start of every activity, and per step
        the median run time / p95 schedule-to-start, then the retried attempts per step and
        cause."""
        retried: Counter[str] = Counter()
        actions: list[int] = []
        events: list[int] = []
        queued: list[float] = []
        steps: dict[str, tuple[list[float], list[float]]] = {}
        async for ex in client.list_workflows(f"EksaCluster STARTS_WITH '{prefix}-' AND TaskQueue = '{self.queue}'"):
            n_actions = n_events = 0
            scheduled: dict[int, tuple[str, float]] = {}
            started: dict[int, float] = {}
            async for ev in client.get_workflow_handle(ex.id, run_id=ex.run_id).fetch_history_events():
                n_events += 1
                t = ev.event_time.ToDatetime().timestamp()
                if ev.event_type in ACTION_EVENTS:
                    n_actions += 1
                if ev.HasField("activity_task_scheduled_event_attributes"):
                    scheduled[ev.event_id] = (ev.activity_task_scheduled_event_attributes.activity_type.name, t)
                elif ev.HasField("activity_task_started_event_attributes"):
                    attrs = ev.activity_task_started_event_attributes
                    n_actions += max(0, attrs.attempt - 1)  # retries are actions too
                    name, at = scheduled.get(attrs.scheduled_event_id, ("?", t))
                    if attrs.attempt > 1:  # why the attempt before the last one ended
                        failure = attrs.last_failure
                        why = (TimeoutType.Name(failure.timeout_failure_info.timeout_type).removeprefix("TIMEOUT_TYPE_").lower()
                               if failure.HasField("timeout_failure_info") else failure.message[:40])
                        retried[f"{name} ({why})"] += attrs.attempt - 1
                    queued.append(t - at)
                    steps.setdefault(name, ([], []))[1].append(t - at)
                    started[attrs.scheduled_event_id] = t
                elif ev.HasField("activity_task_completed_event_attributes"):
                    sid = ev.activity_task_completed_event_attributes.scheduled_event_id
                    name = scheduled.get(sid, ("?", t))[0]
                    steps.setdefault(name, ([], []))[0].append(t - started.get(sid, t))
            actions.append(n_actions)
            events.append(n_events)
        if not actions:
            raise RuntimeError(f"no workflows found for {prefix}-*")
        per_step = "; ".join(f"{k} runs {statistics.median(r):.2f}s, waits p95 {pct(w, 0.95):.2f}s"
                             for k, (r, w) in steps.items() if r and w)
        per_step += "\n  retried attempts: " + (", ".join(f"{k} {v}" for k, v in retried.most_common()) or "none")
        return statistics.mean(actions), statistics.mean(events), queued, per_step

    def stop(self) -> None:
        stop_all(self.server, self.sim, self.workers)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--concurrent", type=int, default=50)
    parser.add_argument("--pools", default="1,2,8", help="reconcile-pool sizes for the controllers-alone figure ('' skips it)")
    parser.add_argument("--controllers-only", action="store_true", help="only the controllers-alone figure")
    parser.add_argument("--workers", default="1,2", help="worker counts to measure the batch on, in order")
    parser.add_argument("--logs", type=Path, default=None, help="copy the worker, sim and server logs here at the end")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the children (finally) under `timeout`
    logs.configure(verbose=False)  # the client's per-submission debug lines stay out of the figures
    with tempfile.TemporaryDirectory(prefix="eksa-scale-") as tmp:
        for pool in [int(p) for p in args.pools.split(",") if p.strip()]:
            makespan, p50, reconciles = controllers_alone(args.concurrent, pool, Path(tmp))
            print(f"sim controllers alone, {args.concurrent} clusters, {pool} worker(s) per kind: makespan {makespan:.2f}s, "
                  f"p50 {p50:.2f}s, {reconciles} reconciles ({1000 * makespan / reconciles:.2f} ms each)", flush=True)
        if args.controllers_only:
            return 0
        bench = Bench(Path(tmp), args.concurrent, tuple(int(w) for w in args.workers.split(",") if w.strip()))
        try:
            asyncio.run(bench.run())
        finally:
            bench.stop()
            if args.logs is not None:
                args.logs.mkdir(parents=True, exist_ok=True)
                for log in [*Path(tmp).glob("*.log"), *Path(tmp).glob("temporal/*.log")]:
                    shutil.copy(log, args.logs / log.name)
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)
