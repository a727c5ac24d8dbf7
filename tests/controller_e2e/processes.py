"""The processes of the controller end-to-end tests, each started here in its own process
group and stopped by its PID: lifecycle workers (``tests.e2e.standby_worker``: a standby is
started ahead, so a ``kill -9``ed worker is replaced in a fraction of a second) and
``eksa-temporal controller`` processes watching the management cluster. Every child gets
the same environment: the Temporal address, the task queue, the state dir (the sim lives
in ``root/sim``), the component source and the Web UI base."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from eksa_temporal import config
from eksa_temporal.devserver import Child, spawn
from eksa_temporal.worker import MAX_CACHED_ENV
from tests.support.paths import EKSA, REPO

UI_BASE = "http://127.0.0.1:8999"  # the Web UI base the annotations' links must start with
# fast steps: a step of a killed worker is retried within seconds, not after 10 min
FAST_TIMEOUTS = (
    '{"step_seconds": 10, "long_step_seconds": 90, "heartbeat_seconds": 3, '
    '"initial_retry_seconds": 0.2, "max_retry_seconds": 1, "max_attempts": 10}'
)
TASK_TIMEOUT = "2"


@dataclass
class Processes:
    """Workers and controllers of one management cluster's tests."""

    root: Path
    env: dict[str, str]
    kubeconfig: Path | None = None
    worker: Child | None = None
    standby: tuple[Child, Path] | None = None
    controllers: dict[str, Child] = field(default_factory=dict)
    logs: list[Path] = field(default_factory=list)
    kills: int = 0

    def _log(self, stem: str) -> Path:
        path = self.root / "logs" / f"{stem}-{len(self.logs)}.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.logs.append(path)
        return path

    def _spawn_worker(self) -> tuple[Child, Path]:
        log = self._log("worker")
        go = log.with_suffix(".go")
        env = dict(self.env, **{MAX_CACHED_ENV: "0", "PYTHONPATH": str(REPO)})
        cmd = [sys.executable, "-m", "tests.e2e.standby_worker", str(go)]
        return spawn(log.stem, cmd, log_path=log, env=env), go

    def start_worker(self) -> None:
        """Promote the standby (or a new worker) to the polling worker; start a new standby."""
        child, go = self.standby or self._spawn_worker()
        go.touch()
        self.worker = child
        self.standby = self._spawn_worker()

    def kill_worker(self) -> None:
        """``kill -9`` the polling worker (its process group); the standby does not poll yet."""
        assert self.worker is not None
        self.worker.kill()
        self.kills += 1
        self.worker = None

    def start_controller(self, identity: str) -> Child:
        assert self.kubeconfig is not None, "the management cluster is created first"
        cmd = [
            str(EKSA), "controller", "--kubeconfig", str(self.kubeconfig), "--workdir", str(self.root / "out"),
            "--lease-seconds", "3", "--resync-seconds", "4", "--identity", identity,
            "--timeouts", FAST_TIMEOUTS, "--task-timeout", TASK_TIMEOUT,
        ]
        child = spawn(identity, cmd, log_path=self._log(identity), env=self.env)
        self.controllers[identity] = child
        return child

    def kill_controller(self, identity: str) -> None:
        """``kill -9`` one controller (its process group)."""
        self.controllers.pop(identity).kill()
        self.kills += 1

    def stop(self) -> None:
        for child in [*self.controllers.values(), self.worker, self.standby[0] if self.standby else None]:
            if child is not None:
                child.stop(grace=10)
        self.controllers.clear()
        self.worker = self.standby = None

    def log_text(self, lines: int = 8) -> str:
        """The last lines of every non-empty log, each cut at 300 characters (for assertion
        messages)."""
        parts = []
        for log in self.logs:
            text = log.read_text(errors="replace").splitlines() if log.exists() else []
            if text:
                parts.append(f"--- {log.name}\n" + "\n".join(line[:300] for line in text[-lines:]))
        return "\n".join(parts)


def child_env(address: str, namespace: str, queue: str, root: Path, components: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "TEMPORAL_ADDRESS": address,
            "TEMPORAL_NAMESPACE": namespace,
            config.STATE_DIR_ENV: str(root),
            config.TASK_QUEUE_ENV: queue,
            "EKSA_COMPONENTS_SOURCE": str(components),
            "EKSA_TEMPORAL_UI_URL": UI_BASE,
        }
    )
    return env
