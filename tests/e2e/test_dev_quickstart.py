"""The README's main job, as a user types it: ``eksa-temporal dev`` in the background (its
own Temporal server on SQLite, sim and worker), then generate a spec, create the cluster
with ``--wait``, ``kubectl get nodes`` with the written kubeconfig, delete it by name; SIGTERM to ``dev``
stops every process it started, and a second ``dev`` on the same state dir sees the
operation again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from eksa_temporal.devserver import free_port, port_open

EKSA = str(Path(sys.executable).parent / "eksa-temporal")


def start_dev(
    state: Path, port: int, ui_port: int, log: Path, *extra: str, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """``eksa-temporal dev`` in its own process group (``extra`` flags, ``env``), once ready."""
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [EKSA, "dev", "--state-dir", str(state), "--port", str(port), "--ui-port", str(ui_port), *extra],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True, env=env,
        )  # fmt: skip
    deadline = time.monotonic() + 90
    while "ready;" not in log.read_text():
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.2)
    return proc


def stop_dev(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def children_pids(log: Path) -> list[int]:
    return [int(line.split("(pid ")[1].split(")")[0]) for line in log.read_text().splitlines() if "(pid " in line]


def test_dev_then_create_then_kubectl(tmp_path: Path) -> None:
    state, work = tmp_path / "state", tmp_path / "work"
    work.mkdir()
    port, ui_port = free_port(), free_port()
    env = dict(os.environ, TEMPORAL_ADDRESS=f"127.0.0.1:{port}")
    log = tmp_path / "dev.log"
    dev = start_dev(state, port, ui_port, log)
    try:
        spec = subprocess.run([EKSA, "generate", "clusterconfig", "demo", "-p", "sim"], capture_output=True, text=True, check=True, cwd=work)
        (work / "demo.yaml").write_text(spec.stdout)
        create = subprocess.run(
            [EKSA, "start", "create-cluster", "-f", "demo.yaml", "--wait"], capture_output=True, text=True, cwd=work, env=env, timeout=240
        )
        assert create.returncode == 0, create.stdout + create.stderr
        assert "🎉 create of demo completed" in create.stdout
        assert "kubeconfig: demo/demo-eks-a-cluster.kubeconfig" in create.stdout
        nodes = subprocess.run(
            ["kubectl", "--kubeconfig", "demo/demo-eks-a-cluster.kubeconfig", "get", "nodes", "-o", "json"],
            capture_output=True, text=True, cwd=work, timeout=30, check=True,
        )  # fmt: skip
        assert len(json.loads(nodes.stdout)["items"]) == 2
        delete = subprocess.run(
            [EKSA, "start", "delete-cluster", "demo", "--wait"], capture_output=True, text=True, cwd=work, env=env, timeout=240
        )
        assert delete.returncode == 0, delete.stdout + delete.stderr
        assert "🎉 delete of demo completed" in delete.stdout
        machines = subprocess.run(
            [EKSA, "sim", "machines", "--state-dir", str(state / "sim"), "--output", "json"], capture_output=True, text=True, check=True, timeout=60
        )
        assert [m for m in json.loads(machines.stdout) if m["state"] in ("provisioning", "running")] == []
        pids = children_pids(log)
        assert len(pids) == 3  # temporal, sim, worker
    finally:
        stop_dev(dev)
    assert dev.returncode == 0, log.read_text()
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text(), f"pid {pid} left running"
    assert not port_open(port)

    dev = start_dev(state, port, ui_port, tmp_path / "dev2.log")
    try:
        listed = subprocess.run([EKSA, "list", "--output", "json"], capture_output=True, text=True, env=env, timeout=60, check=True)
        ops = sorted((o["operation"], o["workflow_id"], o["state"]) for o in json.loads(listed.stdout))
        assert ops == [("create", "eksa/default/demo", "completed"), ("delete", "eksa/default/demo", "completed")]
    finally:
        stop_dev(dev)
