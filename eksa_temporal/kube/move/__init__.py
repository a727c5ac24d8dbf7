"""A clusterctl-style move of Cluster API objects between management clusters (and to /
from a directory) on the official ``kubernetes`` client, that resumes after a crash at
any point: discovery and graph (``discovery``, ``graph``), per-request retries
(``retry``, ``api``), the journal kept in the target (``journal``), the phases
(``engine``) and backup / restore (``directory``).

Activities (``activities.move``) and the CLI (``eksa-temporal move``) call the three
functions below with kubeconfig FILE paths; nothing here returns or logs Secret data.
"""

from __future__ import annotations

from pathlib import Path

from eksa_temporal.kube.move.api import MoveApi, RequestStats, api_for
from eksa_temporal.kube.move.directory import (
    JOURNAL_FILE as BACKUP_JOURNAL,
)
from eksa_temporal.kube.move.directory import (
    from_directory,
    release_directory,
    to_directory,
)
from eksa_temporal.kube.move.engine import Hook, MoveOptions, Mover, Progress
from eksa_temporal.kube.move.errors import (
    JournalConflict,
    MoveAborted,
    MoveError,
    PreconditionFailed,
)
from eksa_temporal.kube.move.journal import ConfigMapJournal, journal_name
from eksa_temporal.kube.move.model import MoveResult, Phase
from eksa_temporal.kube.move.retry import TransientError

__all__ = [
    "BACKUP_JOURNAL",
    "JournalConflict",
    "MoveAborted",
    "MoveApi",
    "MoveError",
    "MoveOptions",
    "MoveResult",
    "Mover",
    "Phase",
    "PreconditionFailed",
    "RequestStats",
    "TransientError",
    "api_for",
    "backup",
    "move",
    "move_recorded",
    "release_backup",
    "restore",
]


def move(
    from_kubeconfig: str,
    to_kubeconfig: str,
    options: MoveOptions,
    *,
    progress: Progress | None = None,
    hook: Hook | None = None,
) -> MoveResult:
    """Start or resume the move of ``options.cluster`` from one cluster to another."""
    stats = RequestStats()
    source = api_for(from_kubeconfig, stats)
    target = api_for(to_kubeconfig, stats)
    return Mover(source, target, options, progress=progress, hook=hook).run()


def backup(
    from_kubeconfig: str,
    directory: str,
    cluster: str | None,
    namespace: str,
    *,
    progress: Progress | None = None,
) -> MoveResult:
    """``clusterctl move --to-directory``: one YAML file per object of the cluster."""
    return to_directory(
        api_for(from_kubeconfig), Path(directory), cluster, namespace, progress=progress
    )


def move_recorded(to_kubeconfig: str, options: MoveOptions) -> bool:
    """Whether the target holds the journal of an unfinished move of ``options.cluster``."""
    target = api_for(to_kubeconfig)
    name = journal_name(options.cluster, options.namespace)
    return ConfigMapJournal(target, options.journal_namespace, name).load() is not None


def release_backup(from_kubeconfig: str, directory: str) -> bool:
    """Undo the pause of an interrupted ``--to-directory`` backup (its journal file names
    what it paused); False when no backup was under way there."""
    return release_directory(api_for(from_kubeconfig), Path(directory))


def restore(to_kubeconfig: str, directory: str, *, progress: Progress | None = None) -> MoveResult:
    """``clusterctl move --from-directory``: create a backup's objects, then unpause."""
    return from_directory(api_for(to_kubeconfig), Path(directory), progress=progress)
