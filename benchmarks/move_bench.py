"""Benchmark of the move engine against the simulated infrastructure: moves graphs of
about 100, 1,000 and 10,000 objects between two virtual clusters of one ``sim serve``
process (API only) and prints wall time, objects per second and API requests per object
(by verb) and the histogram of requests per object operation (one object's create, one
object's delete). clusterctl spends per object one read + one create, then read, patch,
patch, delete for the deletion; the target here is no more than that.

Usage: .venv/bin/python benchmarks/move_bench.py [--sizes 100,1000,10000] [--parallelism 8]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eksa_temporal.kube.move import MoveOptions, Mover, RequestStats, api_for
from eksa_temporal.kube.move.api import MoveApi
from tests.move import support
from tests.support.sim import SimServer, running_sim

Obj = dict[str, Any]


def build(api: MoveApi, namespace: str, cluster: str, objects: int, parallelism: int) -> int:
    """A provisioned cluster (~20 objects) plus machines of 4 objects each (Machine,
    SimMachine, KubeadmConfig, bootstrap Secret) up to ``objects``."""
    g = support.GraphBuilder(api, namespace)
    base = g.cluster(cluster, machines=1, workers=1)
    ms = next(o for o in base if o["kind"] == "MachineSet")
    machines = max(0, (objects - len(base)) // 4)

    def machine(i: int) -> None:
        name = f"{cluster}-w-{i}"
        m = g.add(
            "Machine",
            name,
            [ms],
            spec={"clusterName": cluster, "providerID": f"sim://{name}"},
            status={"nodeRef": {"kind": "Node", "name": name}},
        )
        g.add("SimMachine", name, [m], spec={"providerID": f"sim://{name}"}, status={"ready": True})
        kc = g.add("KubeadmConfig", name, [m], spec={}, status={"ready": True})
        g.add(
            "Secret",
            name,
            [kc],
            extra={"type": "cluster.x-k8s.io/secret", "data": {"value": "Ym9vdA=="}},
        )

    with ThreadPoolExecutor(parallelism) as pool:
        list(pool.map(machine, range(machines)))
    return len(base) + 4 * machines


def bench(sim: SimServer, size: int, parallelism: int) -> dict[str, Any]:
    ka, kb = str(sim.kubeconfig(f"bsrc{size}")), str(sim.kubeconfig(f"bdst{size}"))
    src, dst = api_for(ka), api_for(kb)
    support.install_capi(src)
    support.install_capi(dst)
    t0 = time.monotonic()
    n = build(src, "eksa-system", "bench", size, parallelism)
    setup = time.monotonic() - t0
    stats = RequestStats()
    mover = Mover(
        api_for(ka, stats),
        api_for(kb, stats),
        MoveOptions(cluster="bench", namespace="eksa-system", parallelism=parallelism),
    )
    t1, c1 = time.monotonic(), time.process_time()
    result = mover.run()
    wall, cpu = time.monotonic() - t1, time.process_time() - c1
    assert result.objects == n, (result.objects, n)
    return {
        "objects": n,
        "wall": wall,
        "setup": setup,
        "requests": result.api_requests,
        "per_object": result.api_requests / n,
        "by_verb": result.requests_by_verb,
        "retries": stats.retries,
        "cpu": cpu,
        "per_op": result.requests_per_object_op,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--parallelism", type=int, default=8)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with (
        tempfile.TemporaryDirectory(prefix="move-bench-") as tmp,
        running_sim(Path(tmp) / "sim", support.SIM_ARGS) as sim,
    ):
        print(
            f"{'objects':>8} {'move s':>8} {'obj/s':>8} {'req/obj':>8}  requests by verb (setup s)"
        )
        for size in sizes:
            r = bench(sim, size, args.parallelism)
            verbs = " ".join(f"{k}={v}" for k, v in sorted(r["by_verb"].items()))
            per_op = " ".join(f"{k}req:{v}" for k, v in sorted(r["per_op"].items()))
            print(
                f"{r['objects']:>8} {r['wall']:>8.2f} {r['objects'] / r['wall']:>8.0f} {r['per_object']:>8.2f}  "
                f"{verbs} retries={r['retries']} client-cpu={r['cpu']:.1f}s (setup {r['setup']:.1f}s)"
                f" | per object create/delete op: {per_op}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)
