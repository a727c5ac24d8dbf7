"""Worker processes for the end-to-end tests that stop or kill workers: each a
``tests.e2e.standby_worker`` (imports done, polls once its go-file exists) with its own
health endpoint and grace period, stopped by PID."""

from __future__ import annotations

import os
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from eksa_temporal import config
from eksa_temporal.devserver import Child, free_port, spawn
from eksa_temporal.health import HEALTH_BIND_ENV
from eksa_temporal.worker import SHUTDOWN_GRACE_ENV
from tests.support.paths import REPO


@dataclass
class WorkerProc:
    child: Child
    go: Path
    health: str  # http://127.0.0.1:port

    def state(self) -> tuple[int, str]:
        """``(status, body)`` of ``/healthz``; ``(0, "")`` when nothing answers."""
        try:
            with urllib.request.urlopen(f"{self.health}/healthz", timeout=2) as resp:
                return resp.status, resp.read().decode().strip()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode().strip()
        except OSError:
            return 0, ""

    def wait_state(self, want: tuple[int, str], seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.state() == want:
                return
            time.sleep(0.05)
        raise AssertionError(f"/healthz of {self.child.name} never {want}: {self.state()}")


def start_worker(root: Path, name: str, address: str, queue: str, grace: float = 10.0) -> WorkerProc:
    """A standby worker process (``tests.e2e.standby_worker``): imports done, polls once
    its go-file exists; health on its own port."""
    port = free_port()
    env = dict(os.environ)
    env.update({
        "TEMPORAL_ADDRESS": address, config.STATE_DIR_ENV: str(root), config.TASK_QUEUE_ENV: queue,
        HEALTH_BIND_ENV: f"127.0.0.1:{port}", SHUTDOWN_GRACE_ENV: str(grace), "PYTHONPATH": str(REPO),
    })  # fmt: skip
    go = root / f"{name}.go"
    child = spawn(name, [sys.executable, "-m", "tests.e2e.standby_worker", str(go)], log_path=root / f"{name}.log", env=env)
    return WorkerProc(child, go, f"http://127.0.0.1:{port}")
