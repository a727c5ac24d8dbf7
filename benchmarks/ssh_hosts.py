"""Benchmark of bootstrap over SSH: one host alone, then 20 hosts in parallel (one thread
and one SSH connection each), against real ``sshd`` test hosts with sandbox roots
(``tests/support/sshd.py``; needs root). Prints wall times, the ratio, SSH connections per
host, a re-run on the 20 bootstrapped hosts (everything found done) and the parallel
preflight checks of the 20 hosts vs one.

Usage: .venv/bin/python benchmarks/ssh_hosts.py [--hosts 20]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import structlog

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eksa_temporal.providers.ssh import (
    HostRequirements,
    SSHHost,
    check_hosts,
    connect,
    connection_counts,
    reset_connection_counts,
    run_bootstrap,
)
from tests.providers.ssh_hosts.bootstrap_data import control_plane_data
from tests.support.sshd import SshdHosts, TestHost, check_test_bed

REQUIREMENTS = HostRequirements(cpus=1, memory_mib=256, disk_gib=0.1, control_plane=True)


def bootstrap(host: SSHHost) -> tuple[float, int]:
    """Seconds to bootstrap one host over one connection, and the steps it ran."""
    started = time.monotonic()
    with connect(host) as session:
        report = run_bootstrap(session, control_plane_data())
    return time.monotonic() - started, len(report.ran)


def parallel(hosts: list[SSHHost]) -> tuple[float, list[tuple[float, int]]]:
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(hosts)) as pool:
        results = list(pool.map(bootstrap, hosts))
    return time.monotonic() - started, results


def timed_checks(hosts: list[SSHHost]) -> float:
    started = time.monotonic()
    findings = check_hosts(hosts, REQUIREMENTS)
    if findings:
        raise SystemExit("unexpected findings: " + "; ".join(f.line() for f in findings))
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=20)
    args = parser.parse_args()
    problem = check_test_bed()
    if problem:
        raise SystemExit(problem)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    with tempfile.TemporaryDirectory(prefix="eksa-ssh-bench-") as tmp:
        bed = SshdHosts(Path(tmp))
        try:
            started = time.monotonic()
            test_hosts: list[TestHost] = bed.make(args.hosts + 1)
            print(f"started {len(test_hosts)} sshd hosts in {time.monotonic() - started:.1f} s")
            single, many = test_hosts[0].host, [h.host for h in test_hosts[1:]]
            reset_connection_counts()

            one_wall, (one,) = parallel([single])
            many_wall, results = parallel(many)
            counts = connection_counts()
            rerun_wall, rerun = parallel(many)
            check_one = timed_checks([single])
            check_many = timed_checks(many)

            per_host = [s for s, _ in results]
            steps = {n for _, n in results}
            calls_ok = all(
                [c["argv"][0] for c in h.calls("kubeadm")] == ["init"] for h in test_hosts
            )
            print(f"bootstrap 1 host:            {one_wall:6.2f} s ({one[1]} steps)")
            print(
                f"bootstrap {len(many)} hosts parallel: {many_wall:6.2f} s "
                f"(per host median {statistics.median(per_host):.2f} s, max {max(per_host):.2f} s; "
                f"steps per host {sorted(steps)})"
            )
            print(f"ratio {len(many)} hosts / 1 host:  {many_wall / one_wall:6.2f}")
            print(
                "SSH connections per host during bootstrap: "
                f"{sorted({counts.get(h.name, 0) for h in many})} (single host: {counts.get(single.name, 0)})"
            )
            print(
                f"re-run on {len(many)} bootstrapped hosts: {rerun_wall:6.2f} s "
                f"(steps run: {sum(n for _, n in rerun)})"
            )
            print(f"preflight checks 1 host: {check_one:.2f} s; {len(many)} hosts parallel: {check_many:.2f} s")
            print(f"kubeadm init exactly once per host (stand-in call logs): {calls_ok}")
        finally:
            bed.close()


if __name__ == "__main__":
    main()
