"""``MoveActivities``: the move steps, synchronous activities (the kubernetes client
blocks) run on the worker's thread pool.

Each attempt simply runs the engine: a retried attempt (after a worker crash, a
heartbeat timeout or a transient API failure) finds the journal in the target and
continues where the previous one stopped. Heartbeats carry ``MoveProgress`` (phase and
counters only). ``capi-move-abort`` settles an interrupted move (or releases an
interrupted backup's pause); ``capi-backup-remove`` deletes a backup after a successful
upgrade. Permanent failures become non-retryable ``ApplicationError`` types
``MovePreconditionFailed`` / ``MoveAborted`` with a remediation; API trouble that
outlived the per-request retries stays retryable.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from temporalio import activity
from temporalio.exceptions import ApplicationError

from eksa_temporal.activities.move.models import (
    BackupInput,
    BackupResult,
    MoveProgress,
    MoveStepInput,
    MoveStepResult,
    RemoveBackupInput,
    RemoveBackupResult,
    RestoreInput,
    RestoreResult,
)
from eksa_temporal.activities.steps import step, step_info
from eksa_temporal.activities.teardown import deleted_before
from eksa_temporal.errors import MoveAborted, MovePreconditionFailed
from eksa_temporal.kube import move as engine
from eksa_temporal.logs import get_logger

log = get_logger("activities.move")
T = TypeVar("T")

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
        raise MovePreconditionFailed(f"{what}: {exc}") from exc
    except engine.MoveAborted as exc:
        raise MoveAborted(f"{what}: {exc}") from exc
    except (engine.TransientError, engine.JournalConflict) as exc:
        raise ApplicationError(f"{what}: {exc}", type=MOVE_TRANSIENT) from exc


def _first(*paths: str | None) -> str:
    for p in paths:
        if p:
            return p
    raise MovePreconditionFailed("no kubeconfig path for the move")


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


def _mover(
    source: str, target: str, options: engine.MoveOptions, progress: Heartbeat | None = None
) -> engine.Mover:
    stats = engine.RequestStats()
    return engine.Mover(
        engine.api_for(source, stats), engine.api_for(target, stats), options, progress=progress
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
        if Path(target).exists() and _guard(
            what, lambda: _mover(source, target, options).done_before()
        ):
            # an earlier run finished this move (the source may be gone since): nothing to do
            log.info("move already done; no-op", step=what, cluster=inp.cluster_name)
            return MoveStepResult(changed=False, message="already moved", already_moved=True)
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

    @step(
        "capi-management-move",
        long=True,
        changes="moves the CAPI objects from the bootstrap cluster into the new cluster",
        errors=(MovePreconditionFailed, MoveAborted),
    )
    def capi_management_move(self, inp: MoveStepInput) -> MoveStepResult:
        """Move the cluster's CAPI objects from the bootstrap cluster to the cluster itself."""
        source = _first(
            inp.from_kubeconfig, inp.bootstrap_kubeconfig, str(inp.bootstrap_kubeconfig_path)
        )
        target = _first(inp.to_kubeconfig, inp.kubeconfig, str(inp.kubeconfig_path))
        return self._move(step_info(self.capi_management_move).name, inp, source, target)

    @step(
        "capi-move-to-bootstrap",
        long=True,
        changes="moves the CAPI objects from the cluster into the bootstrap cluster",
        errors=(MovePreconditionFailed, MoveAborted),
    )
    def capi_move_to_bootstrap(self, inp: MoveStepInput) -> MoveStepResult:
        """Move the cluster's CAPI objects back to a bootstrap cluster (before delete).
        After an earlier delete asked for the Cluster's deletion (its marker, see
        ``activities.teardown.deleted_marker``) there is nothing to move: a no-op."""
        source = _first(inp.from_kubeconfig, inp.kubeconfig, str(inp.kubeconfig_path))
        target = _first(
            inp.to_kubeconfig, inp.bootstrap_kubeconfig, str(inp.bootstrap_kubeconfig_path)
        )
        options = engine.MoveOptions(cluster=inp.cluster_name, namespace=inp.capi_namespace)
        if deleted_before(inp) and not _guard(
            step_info(self.capi_move_to_bootstrap).name,
            lambda: engine.move_recorded(target, options),
        ):
            # an earlier delete asked for the Cluster's deletion where it had moved it: the
            # cluster's own API may be gone already, and nothing is left to move
            log.info("cluster already being deleted; nothing to move", cluster=inp.cluster_name)
            return MoveStepResult(
                changed=False, message=f"{inp.cluster_name} already deleted", already_moved=True
            )
        if not Path(source).exists():
            raise MovePreconditionFailed(
                f"{step_info(self.capi_move_to_bootstrap).name}: kubeconfig {source} of {inp.cluster_name} does not exist "
                "(fix: run delete from the folder holding <cluster>/<cluster>-eks-a-cluster.kubeconfig)",
            )
        return self._move(step_info(self.capi_move_to_bootstrap).name, inp, source, target)

    @step(
        "capi-move-abort",
        long=True,
        changes="undoes or finishes an interrupted move; unpauses an interrupted backup",
        errors=(MovePreconditionFailed, MoveAborted),
    )
    def capi_move_abort(self, inp: MoveStepInput) -> MoveStepResult:
        """Compensation: leave an interrupted move consistent. Before it started deleting
        from its source it is undone (what it created in the target removed, the source
        unpaused); past that point it is finished (objects in the target, unpaused). With
        ``backup_dir`` it undoes the pause of an interrupted backup. A no-op when no move
        is under way. Paths default to those of ``capi-management-move``."""
        if inp.backup_dir:
            return self._release_backup(inp)
        source = _first(
            inp.from_kubeconfig, inp.bootstrap_kubeconfig, str(inp.bootstrap_kubeconfig_path)
        )
        target = _first(inp.to_kubeconfig, inp.kubeconfig, str(inp.kubeconfig_path))
        if not Path(target).exists():
            # the journal lives in the target: without it no move can have been recorded
            return MoveStepResult(
                changed=False, message="no move to undo (no target cluster)", settled="none"
            )
        options = engine.MoveOptions(cluster=inp.cluster_name, namespace=inp.capi_namespace)
        if not Path(source).exists():
            # e.g. the bootstrap cluster is already deleted: only a finished move is possible
            if not _guard(
                step_info(self.capi_move_abort).name, lambda: engine.move_recorded(target, options)
            ):
                return MoveStepResult(changed=False, message="no move to undo", settled="none")
            raise MovePreconditionFailed(
                f"{step_info(self.capi_move_abort).name}: {target} records an unfinished move of {inp.cluster_name} "
                f"but the source kubeconfig {source} is gone (fix: restore it, then run "
                "`eksa-temporal move` to finish or undo the move)",
            )
        hb = Heartbeat(self.heartbeat_interval)
        hb("settling", 0, 0)
        outcome = _guard(
            step_info(self.capi_move_abort).name,
            lambda: _mover(source, target, options, hb).settle("stopped by cancel or abort"),
        )
        message = {
            "none": "no move to undo",
            "undone": "move undone: source unpaused, target objects removed",
            "finished": "move finished (it was past deleting from the source, or complete)",
        }[outcome]
        log.info("move settled", cluster=inp.cluster_name, outcome=outcome)
        return MoveStepResult(changed=outcome != "none", message=message, settled=outcome)

    def _release_backup(self, inp: MoveStepInput) -> MoveStepResult:
        assert inp.backup_dir
        source = _first(
            inp.from_kubeconfig, inp.management_kubeconfig, inp.kubeconfig, str(inp.kubeconfig_path)
        )
        if not (Path(inp.backup_dir) / engine.BACKUP_JOURNAL).exists():
            return MoveStepResult(changed=False, message="no backup under way")
        released = _guard(
            step_info(self.capi_move_abort).name,
            lambda: engine.release_backup(source, str(inp.backup_dir)),
        )
        return MoveStepResult(
            changed=released,
            message="backup stopped: cluster unpaused" if released else "no backup under way",
        )

    @step(
        "capi-backup",
        long=True,
        changes="writes the CAPI objects into an owner-only backup folder (paused while copied)",
        errors=(MovePreconditionFailed, MoveAborted),
    )
    def capi_backup(self, inp: BackupInput) -> BackupResult:
        """Write the cluster's CAPI objects to a directory (before an upgrade)."""
        source = _first(
            inp.from_kubeconfig, inp.management_kubeconfig, inp.kubeconfig, str(inp.kubeconfig_path)
        )
        run_id = (activity.info().workflow_run_id or "")[:8] if activity.in_activity() else ""
        run_id = run_id or "local"
        directory = inp.backup_dir or str(Path(inp.workdir) / "generated" / f"capi-backup-{run_id}")
        hb = Heartbeat(self.heartbeat_interval)
        hb("starting", 0, 0)
        r = _guard(
            step_info(self.capi_backup).name,
            lambda: engine.backup(
                source, directory, inp.cluster_name, inp.capi_namespace, progress=hb
            ),
        )
        return BackupResult(
            message=f"saved {r.objects} objects", backup_path=directory, objects=r.objects
        )

    @step(
        "capi-backup-remove", changes="removes the backup folder", errors=(MovePreconditionFailed,)
    )
    def capi_backup_remove(self, inp: RemoveBackupInput) -> RemoveBackupResult:
        """Remove the backup folder after a successful upgrade: it holds copies of the
        cluster's Secrets. Only a folder that looks like a backup (object files, or
        nothing) is removed; a missing folder is a no-op."""
        directory = Path(inp.backup_dir)
        if not directory.exists():
            return RemoveBackupResult(changed=False, message="backup already removed")
        strays = [
            p.name
            for p in directory.iterdir()
            if not (p.is_file() and (p.suffix in (".yaml", ".yml") or p.name.startswith(".")))
        ]
        if strays:
            raise MovePreconditionFailed(
                f"{step_info(self.capi_backup_remove).name}: {directory} holds more than a backup ({', '.join(sorted(strays)[:3])}) "
                "(fix: move those files away, then retry)",
            )
        shutil.rmtree(directory)
        return RemoveBackupResult(changed=True, message=f"removed {directory}")

    @step(
        "capi-restore",
        changes="creates the backed-up CAPI objects in a cluster",
        errors=(MovePreconditionFailed, MoveAborted),
    )
    def capi_restore(self, inp: RestoreInput) -> RestoreResult:
        """Create a backup's objects in the management cluster again, then unpause."""
        target = _first(
            inp.to_kubeconfig, inp.management_kubeconfig, inp.kubeconfig, str(inp.kubeconfig_path)
        )
        hb = Heartbeat(self.heartbeat_interval)
        r = _guard(
            step_info(self.capi_restore).name,
            lambda: engine.restore(target, inp.backup_dir, progress=hb),
        )
        return RestoreResult(
            changed=r.created > 0,
            message=f"restored {r.objects} objects",
            objects=r.objects,
            created=r.created,
            reused=r.reused,
        )
