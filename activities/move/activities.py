"""``MoveActivities``: the move steps, synchronous activities (the kubernetes client
blocks) run on the worker's thread pool.

Each attempt simply runs the engine: a retried attempt (after a worker crash, a
heartbeat timeout or a transient API failure) finds the journal in the target and
continues where the previous one stopped. Heartbeats carry ``MoveProgress`` (phase and
counters only). Permanent failures become non-retryable ``ApplicationError`` types
``MovePreconditionFailed`` / ``MoveAborted`` with a remediation; API trouble that
outlived the per-request retries stays retryable.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import steps
from activities.move.models import (
    BackupInput,
    BackupResult,
    MoveProgress,
    MoveStepInput,
    MoveStepResult,
    RestoreInput,
    RestoreResult,
)
from eksa_temporal.kube import move as engine
from eksa_temporal.logs import get_logger

log = get_logger("activities.move")
T = TypeVar("T")

PRECONDITION_FAILED = "MovePreconditionFailed"
MOVE_ABORTED = "MoveAborted"
MOVE_TRANSIENT = "MoveTransient"


class Heartbeat:
    """A progress callback that heartbeats at most every ``interval`` seconds (and on
    every phase change)."""

    def __init__(self, interval: float = 1.0) -> None:
        self.interval = interval
        self._last = 0.0
        self._phase = ""

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if phase == self._phase and now - self._last < self.interval:
            return
        self._last, self._phase = now, phase
        if activity.in_activity():
            activity.heartbeat(MoveProgress(phase=phase, done=done, total=total).model_dump())


def _guard(what: str, fn: Callable[[], T]) -> T:
    """Run ``fn`` and map the engine's errors onto Temporal's retry semantics."""
    try:
        return fn()
    except engine.PreconditionFailed as exc:
        raise ApplicationError(
            f"{what}: {exc}", type=PRECONDITION_FAILED, non_retryable=True
        ) from exc
    except engine.MoveAborted as exc:
        raise ApplicationError(
            f"{what}: {exc} (fix: resolve the cause, then run the operation again)",
            type=MOVE_ABORTED,
            non_retryable=True,
        ) from exc
    except (engine.TransientError, engine.JournalConflict) as exc:
        raise ApplicationError(f"{what}: {exc}", type=MOVE_TRANSIENT) from exc


def _first(*paths: str | None) -> str:
    for p in paths:
        if p:
            return p
    raise ApplicationError(
        "no kubeconfig path for the move", type=PRECONDITION_FAILED, non_retryable=True
    )


def _result(r: engine.MoveResult) -> MoveStepResult:
    return MoveStepResult(
        changed=not r.already_moved,
        message="already moved" if r.already_moved else f"moved {r.objects} objects",
        move_id=r.move_id,
        objects=r.objects,
        created=r.created,
        reused=r.reused,
        deleted=r.deleted,
        already_moved=r.already_moved,
        resumed_from=r.resumed_from.value if r.resumed_from else None,
        api_requests=r.api_requests,
        requests_per_object=round(r.requests_per_object, 2),
        seconds=r.seconds,
    )


class MoveActivities:
    """The move steps; holds no clients (one per kubeconfig path is cached by
    ``eksa_temporal.kube.kube_for``)."""

    def __init__(self, *, heartbeat_interval: float = 1.0) -> None:
        self.heartbeat_interval = heartbeat_interval

    def _move(self, what: str, inp: MoveStepInput, source: str, target: str) -> MoveStepResult:
        info = activity.info() if activity.in_activity() else None
        log.info(
            "move starting",
            step=what,
            cluster=inp.cluster_name,
            attempt=info.attempt if info else 1,
            source=source,
            target=target,
        )
        options = engine.MoveOptions(
            cluster=inp.cluster_name,
            namespace=inp.capi_namespace,
            block_move_timeout=inp.block_move_timeout_seconds,
        )
        hb = Heartbeat(self.heartbeat_interval)
        result = _guard(what, lambda: engine.move(source, target, options, progress=hb))
        log.info(
            "move finished",
            step=what,
            cluster=inp.cluster_name,
            objects=result.objects,
            resumed_from=result.resumed_from,
            requests=result.api_requests,
        )
        return _result(result)

    @activity.defn(name=steps.CAPI_MANAGEMENT_MOVE)
    def management_move(self, inp: MoveStepInput) -> MoveStepResult:
        """Move the cluster's CAPI objects from the bootstrap cluster to the cluster itself."""
        source = _first(
            inp.from_kubeconfig, inp.bootstrap_kubeconfig, str(inp.bootstrap_kubeconfig_path)
        )
        target = _first(inp.to_kubeconfig, inp.kubeconfig, str(inp.kubeconfig_path))
        return self._move(steps.CAPI_MANAGEMENT_MOVE, inp, source, target)

    @activity.defn(name=steps.CAPI_MOVE_TO_BOOTSTRAP)
    def move_to_bootstrap(self, inp: MoveStepInput) -> MoveStepResult:
        """Move the cluster's CAPI objects back to a bootstrap cluster (before delete)."""
        source = _first(inp.from_kubeconfig, inp.kubeconfig, str(inp.kubeconfig_path))
        target = _first(
            inp.to_kubeconfig, inp.bootstrap_kubeconfig, str(inp.bootstrap_kubeconfig_path)
        )
        return self._move(steps.CAPI_MOVE_TO_BOOTSTRAP, inp, source, target)

    @activity.defn(name=steps.CAPI_MOVE_ABORT)
    def abort_move(self, inp: MoveStepInput) -> MoveStepResult:
        """Compensation: undo a move that has not started deleting from its source
        (target objects removed, source unpaused). A no-op without a journal."""
        source = _first(
            inp.from_kubeconfig, inp.bootstrap_kubeconfig, str(inp.bootstrap_kubeconfig_path)
        )
        target = _first(inp.to_kubeconfig, inp.kubeconfig, str(inp.kubeconfig_path))
        options = engine.MoveOptions(cluster=inp.cluster_name, namespace=inp.capi_namespace)

        def run() -> bool:
            stats = engine.RequestStats()
            mover = engine.Mover(
                engine.api_for(source, stats), engine.api_for(target, stats), options
            )
            return mover.abort("aborted by the workflow")

        undone = _guard(steps.CAPI_MOVE_ABORT, run)
        return MoveStepResult(
            changed=undone, message="move undone" if undone else "no move to undo"
        )

    @activity.defn(name=steps.BACKUP_CAPI_OBJECTS)
    def backup(self, inp: BackupInput) -> BackupResult:
        """Write the cluster's CAPI objects to a directory (before an upgrade)."""
        source = _first(
            inp.from_kubeconfig, inp.management_kubeconfig, inp.kubeconfig, str(inp.kubeconfig_path)
        )
        run_id = (activity.info().workflow_run_id or "")[:8] if activity.in_activity() else ""
        run_id = run_id or "local"
        directory = inp.backup_dir or str(Path(inp.workdir) / "generated" / f"capi-backup-{run_id}")
        hb = Heartbeat(self.heartbeat_interval)
        r = _guard(
            steps.BACKUP_CAPI_OBJECTS,
            lambda: engine.backup(
                source, directory, inp.cluster_name, inp.capi_namespace, progress=hb
            ),
        )
        return BackupResult(
            message=f"saved {r.objects} objects", backup_path=directory, objects=r.objects
        )

    @activity.defn(name=steps.RESTORE_CAPI_OBJECTS)
    def restore(self, inp: RestoreInput) -> RestoreResult:
        """Create a backup's objects in the management cluster again, then unpause."""
        target = _first(
            inp.to_kubeconfig, inp.management_kubeconfig, inp.kubeconfig, str(inp.kubeconfig_path)
        )
        hb = Heartbeat(self.heartbeat_interval)
        r = _guard(
            steps.RESTORE_CAPI_OBJECTS, lambda: engine.restore(target, inp.backup_dir, progress=hb)
        )
        return RestoreResult(
            changed=r.created > 0,
            message=f"restored {r.objects} objects",
            objects=r.objects,
            created=r.created,
            reused=r.reused,
        )
