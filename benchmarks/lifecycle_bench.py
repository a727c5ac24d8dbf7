"""Lifecycle benchmarks on this machine, printing figures (not timed tests):

1. end-to-end management create on a zero-latency sim, and the orchestration overhead per
   step (workflow vs calling the same activities directly, in order, in one process);
2. reaction latency: a step's completion -> the next step's start, p50/p95 (from history);
3. N concurrent workload creates on one worker: makespan vs one, worker peak RSS;
4. recovery: a management create with the worker kill -9ed mid workload-cluster-init (and
   restarted at once) vs uninterrupted.

Everything runs on private processes (a Temporal dev server on SQLite, a sim, workers) in a
temporary folder, on free 127.0.0.1 ports, and is stopped by PID at the end.
``.venv/bin/python benchmarks/lifecycle_bench.py [--concurrent 50]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import typing
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import itertools

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from eksa_temporal.client import LifecycleClient
from eksa_temporal.devserver import Child, TemporalDevServer, free_port, start_sim, start_worker
from eksa_temporal.simulator.api import SimClient
from eksa_temporal.spec import generate_cluster_config
from eksa_temporal.workflows.create import MANAGEMENT_PLAN
from eksa_temporal.workflows.models import CreateClusterInput, Timeouts

BENCH = Timeouts(heartbeat_seconds=5, initial_retry_seconds=0.2, max_retry_seconds=2)


def spec(name: str, management: str | None = None) -> str:
    text = generate_cluster_config(name, "sim")
    if management:
        text = text.replace(f"managementCluster:\n    name: {name}", f"managementCluster:\n    name: {management}")
    return text


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


async def activity_timings(client: Client, wf_id: str, run_id: str | None) -> list[tuple[str, float, float, float]]:
    """``(step, scheduled, started, completed)`` epoch seconds for each activity."""
    rows: dict[int, list[Any]] = {}
    async for ev in client.get_workflow_handle(wf_id, run_id=run_id).fetch_history_events():
        t = ev.event_time.ToDatetime().timestamp()
        if ev.HasField("activity_task_scheduled_event_attributes"):
            rows[ev.event_id] = [ev.activity_task_scheduled_event_attributes.activity_type.name, t, 0.0, 0.0]
        elif ev.HasField("activity_task_started_event_attributes"):
            rows[ev.activity_task_started_event_attributes.scheduled_event_id][2] = t
        elif ev.HasField("activity_task_completed_event_attributes"):
            rows[ev.activity_task_completed_event_attributes.scheduled_event_id][3] = t
    return [tuple(r) for r in rows.values()]  # type: ignore[misc]


def stop_all(server: TemporalDevServer, sim: Child | None, workers: list[Child]) -> None:
    """Stop a benchmark's processes by PID: its workers, then the sim, then the server."""
    for child in workers:
        child.stop()
    if sim is not None:
        sim.stop()
    server.stop()


def direct_create(name: str, workdir: Path, sim_dir: Path) -> float:
    """The management create's activities called in order, without Temporal."""
    from eksa_temporal.activities.catalog import worker_activities
    from eksa_temporal.providers.registry import Registry

    by_name = {getattr(fn, "__temporal_activity_definition").name: fn for fn in worker_activities(Registry(sim_dir))}
    common: dict[str, Any] = {
        "cluster_name": name, "namespace": "default", "provider": "sim", "spec_yaml": spec(name),
        "workdir": str(workdir), "management_kubeconfig": None, "components_dir": None, "skip_ip_check": False,
    }  # fmt: skip
    t0 = time.perf_counter()
    for step in MANAGEMENT_PLAN:
        fn = by_name[step]
        model = next(iter(v for k, v in typing.get_type_hints(fn).items() if k != "return"))
        result = fn(model.model_validate(common))
        if step == "bootstrap-cluster-init":
            common["bootstrap_kubeconfig"] = result.bootstrap_kubeconfig
        if step == "write-kubeconfig":
            common["kubeconfig"] = result.kubeconfig_path
    return time.perf_counter() - t0


