"""The move steps as Temporal activities (``MoveActivities``): a clusterctl-style move
that resumes from its journal in the target cluster after a worker crash, backup to and
restore from a directory, and the compensation that undoes a move which has not started
deleting. The engine is ``eksa_temporal.kube.move``."""

from eksa_temporal.activities.move.activities import MoveActivities
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

__all__ = [
    "BackupInput",
    "BackupResult",
    "MoveActivities",
    "MoveProgress",
    "MoveStepInput",
    "MoveStepResult",
    "RemoveBackupInput",
    "RemoveBackupResult",
    "RestoreInput",
    "RestoreResult",
]
