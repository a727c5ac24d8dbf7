"""One object at a time: the body a move creates in the target (server-set fields and
status dropped, ownerReferences rebuilt on the owners' NEW uids, the source uid
recorded in a bookkeeping annotation, Clusters kept paused), idempotent create with
status restore, and the source deletion clusterctl does (annotate ``delete-for-move``,
drop finalizers, delete).

Every function here treats AlreadyExists / NotFound as progress, so the engine may
repeat any of them after a crash. Bodies (Secret data included) are never logged.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eksa_temporal.kube.move.api import NAMESPACE, ApiError, MoveApi, ResourceType
from eksa_temporal.kube.move.model import (
    DELETE_FOR_MOVE_ANNOTATION,
    PAUSED_ANNOTATION,
    SOURCE_UID_ANNOTATION,
    Node,
)

Obj = dict[str, Any]

SERVER_FIELDS = (
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "managedFields",
    "generation",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "ownerReferences",
)


def target_body(
    source: Obj, node: Node, owners: Mapping[str, Node], new_uids: Mapping[str, str]
) -> Obj:
    """The object to create in the target for ``source`` (which is not modified)."""
    body = {k: copy.deepcopy(v) for k, v in source.items() if k not in ("status", "metadata")}
    meta = {k: copy.deepcopy(v) for k, v in source["metadata"].items() if k not in SERVER_FIELDS}
    if meta.get("name"):
        meta.pop("generateName", None)
    annotations = dict(meta.get("annotations") or {})
    annotations.pop(DELETE_FOR_MOVE_ANNOTATION, None)
    annotations[SOURCE_UID_ANNOTATION] = node.uid
    if node.is_cluster_class:
        annotations[PAUSED_ANNOTATION] = ""
    meta["annotations"] = annotations
    refs = []
    for edge in node.owners:
        if edge.uid not in new_uids:  # the owner vanished from the source before it moved
            continue
        owner = owners[edge.uid]
        ref: Obj = {
            "apiVersion": owner.api_version,
            "kind": owner.kind,
            "name": owner.name,
            "uid": new_uids[edge.uid],
        }
        if edge.controller is not None:
            ref["controller"] = edge.controller
        if edge.block_owner_deletion is not None:
            ref["blockOwnerDeletion"] = edge.block_owner_deletion
        refs.append(ref)
    if refs:
        meta["ownerReferences"] = refs
    body["metadata"] = meta
    if node.is_cluster:  # stays paused in the target until the move unpauses it
        body["spec"] = {**(body.get("spec") or {}), "paused": True}
    return body


@dataclass(frozen=True)
class Created:
    target_uid: str
    reused: bool  # it already existed (our own earlier create, or adopted)
    adopted: bool  # it existed before the move (not ours): updated, never removed


def create_in_target(
    target: MoveApi,
    rt: ResourceType,
    body: Obj,
    source_status: Any,
    restore_status: bool,
    *,
    update_foreign: bool = True,
) -> Created:
    """Create ``body``; on AlreadyExists reuse our own earlier object (same source uid
    annotation), or update a foreign one (clusterctl's move does; its restore from a
    directory keeps it: ``update_foreign=False``). Restores ``status`` through the status
    subresource when the server dropped it."""
    node_uid = body["metadata"]["annotations"][SOURCE_UID_ANNOTATION]
    reused = adopted = False
    try:
        out = target.create(rt, body)
    except ApiError as exc:
        if not exc.already_exists:
            raise
        reused = True
        existing = target.get(rt, body["metadata"].get("namespace"), body["metadata"]["name"])
        if existing is None:  # deleted in between: try once more from scratch
            out = target.create(rt, body)
            reused = False
        elif (existing["metadata"].get("annotations") or {}).get(SOURCE_UID_ANNOTATION) == node_uid:
            out = existing
        elif not update_foreign:
            adopted = True
            return Created(str(existing["metadata"]["uid"]), True, True)
        else:
            adopted = True
            update = copy.deepcopy(body)
            update["metadata"]["resourceVersion"] = existing["metadata"].get("resourceVersion")
            update["metadata"]["uid"] = existing["metadata"]["uid"]
            out = target.replace(rt, update)
    if restore_status and source_status and out.get("status") != source_status:
        with_status = {**out, "status": source_status}
        try:
            target.replace(rt, with_status, subresource="status")
        except ApiError as exc:
            if not exc.conflict:
                raise
            fresh = target.get(rt, body["metadata"].get("namespace"), body["metadata"]["name"])
            if fresh is not None:
                target.replace(rt, {**fresh, "status": source_status}, subresource="status")
    return Created(str(out["metadata"]["uid"]), reused, adopted)


FORCE_DELETE_PATCH: Obj = {
    "metadata": {"annotations": {DELETE_FOR_MOVE_ANNOTATION: ""}, "finalizers": None}
}


def delete_from_source(source: MoveApi, rt: ResourceType, node: Node) -> bool:
    """Annotate ``delete-for-move`` and drop finalizers (one merge patch), then delete
    exactly this uid. False when it was already gone."""
    patched = source.merge_patch(rt, node.namespace or None, node.name, FORCE_DELETE_PATCH)
    if patched is None:
        return False
    if patched["metadata"].get("uid") != node.uid:
        return False  # the name now belongs to a different object; ours is gone
    return source.delete(rt, node.namespace or None, node.name, uid=node.uid)


def delete_created(target: MoveApi, rt: ResourceType, node: Node) -> bool:
    """Compensation: remove the target object this move created (only if it carries our
    source-uid annotation), finalizers first so deletion completes."""
    cur = target.get(rt, node.namespace or None, node.name)
    if (
        cur is None
        or (cur["metadata"].get("annotations") or {}).get(SOURCE_UID_ANNOTATION) != node.uid
    ):
        return False
    if cur["metadata"].get("finalizers"):
        target.merge_patch(
            rt, node.namespace or None, node.name, {"metadata": {"finalizers": None}}
        )
    return target.delete(rt, node.namespace or None, node.name, uid=cur["metadata"]["uid"])


def ensure_namespaces(api: MoveApi, names: set[str]) -> None:
    """Create the namespaces that do not exist yet (a GET each, a POST when missing)."""
    for ns in sorted(names):
        if api.get(NAMESPACE, None, ns) is None:
            try:
                api.create(
                    NAMESPACE, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}
                )
            except ApiError as exc:
                if not exc.already_exists:
                    raise


def pause_patch(node: Node, paused: bool) -> Obj:
    """Merge patch pausing (or resuming) a Cluster (``spec.paused``) or a ClusterClass
    (annotation); resuming removes the field, as clusterctl does."""
    if node.is_cluster:
        return {"spec": {"paused": True if paused else None}}
    return {"metadata": {"annotations": {PAUSED_ANNOTATION: "" if paused else None}}}