class Bench:
    def __init__(self, root: Path, concurrent: int) -> None:
        self.root = root
        self.concurrent = concurrent
        self.server = TemporalDevServer(root / "temporal", port=free_port(), ui_port=None)
        self.sim: Child | None = None
        self.workers: list[Child] = []
        self.queue = f"bench-{uuid.uuid4()}"

    def worker(self) -> Child:
        os.environ["EKSA_TEMPORAL_TASK_QUEUE"] = self.queue
        child = start_worker(self.root, self.server.address, task_queue=self.queue, log_path=self.root / f"worker-{len(self.workers)}.log")
        self.workers.append(child)
        return child

    async def run(self) -> None:
        self.server.start()
        self.sim = start_sim(self.root / "sim", extra=["--boot-seconds", "0", "--listen", "127.0.0.1:0"])
        SimClient(self.root / "sim").set_knobs(deployment_ready_seconds=0.0, boot_seconds=0.0)
        client = await Client.connect(self.server.address, data_converter=pydantic_data_converter)
        lc = LifecycleClient(client, self.queue, task_timeout=timedelta(seconds=2))
        worker = self.worker()
        await asyncio.sleep(5)  # the worker imports and starts polling

        # 1. end-to-end + orchestration overhead (after one warm-up create of each kind)
        await lc.wait((await lc.start_create(CreateClusterInput(spec_yaml=spec("warm"), workdir=str(self.root / "out" / "warm"), timeouts=BENCH))).workflow_id)
        direct_create("dwarm", self.root / "out" / "dwarm", self.root / "sim")
        totals, overheads, gaps = [], [], []
        for i in range(3):
            name = f"m{i}"
            t0 = time.perf_counter()
            ref = await lc.start_create(CreateClusterInput(spec_yaml=spec(name), workdir=str(self.root / "out" / name), timeouts=BENCH))
            await lc.wait(ref.workflow_id)
            totals.append(time.perf_counter() - t0)
            rows = await activity_timings(client, ref.workflow_id, ref.run_id)
            busy = sum(done - started for _, _, started, done in rows)
            overheads.append((totals[-1] - busy) / len(rows))
            ordered = sorted(rows, key=lambda r: r[1])
            gaps += [nxt[2] - cur[3] for cur, nxt in itertools.pairwise(ordered)]
        direct = [direct_create(f"d{i}", self.root / "out" / f"d{i}", self.root / "sim") for i in range(3)]
        print(f"management create, zero-latency sim (3 runs): median {statistics.median(totals):.2f}s via Temporal, "
              f"{statistics.median(direct):.2f}s calling the activities directly")
        print(f"orchestration overhead per step: median {1000 * statistics.median(overheads):.0f} ms "
              f"((workflow time - activity time) / {len(MANAGEMENT_PLAN)} steps); "
              f"direct-vs-workflow difference per step {1000 * (statistics.median(totals) - statistics.median(direct)) / len(MANAGEMENT_PLAN):.0f} ms")
        print(f"reaction latency step completed -> next step started: p50 {1000 * pct(gaps, 0.5):.0f} ms, "
              f"p95 {1000 * pct(gaps, 0.95):.0f} ms (n={len(gaps)})")

        # 3. concurrent workload creates --------------------------------------------------
        mgmt_kc = str(self.root / "out" / "m0" / "m0-eks-a-cluster.kubeconfig")

        async def workload(name: str) -> float:
            t = time.perf_counter()
            ref = await lc.start_create(CreateClusterInput(spec_yaml=spec(name, "m0"), workdir=str(self.root / "out" / name), management_kubeconfig=mgmt_kc, timeouts=BENCH))
            await lc.wait(ref.workflow_id)
            return time.perf_counter() - t

        one = await workload("w-single")
        peak = rss_mb(worker.pid)
        t0 = time.perf_counter()
        task = asyncio.gather(*(workload(f"w-{i}") for i in range(self.concurrent)))
        while not task.done():
            peak = max(peak, rss_mb(worker.pid))
            await asyncio.sleep(0.2)
        durations = await task
        makespan = time.perf_counter() - t0
        per_step: dict[str, list[float]] = {}
        queued: list[float] = []
        async for ex in client.list_workflows(f"EksaCluster STARTS_WITH 'w-' AND TaskQueue = '{self.queue}'"):
            for step, sched, started, done in await activity_timings(client, ex.id, ex.run_id):
                per_step.setdefault(step, []).append(done - started)
                queued.append(started - sched)
        breakdown = ", ".join(f"{k} {statistics.median(v):.2f}s" for k, v in per_step.items())
        print(f"workload create: one alone {one:.2f}s; {self.concurrent} concurrent on one worker: makespan {makespan:.2f}s "
              f"(per-create p50 {statistics.median(durations):.2f}s, p95 {pct(durations, 0.95):.2f}s); worker peak RSS {peak:.0f} MB")
        print(f"  where the time went (median per step): {breakdown}; activity schedule-to-start p50 "
              f"{1000 * pct(queued, 0.5):.0f} ms, p95 {1000 * pct(queued, 0.95):.0f} ms")

        # 4. recovery after kill -9 -------------------------------------------------------
        async def create_with_kill(name: str, kill: bool) -> float:
            nonlocal worker
            t = time.perf_counter()
            ref = await lc.start_create(CreateClusterInput(spec_yaml=spec(name), workdir=str(self.root / "out" / name), timeouts=BENCH))
            if kill:
                handle = client.get_workflow_handle(ref.workflow_id)
                for _ in range(600):
                    desc = await handle.describe()
                    if any(pa.activity_type.name == "workload-cluster-init" for pa in desc.raw_description.pending_activities):
                        break
                    await asyncio.sleep(0.05)
                worker.kill()
                worker = self.worker()
            await lc.wait(ref.workflow_id)
            return time.perf_counter() - t

        plain = await create_with_kill("r-plain", kill=False)
        killed = await create_with_kill("r-killed", kill=True)
        print(f"recovery: management create {plain:.2f}s uninterrupted, {killed:.2f}s with one worker kill -9 "
              f"during workload-cluster-init + immediate restart (+{killed - plain:.2f}s; heartbeat timeout "
              f"{BENCH.heartbeat_seconds:.0f}s, worker start ~3-4s)")

    def stop(self) -> None:
        stop_all(self.server, self.sim, self.workers)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--concurrent", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="eksa-bench-") as tmp:
        bench = Bench(Path(tmp), args.concurrent)
        try:
            asyncio.run(bench.run())
        finally:
            bench.stop()
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)
