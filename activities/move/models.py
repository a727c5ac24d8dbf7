"""Inputs and results of the move steps (``capi-management-move``,
``capi-move-to-bootstrap``, ``capi-backup``, ``capi-backup-remove``, ``capi-restore``,
``capi-move-abort``).

Inputs extend ``activities.models.ClusterStepInput`` (the fields every step receives)
with kubeconfig FILE paths and the namespace of the CAPI objects; results carry counts
and paths only. ``MoveProgress`` is the heartbeat detail: phase and counters, never an
object body.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from eksa_temporal.activities.models import ClusterStepInput, StepResult


class MoveStepInput(ClusterStepInput):
    """A move between two management clusters. Paths left empty are derived from the
    common fields (bootstrap_kubeconfig / kubeconfig, or the EKS-A default paths)."""

    capi_namespace: str = "eksa-system"
    from_kubeconfig: str | None = None
    to_kubeconfig: str | None = None
    block_move_timeout_seconds: float = Field(default=300, gt=0)
    # capi-move-abort of a backup (a move to a directory): the backup's folder
    backup_dir: str | None = None


class MoveStepResult(StepResult):
    move_id: str = ""
    objects: int = 0
    created: int = 0
    reused: int = 0
    deleted: int = 0
    already_moved: bool = False
    resumed_from: str | None = None
    api_requests: int = 0
    requests_per_object: float = 0.0
    seconds: float = 0.0
    # capi-move-abort: "none" (no move under way), "undone" or "finished"
    settled: str = ""


class BackupInput(ClusterStepInput):
    """``clusterctl move --to-directory``; ``backup_dir`` defaults to
    ``<workdir>/generated/capi-backup-<workflow run>``."""

    capi_namespace: str = "eksa-system"
    from_kubeconfig: str | None = None
    backup_dir: str | None = None


class BackupResult(StepResult):
    backup_path: str = ""
    objects: int = 0


class RemoveBackupInput(ClusterStepInput):
    """The backup folder ``capi-backup`` wrote, removed once the upgrade succeeded."""

    backup_dir: str


class RemoveBackupResult(StepResult):
    pass


class RestoreInput(ClusterStepInput):
    """``clusterctl move --from-directory`` into ``to_kubeconfig`` (default: the cluster
    holding the CAPI objects)."""

    backup_dir: str
    to_kubeconfig: str | None = None


class RestoreResult(StepResult):
    objects: int = 0
    created: int = 0
    reused: int = 0


class MoveProgress(BaseModel):
    """Heartbeat details of every move step."""

    model_config = ConfigDict(frozen=True)
    phase: str = ""
    done: int = 0
    total: int = 0
