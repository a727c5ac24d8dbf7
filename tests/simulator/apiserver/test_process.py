# mypy: disable-error-code="no-untyped-call,union-attr,operator,arg-type"
"""The sim server as a process: readiness, admin API, CLI, auth, durability across kill -9."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from eksa_temporal.cli.main import main as cli_main
from eksa_temporal.simulator.client import SimClient, SimError, SimNotRunning
from tests.support.sim import SimServer

EKSA = str(Path(sys.executable).parent / "eksa-temporal")


def test_server_writes_its_url_and_a_private_admin_token(sim: SimServer) -> None:
    info = json.loads((sim.state_dir / "server.json").read_text())
    assert info["pid"] == sim.pid
    assert info["url"].startswith("https://127.0.0.1:")
    mode = stat.S_IMODE((sim.state_dir / "admin-token").stat().st_mode)
    assert mode == 0o600
    assert SimClient(sim.state_dir).wait_until_ready(timeout=5)


def test_create_cluster_is_idempotent_and_listed(sim: SimServer) -> None:
    first = sim.client.create_cluster("alpha")
    second = sim.client.create_cluster("alpha")
    assert first["created"] is True and second["created"] is False
    assert first["kubeconfig"] == second["kubeconfig"]
    assert "alpha" in [c["name"] for c in sim.client.clusters()]
    sim.client.delete_cluster("alpha")
    assert "alpha" not in [c["name"] for c in sim.client.clusters()]
    with pytest.raises(SimError) as err:
        sim.client.delete_cluster("alpha")
    assert err.value.status == 404


def test_admin_api_rejects_a_wrong_token(sim: SimServer, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "server.json").write_text((sim.state_dir / "server.json").read_text())
    (other / "admin-token").write_text("wrong")
    (other / "tls").mkdir()
    (other / "tls" / "ca.crt").write_bytes((sim.state_dir / "tls" / "ca.crt").read_bytes())
    with pytest.raises(SimError) as err:
        SimClient(other).clusters()
    assert err.value.status == 401


def _status(url: str, token: str | None) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_virtual_cluster_requires_its_own_token(sim: SimServer) -> None:
    sim.kubeconfig("a")
    sim.kubeconfig("b")
    token_a = sim.client.kubeconfig("a").split("token: ")[1].split()[0]
    url_b = sim.http_url + "/clusters/b/api/v1/namespaces"
    assert _status(url_b, token_a) == 401
    assert _status(url_b, None) == 401
    assert _status(sim.http_url + "/clusters/a/api/v1/namespaces", token_a) == 200


def test_cli_reports_a_missing_server_in_one_line(tmp_path: Path) -> None:
    result = subprocess.run([EKSA, "sim", "clusters", "--state-dir", str(tmp_path)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "no simulated infrastructure server runs" in lines[0]
    with pytest.raises(SimNotRunning):
        SimClient(tmp_path).clusters()
    assert SimClient(tmp_path).wait_until_ready(timeout=0.3) is False


def test_cli_create_cluster_writes_a_private_kubeconfig(
        sim: SimServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "k" / "demo.kubeconfig"
    args = ["sim", "create-cluster", "demo", "--state-dir", str(sim.state_dir)]
    assert cli_main([*args, "--kubeconfig", str(target)]) == 0
    assert capsys.readouterr().out.strip() == str(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert cli_main(args) == 0
    assert capsys.readouterr().out.strip() == str(sim.state_dir / "kubeconfigs" / "demo.kubeconfig")
    assert cli_main(["sim", "clusters", "--state-dir", str(sim.state_dir), "-o", "json"]) == 0
    assert "demo" in [c["name"] for c in json.loads(capsys.readouterr().out)]
    assert cli_main(["sim", "machines", "--state-dir", str(sim.state_dir), "--output", "json"]) == 0
    assert isinstance(json.loads(capsys.readouterr().out), list)
    assert cli_main(["sim", "delete-cluster", "demo", "--state-dir", str(sim.state_dir)]) == 0
    assert cli_main(["sim", "delete-cluster", "demo", "--state-dir", str(sim.state_dir)]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_state_survives_kill_9_and_restart(sim: SimServer) -> None:
    sim_server = sim
    core: Any = client.CoreV1Api(sim_server.api_client("durable"))
    core.create_namespace({"metadata": {"name": "keep"}})
    created = core.create_namespaced_config_map("keep", {"metadata": {"name": "cm"}, "data": {"k": "v"}})
    rv = int(created.metadata.resource_version)
    sim_server.kill()
    sim_server.restart()
    core = client.CoreV1Api(sim_server.api_client("durable"))
    got = core.read_namespaced_config_map("cm", "keep")
    assert got.data == {"k": "v"} and got.metadata.uid == created.metadata.uid
    updated = core.patch_namespaced_config_map("cm", "keep", {"data": {"k": "w"}})
    assert int(updated.metadata.resource_version) > rv


def test_knobs_are_read_and_changed_through_the_admin_api(sim: SimServer) -> None:
    assert sim.client.knobs().api_latency_seconds == 0
    knobs = sim.client.set_knobs(api_latency_seconds=0.01, seed=3)
    assert knobs.api_latency_seconds == 0.01 and knobs.seed == 3
    with pytest.raises(SimError) as err:
        sim.client.set_knobs(api_error_rate=2)
    assert err.value.status == 422
    sim.client.set_knobs(api_latency_seconds=0)
