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
from eksa_temporal.kube.move.directory import from_directory, to_directory
from eksa_temporal.kube.move.engine import Hook, MoveOptions, Mover, Progress
from eksa_temporal.kube.move.errors import (
    JournalConflict,
    MoveAborted,
    MoveError,
    PreconditionFailed,
)
from eksa_temporal.kube.move.model import MoveResult, Phase
from eksa_temporal.kube.move.retry import TransientError

__all__ = [
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


def restore(to_kubeconfig: str, directory: str, *, progress: Progress | None = None) -> MoveResult:
    """``clusterctl move --from-directory``: create a backup's objects, then unpause."""
    return from_directory(api_for(to_kubeconfig), Path(directory), progress=progress)
