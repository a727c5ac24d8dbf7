"""Small helpers the simulated controllers share: API versions and label names of Cluster
API, object keys, metadata accessors, owner references and conditions.

Only plain-dict manipulation lives here (no store access), so every reconciler reads the
same way as Cluster API's Go helpers (``util.GetOwnerCluster``, ``conditions.Set``).
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any, NamedTuple

Obj = dict[str, Any]

CLUSTER_V = "cluster.x-k8s.io/v1beta1"
BOOTSTRAP_V = "bootstrap.cluster.x-k8s.io/v1beta1"
CONTROLPLANE_V = "controlplane.cluster.x-k8s.io/v1beta1"
INFRA_V = "infrastructure.cluster.x-k8s.io/v1beta1"

CLUSTER_NAME_LABEL = "cluster.x-k8s.io/cluster-name"
CONTROL_PLANE_LABEL = "cluster.x-k8s.io/control-plane"
CONTROL_PLANE_NAME_LABEL = "cluster.x-k8s.io/control-plane-name"
DEPLOYMENT_NAME_LABEL = "cluster.x-k8s.io/deployment-name"
SET_NAME_LABEL = "cluster.x-k8s.io/set-name"
TEMPLATE_HASH_LABEL = "machine-template-hash"
PAUSED_ANNOTATION = "cluster.x-k8s.io/paused"
DELETE_FOR_MOVE_ANNOTATION = "clusterctl.cluster.x-k8s.io/delete-for-move"
CLONED_FROM_NAME = "cluster.x-k8s.io/cloned-from-name"
CLONED_FROM_KIND = "cluster.x-k8s.io/cloned-from-groupkind"
CONTROL_PLANE_ROLE = "node-role.kubernetes.io/control-plane"


class Key(NamedTuple):
    """Identity of one object in one virtual cluster (the work-queue key)."""

    cluster: str
    api_version: str
    kind: str
    namespace: str | None
    name: str


def key_of(cluster: str, obj: Obj) -> Key:
    meta = obj.get("metadata", {})
    return Key(cluster, obj["apiVersion"], obj["kind"], meta.get("namespace"), meta["name"])


def name(obj: Obj) -> str:
    return str(obj["metadata"]["name"])


def namespace(obj: Obj) -> str | None:
    ns = obj["metadata"].get("namespace")
    return str(ns) if ns else None


def labels(obj: Obj) -> dict[str, str]:
    return dict(obj.get("metadata", {}).get("labels") or {})


def annots(obj: Obj) -> dict[str, str]:
    return dict(obj.get("metadata", {}).get("annotations") or {})


def finalizers(obj: Obj) -> list[str]:
    return list(obj.get("metadata", {}).get("finalizers") or [])


def deleting(obj: Obj) -> bool:
    return bool(obj.get("metadata", {}).get("deletionTimestamp"))


def status(obj: Obj) -> dict[str, Any]:
    return dict(obj.get("status") or {})


def spec(obj: Obj) -> dict[str, Any]:
    return dict(obj.get("spec") or {})


def owner_ref(owner: Obj, *, controller: bool = True) -> dict[str, Any]:
    ref: dict[str, Any] = {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": name(owner),
        "uid": owner["metadata"]["uid"],
    }
    if controller:
        ref["controller"] = True
        ref["blockOwnerDeletion"] = True
    return ref


def owner_of_kind(obj: Obj, kind: str) -> dict[str, Any] | None:
    for ref in obj.get("metadata", {}).get("ownerReferences") or []:
        if ref.get("kind") == kind:
            return dict(ref)
    return None


def owned_by(obj: Obj, owner: Obj) -> bool:
    uid = owner["metadata"].get("uid")
    return any(
        r.get("uid") == uid for r in obj.get("metadata", {}).get("ownerReferences") or []
    )


def with_owner(obj: Obj, owner: Obj, *, controller: bool = True) -> list[dict[str, Any]] | None:
    """The ownerReferences ``obj`` should have to be owned by ``owner`` (None when it
    already is). A stale reference to an owner of the same kind and name (from before a
    move: other UID) is replaced."""
    refs = list(obj.get("metadata", {}).get("ownerReferences") or [])
    if owned_by(obj, owner):
        return None
    refs = [r for r in refs if not (r.get("kind") == owner["kind"] and r.get("name") == name(owner))]
    if controller:
        refs = [r for r in refs if not r.get("controller")]
    refs.append(owner_ref(owner, controller=controller))
    return refs


def cluster_name_of(obj: Obj) -> str | None:
    """The CAPI Cluster an object belongs to: itself, its label, or ``spec.clusterName``."""
    if obj.get("kind") == "Cluster" and obj.get("apiVersion", "").startswith("cluster.x-k8s.io/"):
        return name(obj)
    label = labels(obj).get(CLUSTER_NAME_LABEL)
    if label:
        return label
    cluster = spec(obj).get("clusterName")
    if cluster:
        return str(cluster)
    ref = owner_of_kind(obj, "Cluster")
    return str(ref["name"]) if ref else None


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def condition(
    type_: str, ok: bool, reason: str = "", message: str = "", severity: str = ""
) -> dict[str, Any]:
    """A condition; ``reason``, ``message`` and ``severity`` describe the False state
    and are dropped when ``ok``."""
    cond: dict[str, Any] = {"type": type_, "status": "True" if ok else "False"}
    if not ok:
        cond["reason"] = reason or "NotReady"
        if severity:
            cond["severity"] = severity
        if message:
            cond["message"] = message
    return cond


def merge_conditions(
    old: list[dict[str, Any]] | None, new: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """``new`` conditions with ``lastTransitionTime`` kept from ``old`` when the status did
    not change (so an unchanged reconcile writes nothing), sorted by type."""
    before = {c.get("type"): c for c in old or []}
    out = []
    for cond in new:
        prev = before.get(cond["type"])
        stamp = (
            prev.get("lastTransitionTime")
            if prev is not None and prev.get("status") == cond["status"]
            else None
        )
        out.append({**cond, "lastTransitionTime": stamp or now_iso()})
    return sorted(out, key=lambda c: str(c["type"]))


def is_true(obj: Obj, type_: str) -> bool:
    for cond in status(obj).get("conditions") or []:
        if cond.get("type") == type_:
            return bool(cond.get("status") == "True")
    return False


def short_hash(value: Any, length: int = 10) -> str:
    """A stable hex digest of a JSON-able value (template names, MachineSet hashes)."""
    blob = json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()[:length]


def diff_status(current: dict[str, Any], desired: dict[str, Any]) -> dict[str, Any] | None:
    """The merge patch turning ``current`` status into ``desired`` (None when equal);
    fields present in ``current`` but absent in ``desired`` are removed."""
    if current == desired:
        return None
    patch: dict[str, Any] = {k: v for k, v in desired.items() if current.get(k) != v}
    for k in current:
        if k not in desired:
            patch[k] = None
    return patch
