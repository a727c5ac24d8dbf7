"""The stand-ins as a user puts them to work: ``tests/standins/bin`` on PATH, ``eksa-temporal
dev`` in the background, then a docker-provider cluster created and deleted with ``--wait``.
The kind bootstrap cluster and the CAPD "containers" are played on the dev's own sim, found
through ``EKSA_TEMPORAL_STATE_DIR`` as the product finds it. Also: the wrapper scripts find
the project's Python through the ``eksa-temporal`` on PATH."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from eksa_temporal.devserver import free_port
from tests.support.standins import STANDINS_BIN

EKSA = str(Path(sys.executable).parent / "eksa-temporal")


def test_wrappers_find_the_python_of_the_eksa_temporal_on_path(tmp_path: Path) -> None:
    env = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}/usr/bin{os.pathsep}/bin",
           "HOME": str(tmp_path), "EKSA_TEMPORAL_STATE_DIR": str(tmp_path)}
    out = subprocess.run([str(STANDINS_BIN / "kind"), "version"], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("kind v")
    assert [json.loads(line)["argv"] for line in (tmp_path / "sim" / "standin-calls.jsonl").read_text().splitlines()] == [
        ["kind", "version"]]


@pytest.mark.slow
def test_docker_provider_create_and_delete_on_the_standins(tmp_path: Path, upstream_components: Path) -> None:
    state, work, log = tmp_path / "state", tmp_path / "work", tmp_path / "dev.log"
    work.mkdir()
    port, ui_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EKSA_STANDIN", "EKSA_SIM_STATE"))}
    env.update(PATH=f"{STANDINS_BIN}{os.pathsep}{env.get('PATH', '')}", EKSA_TEMPORAL_STATE_DIR=str(state),
               EKSA_COMPONENTS_SOURCE=str(upstream_components), TEMPORAL_ADDRESS=f"127.0.0.1:{port}")
    with open(log, "ab") as out:
        dev = subprocess.Popen([EKSA, "dev", "--port", str(port), "--ui-port", str(ui_port)], env=env,
                               stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)

    def run(*argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(argv), capture_output=True, text=True, cwd=work, env=env, timeout=timeout)

    try:
        deadline = time.monotonic() + 90
        while "ready;" not in log.read_text():
            assert dev.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        (work / "demo.yaml").write_text(run(EKSA, "generate", "clusterconfig", "demo", "-p", "docker").stdout)
        create = run(EKSA, "start", "create-cluster", "-f", "demo.yaml", "--wait", timeout=300)
        assert create.returncode == 0, create.stdout + create.stderr
        assert "🎉 create of demo completed" in create.stdout
        containers = [json.loads(line) for line in run(
            "docker", "ps", "-a", "--format", "{{json .}}", "--filter", "label=io.x-k8s.kind.cluster=demo").stdout.splitlines()]
        assert len(containers) == 3 and {c["State"] for c in containers} == {"running"}  # lb, control plane, worker
        assert run("kind", "get", "clusters").stdout == ""  # the bootstrap cluster is gone again

        delete = run(EKSA, "start", "delete-cluster", "demo", "--wait", timeout=300)
        assert delete.returncode == 0, delete.stdout + delete.stderr
        assert run("docker", "ps", "-a", "-q").stdout == ""
        calls = [json.loads(line) for line in (state / "sim" / "standin-calls.jsonl").read_text().splitlines()]
        kind_commands = [c["argv"][1:3] for c in calls if c["tool"] == "kind" and c["argv"][1] in ("create", "delete")]
        assert kind_commands == [["create", "cluster"], ["delete", "cluster"]] * 2
        assert all(c["exit"] == 0 for c in calls)
    finally:
        if dev.poll() is None:
            os.killpg(dev.pid, signal.SIGTERM)
            try:
                dev.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(dev.pid, signal.SIGKILL)
                dev.wait(10)
