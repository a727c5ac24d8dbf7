"""Crash-test helpers: a relay of worker subprocesses (each ``kill -9``ed and replaced by a
pre-started standby in turn), an observer of an operation's steps (scheduled and
completed from the history, running from the pending activities), and the driver that
kills the worker at every step's scheduled / running / completed point of one operation
(``crash_at_every_step``)."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from temporalio.api.enums.v1 import PendingActivityState
from temporalio.client import WorkflowHandle

from eksa_temporal import config
from eksa_temporal.devserver import Child, spawn
from eksa_temporal.worker import MAX_CACHED_ENV
from tests.support.paths import REPO


@dataclass
class WorkerRelay:
    """Worker subprocesses on one task queue; ``crash()`` = kill -9 + instant replacement."""

    root: Path
    address: str
    task_queue: str
    current: Child | None = None
    standby: tuple[Child, Path] | None = None
    kills: int = 0
    logs: list[Path] = field(default_factory=list)

    def _spawn(self) -> tuple[Child, Path]:
        n = len(self.logs)
        go = self.root / f"worker-{n}.go"
        log = self.root / f"worker-{n}.log"
        self.logs.append(log)
        env = dict(os.environ)
        env.update(
            {
                "TEMPORAL_ADDRESS": self.address,
                config.STATE_DIR_ENV: str(self.root),
                config.TASK_QUEUE_ENV: self.task_queue,
                MAX_CACHED_ENV: "0",
                "PYTHONPATH": str(REPO),
            }
        )
        return spawn(f"worker-{n}", [sys.executable, "-m", "tests.e2e.standby_worker", str(go)], log_path=log, env=env), go

    def start(self) -> None:
        child, go = self._spawn()
        go.touch()
        self.current = child
        self.standby = self._spawn()

    def crash(self) -> None:
        assert self.current is not None and self.standby is not None
        self.current.kill()
        self.kills += 1
        child, go = self.standby
        go.touch()
        self.current = child
        self.standby = self._spawn()

    def stop(self) -> None:
        for child in (self.current, self.standby[0] if self.standby else None):
            if child is not None:
                child.stop(grace=15)


async def step_events(handle: WorkflowHandle[object, object]) -> dict[str, set[str]]:
    """``{"scheduled": {...}, "running": {...}, "completed": {...}}`` step names."""
    scheduled: dict[int, str] = {}
    seen: dict[str, set[str]] = {"scheduled": set(), "running": set(), "completed": set()}
    async for ev in handle.fetch_history_events():
        if ev.HasField("activity_task_scheduled_event_attributes"):
            name = ev.activity_task_scheduled_event_attributes.activity_type.name
            scheduled[ev.event_id] = name
            seen["scheduled"].add(name)
        elif ev.HasField("activity_task_completed_event_attributes"):
            seen["completed"].add(scheduled[ev.activity_task_completed_event_attributes.scheduled_event_id])
    desc = await handle.describe()
    for pa in desc.raw_description.pending_activities:
        if pa.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED:
            seen["running"].add(pa.activity_type.name)
    return seen




PHASES = ("scheduled", "running", "completed")


@dataclass
class CrashRun:
    """What ``crash_at_every_step`` did: the (step, phase) points it killed the worker at,
    the running points it missed (the step completed between two looks) and the points
    still left when its deadline passed (empty when it got through the plan)."""

    hits: list[tuple[str, str]] = field(default_factory=list)
    missed: list[tuple[str, str]] = field(default_factory=list)
    left: list[tuple[str, str]] = field(default_factory=list)

    @property
    def running_hits(self) -> list[str]:
        return [step for step, phase in self.hits if phase == "running"]

    def assert_every_step_hit(self, plan: Sequence[str]) -> None:
        """Every step was killed at when scheduled and when completed (running is best effort)."""
        assert self.left == [], f"never reached: {self.left}"
        want = {(step, phase) for step in plan for phase in ("scheduled", "completed")}
        assert {(st, ph) for st, ph in self.hits if ph != "running"} == want

    def summary(self) -> str:
        return f"while running: {self.running_hits}; missed: {[m[0] for m in self.missed]}"


async def crash_at_every_step(
    handle: WorkflowHandle[object, object], relay: WorkerRelay, plan: Sequence[str], *, deadline: float
) -> CrashRun:
    """``kill -9`` the relay's worker at each step of ``plan`` in turn, once the step is
    scheduled, running and completed (a standby takes over each time), until the plan is
    through or ``deadline`` (``time.monotonic()``) passes. A step too quick to be seen
    running is recorded as missed."""
    run = CrashRun(left=[(step, phase) for step in plan for phase in PHASES])
    while run.left and time.monotonic() < deadline:
        seen = await step_events(handle)
        step, phase = run.left[0]
        if step in seen[phase]:
            relay.crash()
            run.hits.append(run.left.pop(0))
        elif phase == "running" and step in seen["completed"]:
            run.missed.append(run.left.pop(0))  # too quick to catch while running
        await asyncio.sleep(0.05)
    return run
