"""Test helper: a real ``eksa-temporal sim serve`` process on a free 127.0.0.1 port.

``start_sim(state_dir)`` starts the server in its own process group with a private state
dir, waits until it answers (bounded) and returns a ``SimServer`` handle (url, http_url,
state_dir, pid, ``client`` = ``SimClient``, ``kubeconfig(name)``, ``api_client(name)``,
``kill()``, ``restart()``, ``stop()``). The ``sim_server`` fixture yields one per test and
always stops the process group it created. Use it from any test module::

    from tests.support.sim import sim_server  # noqa: F401  (pytest fixture)

    def test_x(sim_server):
        kubeconfig = sim_server.kubeconfig("mgmt")
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from eksa_temporal.simulator.api import SimClient, SimError, write_kubeconfig

EKSA = Path(sys.executable).parent / "eksa-temporal"
READY_TIMEOUT = 60.0  # generous: the CLI imports slowly on a loaded 2-core machine


@dataclass
class SimServer:
    """A running sim server started by this test process."""

    state_dir: Path
    args: tuple[str, ...]
    process: subprocess.Popen[bytes]
    url: str = ""
    http_url: str = ""
    client: SimClient = field(init=False)

    def __post_init__(self) -> None:
        self.client = SimClient(self.state_dir)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def log_path(self) -> Path:
        return self.state_dir / "server.log"

    def kubeconfig(self, name: str) -> Path:
        """Create virtual cluster ``name`` (idempotent); return its kubeconfig file (0600)."""
        text = self.client.create_cluster(name)["kubeconfig"]
        return write_kubeconfig(self.state_dir / "kubeconfigs" / f"{name}.kubeconfig", str(text))

    def api_client(self, name: str) -> Any:
        """A ``kubernetes.client.ApiClient`` for virtual cluster ``name``."""
        from kubernetes import config

        return config.new_client_from_config(config_file=str(self.kubeconfig(name)))  # type: ignore[no-untyped-call]

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the server's process group (SIGKILL by default) and reap it."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """Graceful stop (SIGTERM, then SIGKILL after 10 s)."""
        if self.process.poll() is None:
            self.kill(signal.SIGTERM)

    def restart(self) -> SimServer:
        """Start a new server on the same state dir (after ``kill``/``stop``); returns it."""
        self.stop()
        new = start_sim(self.state_dir, self.args)
        self.process, self.url, self.http_url = new.process, new.url, new.http_url
        return self


def start_sim(state_dir: Path, args: Sequence[str] = ()) -> SimServer:
    """Start ``eksa-temporal sim serve`` on a free port; wait until it is ready."""
    state_dir.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        (state_dir / "server.json").unlink()
    cmd = [str(EKSA), "sim", "serve", "--state-dir", str(state_dir), *args]
    if "--listen" not in args:
        cmd += ["--listen", "127.0.0.1:0"]
    log = open(state_dir / "server.log", "ab")  # noqa: SIM115 - owned by the child
    try:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    finally:
        log.close()
    server = SimServer(state_dir, tuple(args), proc)
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"sim server exited with {proc.returncode}: {_tail(server.log_path)}")
        try:
            info = json.loads((state_dir / "server.json").read_text())
        except (OSError, ValueError):
            info = {}
        if info.get("pid") == proc.pid and server.client.healthy():
            server.url, server.http_url = str(info["url"]), str(info.get("http_url") or "")
            return server
        time.sleep(0.05)
    server.kill()
    raise RuntimeError(f"sim server not ready after {READY_TIMEOUT}s: {_tail(server.log_path)}")


def _tail(path: Path) -> str:
    with contextlib.suppress(OSError):
        return path.read_text(errors="replace")[-2000:]
    return ""


@contextlib.contextmanager
def running_sim(state_dir: Path, args: Sequence[str] = ()) -> Iterator[SimServer]:
    server = start_sim(state_dir, args)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sim_server(tmp_path: Path) -> Iterator[SimServer]:
    """A sim server with a fresh state dir, stopped at the end of the test."""
    with running_sim(tmp_path / "sim") as server:
        yield server


__all__ = ["SimError", "SimServer", "running_sim", "sim_server", "start_sim"]
