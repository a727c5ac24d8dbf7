"""State the product writes is owner-only: the sim's state dir (``store.db`` with every
cluster's token and Secret, its ``-wal``/``-shm``, ``machines.db``, ``tls/``, the admin token,
``server.json``, ``port``) and the Temporal dev server's state dir are 0700 with 0600 files,
also when an older version left them readable. And the sim's plain-HTTP listener is off
unless ``sim serve --http`` asks for it."""

from __future__ import annotations

import json
import os
import stat
import time
import urllib.request
from pathlib import Path

from eksa_temporal.devserver import TemporalDevServer, free_port
from tests.support.sim import SimServer, running_sim

# the test harness's own log of the sim process (opened by tests.support.sim)
HARNESS_FILES = ("server.log",)


def problems(root: Path) -> list[str]:
    """Every file under ``root`` not 0600-or-stricter, every folder not 0700."""
    found = []
    for path in [root, *root.rglob("*")]:
        if path.name in HARNESS_FILES or path.is_symlink():
            continue
        mode = stat.S_IMODE(path.stat().st_mode)
        loose = mode != 0o700 if path.is_dir() else bool(mode & 0o077)
        if loose:
            found.append(f"{path.relative_to(root)} {oct(mode)}")
    return found


def _wait_for(path: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.1)


def _use(sim: SimServer) -> None:
    """Put tokens and Secrets in the store (a cluster, its kubeconfig, a Secret)."""
    from kubernetes import client

    core = client.CoreV1Api(sim.api_client("perm"))
    core.create_namespaced_secret("default", {"metadata": {"name": "s"}, "stringData": {"password": "hunter2-hunter2"}})


def test_the_sims_state_is_owner_only_and_tightened_on_start(tmp_path: Path) -> None:
    state = tmp_path / "sim"
    with running_sim(state) as sim:
        _use(sim)
        for name in ("store.db", "store.db-wal", "store.db-shm", "admin-token", "server.json", "port", "tls/server.key", "knobs.json"):
            assert (state / name).exists(), name
        _wait_for(state / "machines.db")
        assert problems(state) == []
        # an older version's loose modes
        sim.stop()
        os.chmod(state, 0o755)
        for name in ("store.db", "store.db-wal", "machines.db", "admin-token", "tls/server.key", "port"):
            if (state / name).exists():
                os.chmod(state / name, 0o644)
        os.chmod(state / "tls", 0o755)
        sim.restart()
        assert problems(state) == []


def _listening_ports(pid: int) -> set[int]:
    """TCP ports process ``pid`` listens on (its socket inodes in /proc/net/tcp{,6})."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            cols = line.split()
            if cols[3] == "0A" and cols[9] in inodes:  # 0A: LISTEN
                ports.add(int(cols[1].rsplit(":", 1)[1], 16))
    return ports


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def test_plain_http_is_off_unless_asked_for(tmp_path: Path) -> None:
    with running_sim(tmp_path / "off", ["--no-controllers"]) as sim:
        info = json.loads((sim.state_dir / "server.json").read_text())
        assert info["http_url"] is None
        assert _listening_ports(sim.pid) == {_port(info["url"])}


def test_plain_http_serves_the_api_with_the_http_flag(tmp_path: Path) -> None:
    with running_sim(tmp_path / "on", ["--no-controllers", "--http"]) as sim:
        info = json.loads((sim.state_dir / "server.json").read_text())
        assert info["http_url"].startswith("http://127.0.0.1:")
        assert _listening_ports(sim.pid) == {_port(info["url"]), _port(info["http_url"])}
        with urllib.request.urlopen(info["http_url"] + "/healthz", timeout=10) as resp:
            assert resp.read() == b"ok"


def test_the_dev_servers_state_is_owner_only(tmp_path: Path) -> None:
    state = tmp_path / "dev"
    state.mkdir(mode=0o755)
    (state / "temporal.log").write_text("from an older version\n")
    os.chmod(state / "temporal.log", 0o644)
    server = TemporalDevServer(state, port=free_port(), ui_port=None)
    server.start()
    try:
        _wait_for(state / "temporal.db")
        assert problems(state) == []
    finally:
        server.stop()
    assert problems(state) == []
