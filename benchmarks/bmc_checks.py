"""Benchmark of the Tinkerbell BMC preflight: 20 BMC checks over Redfish in parallel
against 20 sushy-emulator processes (fake driver, bcrypt basic auth, one per loopback
address 127.0.0.<first>..), versus one check alone. Prints the wall time of each (median
of ``--rounds`` rounds, after one warm-up round) and their ratio: with the checks in
parallel, 20 hosts should cost about as much as the slowest one, not 20 times one.

Usage: .venv/bin/python benchmarks/bmc_checks.py [--hosts 20] [--rounds 5] [--first 100]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pydantic import SecretStr

from eksa_temporal.providers.tinkerbell.bmc import BmcTarget, check_bmcs
from tests.providers.tinkerbell.bmc_hosts import USER, bmc_hosts

CLIENT_CPU: list[float] = []  # this process's CPU seconds per timed run


def timed(targets: list[BmcTarget], parallel: int) -> float:
    started, cpu = time.perf_counter(), time.process_time()
    findings = check_bmcs(targets, timeout=10.0, max_parallel=parallel)
    elapsed = time.perf_counter() - started
    CLIENT_CPU.append(time.process_time() - cpu)
    if findings:
        raise SystemExit(f"unexpected findings: {[f.line() for f in findings]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--first", type=int, default=100, help="first loopback address: 127.0.0.<first>")
    args = parser.parse_args()
    print(f"cpus={os.cpu_count()} load={os.getloadavg()[0]:.2f} hosts={args.hosts} rounds={args.rounds}")
    with tempfile.TemporaryDirectory(prefix="bmc-bench-") as tmp:
        started = time.perf_counter()
        with bmc_hosts(Path(tmp), args.hosts, first=args.first) as hosts:
            print(f"{args.hosts} sushy-emulator processes ready in {time.perf_counter() - started:.1f} s")
            targets = [
                BmcTarget(f"host-{i}", em.address, USER, SecretStr(hosts.password), row=i + 2)
                for i, em in enumerate(hosts.bmcs)
            ]
            timed(targets, len(targets))  # warm-up: first requests, imports, connection setup
            one = [timed(targets[:1], 1) for _ in range(args.rounds)]
            many = [timed(targets, len(targets)) for _ in range(args.rounds)]
            many_cpu = statistics.median(CLIENT_CPU[-args.rounds :])
            serial = timed(targets, 1)
    t1, tn = statistics.median(one), statistics.median(many)
    print(f"one BMC check:                {t1 * 1000:8.1f} ms (median; min {min(one) * 1000:.1f})")
    print(f"{args.hosts} BMC checks in parallel: {tn * 1000:8.1f} ms (median; min {min(many) * 1000:.1f})")
    print(f"{args.hosts} BMC checks one by one:  {serial * 1000:8.1f} ms (one run, for reference)")
    print(f"client CPU per {args.hosts} parallel checks: {many_cpu * 1000:.1f} ms (the emulators use the rest)")
    print(f"ratio parallel/one: {tn / t1:.2f}x; speed-up vs one by one: {serial / tn:.1f}x")


if __name__ == "__main__":
    main()
