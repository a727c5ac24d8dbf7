"""A cluster provisioned by the simulated CAPI controllers (real CAPI CRDs, machines in
the sim's inventory) moves from a bootstrap cluster to a management cluster while the
process running the move is killed mid-create: after the resumed move the cluster is
Available in the target with the same machines - none re-provisioned, none deleted -
and the bootstrap cluster holds nothing of it. The real CRDs are applied with kubectl,
without clusterctl's labels: discovery also takes ``*.cluster.x-k8s.io`` CRDs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from eksa_temporal.kube.move import RequestStats, api_for
from tests.move import support
from tests.simulator.controllers import process
from tests.support.paths import REPO
from tests.support.sim import running_sim

CLUSTER = "w1"
RUNNER = Path(__file__).with_name("crash_runner.py")


def move(src: Path, dst: Path, crash_at: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "EKSA_MOVE_CRASH_AT"}
    if crash_at:
        env["EKSA_MOVE_CRASH_AT"] = crash_at
    return subprocess.run(
        [sys.executable, str(RUNNER), str(src), str(dst), CLUSTER, process.NS],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )


def machine_ids(machines: list[dict[str, object]]) -> set[tuple[object, object]]:
    return {(m["id"], m["provider_id"]) for m in machines if m.get("state") != "deleted"}


def test_a_provisioned_cluster_moves_after_a_crash_without_reprovisioning_machines(
    tmp_path: Path,
) -> None:
    with running_sim(tmp_path / "state") as sim:
        boot, mgmt = process.install_capi(sim, "boot"), process.install_capi(sim, "mgmt")
        process.kubectl(
            boot,
            "apply",
            "-f",
            "-",
            stdin=yaml.safe_dump_all(process.render_cluster(CLUSTER, workers=2)),
        )
        process.wait_cluster_available(sim.api_client("boot"), CLUSTER, 90)
        before = sim.client.machines()
        assert len(machine_ids(before)) == 3

        crashed = move(boot, mgmt, "create:10")
        assert crashed.returncode == -9, crashed.stderr[-2000:]
        finished = move(boot, mgmt, None)
        assert finished.returncode == 0, finished.stderr[-2000:]
        assert json.loads(finished.stdout)["resumed_from"] == "creating"

        cluster = process.wait_cluster_available(sim.api_client("mgmt"), CLUSTER, 90)
        assert not cluster["spec"].get("paused")
        after = sim.client.machines()
        assert machine_ids(after) == machine_ids(before)
        assert len(after) == len(before)  # nothing new provisioned
        src = api_for(str(boot), RequestStats())
        for kind in ("Cluster", "Machine", "MachineDeployment", "KubeadmControlPlane"):
            assert support.list_served(src, support.TYPES[kind], process.NS) == []
        dst = api_for(str(mgmt), RequestStats())
        assert support.owner_uids_resolve(dst, process.NS) == []
