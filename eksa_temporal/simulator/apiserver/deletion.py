"""Deletion semantics of the API emulator: finalizers and ``deletionTimestamp``,
ownerReference garbage collection (Background, Foreground, Orphan), namespace termination
and CustomResourceDefinition removal.

Garbage collection runs synchronously inside the deleting request: a dependent is deleted
when none of its owners remain; an object written with only absent owners (wrong UIDs) is
deleted about a second later, as by kube-controller-manager's garbage collector. Used by ``apiserver.store`` and the HTTP handlers.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from eksa_temporal.simulator.apiserver.common import WriteOpts, not_found, now
from eksa_temporal.simulator.apiserver.resources import CRD_TYPE, NAMESPACE_TYPE, ResourceType
from eksa_temporal.simulator.apiserver.state import Key, VirtualCluster
from eksa_temporal.simulator.store_api import Conflict

if TYPE_CHECKING:
    from eksa_temporal.simulator.apiserver.store import Store

Obj = dict[str, Any]
FOREGROUND = "foregroundDeletion"
DANGLING_GC_SECONDS = 1.0  # the garbage collector notices absent owners after this delay


def delete_typed(store: Store, vc: VirtualCluster, rt: ResourceType, ns: str | None, name: str,
                 opts: WriteOpts, *, propagation: str | None = None,
                 preconditions: Obj | None = None) -> tuple[Obj, bool]:
    """Delete one object; returns (object, deleted now). Pending when finalizers remain."""
    entry = store.entry(vc, rt, ns, name)
    if entry is None:
        raise not_found(rt, name)
    meta = entry.obj["metadata"]
    pre = preconditions or {}
    if pre.get("uid") and pre["uid"] != meta.get("uid"):
        raise Conflict(f"Precondition failed: UID in precondition: {pre['uid']}, UID in object meta: {meta.get('uid')}")
    if pre.get("resourceVersion") and str(pre["resourceVersion"]) != meta.get("resourceVersion"):
        raise Conflict(f"Precondition failed: ResourceVersion in precondition: {pre['resourceVersion']}, ResourceVersion in object meta: {meta.get('resourceVersion')}")
    if opts.dry_run:
        return entry.copy(), True
    key: Key = ((ns or "") if rt.namespaced else "", name)
    uid = str(meta.get("uid"))
    if rt is NAMESPACE_TYPE:
        return _delete_namespace(store, vc, name)
    policy = propagation or "Background"
    if policy == "Orphan":
        _orphan(store, vc, uid)
    new = entry.copy()
    nmeta = new["metadata"]
    fins = list(nmeta.get("finalizers") or [])
    if policy == "Foreground" and vc.dependents.get(uid) and FOREGROUND not in fins:
        fins.append(FOREGROUND)
    if not fins:
        return remove(store, vc, rt, key, new), True
    if not nmeta.get("deletionTimestamp") or fins != (meta.get("finalizers") or []):
        nmeta.setdefault("deletionTimestamp", now())
        nmeta.setdefault("deletionGracePeriodSeconds", 0)
        nmeta["finalizers"] = fins
        new = store.commit(vc, rt, key, new, "MODIFIED")
    if FOREGROUND in fins:
        _collect(store, vc, uid)
        _finish_foreground(store, vc, uid)
        current = store.entry(vc, rt, ns, name)
        return (current.copy() if current else new), current is None
    return new, False


def remove(store: Store, vc: VirtualCluster, rt: ResourceType, key: Key, obj: Obj) -> Obj:
    """Remove the object for good (finalizers gone) and let its dependents be collected."""
    meta = obj["metadata"]
    if rt is CRD_TYPE:
        _purge_crd(store, vc, meta["name"])
    result = store.commit(vc, rt, key, obj, "DELETED")
    uid = str(meta.get("uid"))
    _collect(store, vc, uid)
    for ref in meta.get("ownerReferences") or []:
        _finish_foreground(store, vc, str(ref.get("uid")))
    if rt.namespaced:
        maybe_finish_namespace(store, vc, key[0])
    return result


def _collect(store: Store, vc: VirtualCluster, owner_uid: str) -> None:
    """Delete (background) every dependent whose owners are all gone or being deleted."""
    owner = vc.uids.get(owner_uid)
    owner_deleting = False
    if owner is not None:
        oe = vc.objects.get(owner[0], {}).get(owner[1])
        owner_deleting = bool(oe and FOREGROUND in (oe.obj["metadata"].get("finalizers") or []))
        if not owner_deleting:
            return
    for gk, dkey in sorted(vc.dependents.get(owner_uid, set())):
        dentry = vc.objects.get(gk, {}).get(dkey)
        drt = vc.type_for(*gk)
        if dentry is None or drt is None or dentry.obj["metadata"].get("deletionTimestamp"):
            continue
        refs = dentry.obj["metadata"].get("ownerReferences") or []
        if any(str(r.get("uid")) in vc.uids and str(r.get("uid")) != owner_uid for r in refs):
            continue
        delete_typed(store, vc, drt, dkey[0] or None, dkey[1], WriteOpts(manager="garbage-collector"))


def _finish_foreground(store: Store, vc: VirtualCluster, owner_uid: str) -> None:
    where = vc.uids.get(owner_uid)
    if where is None or vc.dependents.get(owner_uid):
        return
    rt = vc.type_for(*where[0])
    entry = vc.objects.get(where[0], {}).get(where[1])
    if rt is None or entry is None:
        return
    fins = entry.obj["metadata"].get("finalizers") or []
    if FOREGROUND not in fins or not entry.obj["metadata"].get("deletionTimestamp"):
        return
    new = entry.copy()
    new["metadata"]["finalizers"] = [f for f in fins if f != FOREGROUND]
    if not new["metadata"]["finalizers"]:
        new["metadata"].pop("finalizers")
        remove(store, vc, rt, where[1], new)
    else:
        store.commit(vc, rt, where[1], new, "MODIFIED")


def _orphan(store: Store, vc: VirtualCluster, owner_uid: str) -> None:
    for gk, dkey in sorted(vc.dependents.get(owner_uid, set())):
        drt = vc.type_for(*gk)
        dentry = vc.objects.get(gk, {}).get(dkey)
        if drt is None or dentry is None:
            continue
        new = dentry.copy()
        refs = [r for r in new["metadata"].get("ownerReferences") or [] if str(r.get("uid")) != owner_uid]
        if refs:
            new["metadata"]["ownerReferences"] = refs
        else:
            new["metadata"].pop("ownerReferences", None)
        store.commit(vc, drt, dkey, new, "MODIFIED")


def _purge_crd(store: Store, vc: VirtualCluster, crd_name: str) -> None:
    gk = vc.crd_of.get(crd_name)
    if gk is None:
        return
    rt = vc.crds[gk]
    for key in list(vc.objects.get(gk, {})):
        entry = vc.objects[gk].get(key)
        if entry is not None:
            store.commit(vc, rt, key, entry.copy(), "DELETED")
    vc.objects.pop(gk, None)
    vc.sorted_keys.pop(gk, None)
    vc.unregister(crd_name)


def _delete_namespace(store: Store, vc: VirtualCluster, name: str) -> tuple[Obj, bool]:
    entry = store.entry(vc, NAMESPACE_TYPE, None, name)
    assert entry is not None
    if not entry.obj["metadata"].get("deletionTimestamp"):
        new = entry.copy()
        new["metadata"]["deletionTimestamp"] = now()
        new["metadata"]["deletionGracePeriodSeconds"] = 0
        new["status"] = {"phase": "Terminating"}
        store.commit(vc, NAMESPACE_TYPE, ("", name), new, "MODIFIED")
    for gk, bucket in list(vc.objects.items()):
        rt = vc.type_for(*gk)
        if rt is None or not rt.namespaced:
            continue
        for key in [k for k in bucket if k[0] == name]:
            e = bucket.get(key)
            if e is not None and not e.obj["metadata"].get("deletionTimestamp"):
                delete_typed(store, vc, rt, name, key[1], WriteOpts(manager="namespace-controller"))
    maybe_finish_namespace(store, vc, name)
    current = store.entry(vc, NAMESPACE_TYPE, None, name)
    return (current.copy(), False) if current is not None else (entry.copy(), True)


def maybe_finish_namespace(store: Store, vc: VirtualCluster, name: str) -> None:
    entry = store.entry(vc, NAMESPACE_TYPE, None, name)
    if entry is None or not entry.obj["metadata"].get("deletionTimestamp"):
        return
    if entry.obj["metadata"].get("finalizers"):
        return
    for gk, bucket in vc.objects.items():
        rt = vc.type_for(*gk)
        if rt is not None and rt.namespaced and any(k[0] == name for k in bucket):
            return
    new = entry.copy()
    new["spec"] = {}
    remove(store, vc, NAMESPACE_TYPE, ("", name), new)


def watch_dangling(store: Store, vc: VirtualCluster, rt: ResourceType, obj: Obj) -> None:
    """When none of ``obj``'s owners exists, delete it a moment later (if that still holds),
    as the garbage collector deletes dependents of absent owners."""
    refs = obj["metadata"].get("ownerReferences") or []
    if not refs or any(str(r.get("uid")) in vc.uids for r in refs):
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    uid, ns, name = obj["metadata"].get("uid"), obj["metadata"].get("namespace"), obj["metadata"]["name"]

    def check() -> None:
        if store.vcs.get(vc.name) is not vc:
            return
        entry = store.entry(vc, rt, ns, name)
        if entry is None or entry.obj["metadata"].get("uid") != uid or entry.obj["metadata"].get("deletionTimestamp"):
            return
        current = entry.obj["metadata"].get("ownerReferences") or []
        if current and not any(str(r.get("uid")) in vc.uids for r in current):
            delete_typed(store, vc, rt, ns, name, WriteOpts(manager="garbage-collector"))

    loop.call_later(DANGLING_GC_SECONDS, check)
