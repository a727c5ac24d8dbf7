"""Who owns a cluster's infrastructure: the identity of the create run that made it.

A create run is one Temporal workflow run (workflow id + run id). Whatever it makes - the
sim's virtual cluster and machines, vSphere VMs, Kubernetes objects - may carry the run's
identity so a later check can tell "made by this very run" (a resumed create: accept) from
"made by someone else" (refuse, or leave alone). The identity travels as one label value
(``OWNER_LABEL``: a hash, valid as a Kubernetes label value and a vSphere tag name) plus
annotations with the readable workflow and run ids. ``owner_id`` and the constants live in
``eksa_temporal.ownership`` (re-exported here), the only place the hash is computed; providers
import them from there or receive the value as a plain string (they never import activities).

Used by ``activities.validate`` (refuse an existing cluster unless this run made it), the
steps that create infrastructure (stamp the owner) and the cleanup steps (remove only what
the run owns).
"""

from __future__ import annotations

from dataclasses import dataclass

from temporalio import activity

from eksa_temporal.ownership import (
    CLUSTER_LABEL,
    OWNER_LABEL,
    OWNER_RUN_ANNOTATION,
    OWNER_TAG_CATEGORY,
    OWNER_WORKFLOW_ANNOTATION,
    cluster_id,
    owner_id,
)

__all__ = [
    "CLUSTER_LABEL",
    "OWNER_LABEL",
    "OWNER_RUN_ANNOTATION",
    "OWNER_TAG_CATEGORY",
    "OWNER_WORKFLOW_ANNOTATION",
    "Owner",
    "cluster_id",
    "current_owner",
    "owner_from",
    "owner_id",
    "run_owner",
]


@dataclass(frozen=True)
class Owner:
    """One workflow run as an owner of infrastructure."""

    workflow_id: str
    run_id: str

    @property
    def id(self) -> str:
        return owner_id(self.workflow_id, self.run_id)

    def labels(self) -> dict[str, str]:
        return {OWNER_LABEL: self.id}

    def cluster_labels(self) -> dict[str, str]:
        """The owner label plus the identity of the cluster the run works on (its workflow
        id): what another operation of the same cluster may take over."""
        return {**self.labels(), CLUSTER_LABEL: cluster_id(self.workflow_id)}

    def annotations(self) -> dict[str, str]:
        return {OWNER_WORKFLOW_ANNOTATION: self.workflow_id, OWNER_RUN_ANNOTATION: self.run_id}

    def describe(self) -> str:
        """Readable form for messages: ``workflow <id> (run <run id>)``."""
        return f"workflow {self.workflow_id} (run {self.run_id})"


def current_owner() -> Owner | None:
    """The workflow run executing the current activity (None outside an activity)."""
    if not activity.in_activity():
        return None
    info = activity.info()
    if not info.workflow_id or not info.workflow_run_id:
        return None
    return Owner(info.workflow_id, info.workflow_run_id)


def run_owner() -> Owner:
    """The owner of what the current activity makes and may clean up: its workflow run;
    outside an activity (a direct call) the empty run, so direct calls agree with each other."""
    return current_owner() or Owner("", "")


def owner_from(metadata: dict[str, object] | None) -> Owner | None:
    """The owner recorded in an object's ``metadata`` (annotations), None when unowned or
    when the annotations do not match the label (tampered or partial)."""
    meta = metadata or {}
    annotations = meta.get("annotations") or {}
    labels = meta.get("labels") or {}
    if not isinstance(annotations, dict) or not isinstance(labels, dict):
        return None
    workflow_id = annotations.get(OWNER_WORKFLOW_ANNOTATION)
    run_id = annotations.get(OWNER_RUN_ANNOTATION)
    if not isinstance(workflow_id, str) or not isinstance(run_id, str):
        return None
    owner = Owner(workflow_id, run_id)
    label = labels.get(OWNER_LABEL)
    if label is not None and label != owner.id:
        return None
    return owner
