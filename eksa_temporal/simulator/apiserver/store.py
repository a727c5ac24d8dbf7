"""The API emulator's object store: every virtual cluster's objects, in memory for reads
and in SQLite for durability, with Kubernetes write semantics.

Implements ``simulator.store_api.ObjectStore`` for in-process callers (the simulated
controllers) and the typed operations the HTTP layer uses. Writes assign the next global
resourceVersion, keep uid/creationTimestamp/generation/managedFields, honour status
subresources, and publish a watch event; deletion (finalizers, garbage collection,
namespaces, CRDs) lives in ``apiserver.deletion``. Created by ``simulator.server``.
"""

from __future__ import annotations

import builtins
import json
import random
import secrets
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from eksa_temporal.files import private_sqlite
from eksa_temporal.simulator.apiserver import fields
from eksa_temporal.simulator.apiserver.common import (
    BadRequest,
    Forbidden,
    WriteOpts,
    apply_defaults,
    conflict_message,
    default_object,
    not_found,
    now,
    validate_object,
)
from eksa_temporal.simulator.apiserver.deletion import delete_typed, remove, watch_dangling
from eksa_temporal.simulator.apiserver.events import Event, EventHub
from eksa_temporal.simulator.apiserver.patch import merge_patch as _merge
from eksa_temporal.simulator.apiserver.persist import Database
from eksa_temporal.simulator.apiserver.resources import (
    CRD_TYPE,
    NAMESPACE_TYPE,
    ResourceType,
    crd_status,
    from_crd,
    split_api_version,
)
from eksa_temporal.simulator.apiserver.selectors import field_predicate, label_predicate
from eksa_temporal.simulator.apiserver.state import Entry, Key, VirtualCluster, clone, dumps
from eksa_temporal.simulator.store_api import (
    AlreadyExists,
    Conflict,
    Invalid,
    NotFound,
    StoreError,
    WatchEvent,
)

Obj = dict[str, Any]
DEFAULT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"


class Store:
    """All virtual clusters; one instance per ``sim serve`` process, used on its loop."""

    def __init__(self, state_dir: Path, *, window: int = 20_000) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        # every cluster's token and Secret: owner-only, the -wal/-shm files included
        self.db = Database(private_sqlite(state_dir / "store.db"))
        self.rv = self.db.load_rv()
        self.hub = EventHub(window, self.rv)
        self.vcs: dict[str, VirtualCluster] = {}
        self.base_url: str | None = None
        self.ca_pem: bytes | None = None  # set by the server (kubeconfigs carry it)
        self._load()

    def _load(self) -> None:
        for name, token, labels in self.db.load_clusters():
            self.vcs[name] = VirtualCluster(name, token, labels=labels)
        for cluster, gk_text, data in self.db.load_objects():
            vc = self.vcs.get(cluster)
            if vc is None:
                continue
            obj = json.loads(data)
            group, _, kind = gk_text.rpartition("/")
            meta = obj["metadata"]
            key = (meta.get("namespace", ""), meta["name"])
            vc.bucket((group, kind))[key] = Entry(obj, data)
            vc.index((group, kind), key, None, obj)
            if (group, kind) == CRD_TYPE.gk:
                vc.register(meta["name"], from_crd(obj))

    def close(self) -> None:
        self.db.close()

    # ---- virtual clusters -------------------------------------------------------------
    def clusters(self) -> list[str]:
        return sorted(self.vcs)

    def cluster_labels(self, name: str) -> dict[str, str]:
        """The labels virtual cluster ``name`` was created with (NotFound when absent)."""
        return dict(self.vc(name).labels)

    def vc(self, cluster: str) -> VirtualCluster:
        vc = self.vcs.get(cluster)
        if vc is None:
            raise NotFound(f'virtual cluster "{cluster}" not found')
        return vc

    def ensure_cluster(self, name: str, labels: dict[str, str] | None = None) -> VirtualCluster:
        """Create the virtual cluster (with its default namespaces and ``labels``) unless it
        exists; an existing cluster keeps the labels it was created with."""
        vc = self.vcs.get(name)
        if vc is not None:
            return vc
        vc = self.vcs[name] = VirtualCluster(name, secrets.token_urlsafe(24), labels=dict(labels or {}))
        self.db.put_cluster(name, vc.token, vc.labels)
        for ns in DEFAULT_NAMESPACES:
            self.create_typed(vc, NAMESPACE_TYPE, None, {"apiVersion": "v1", "kind": "Namespace",
                                                          "metadata": {"name": ns}}, WriteOpts())
        return vc

    def create_virtual_cluster(self, name: str, labels: dict[str, str] | None = None) -> str:
        """Create (idempotent, labels set at creation only) and return the kubeconfig text."""
        self.ensure_cluster(name, labels)
        return self.kubeconfig(name)

    def kubeconfig(self, name: str) -> str:
        """The kubeconfig text of an existing virtual cluster (NotFound otherwise)."""
        from eksa_temporal.simulator.kubeconfig import build_kubeconfig

        vc = self.vc(name)
        if self.base_url is None:
            raise StoreError("the server URL is not known yet")
        return build_kubeconfig(self.base_url, name, vc.token, self.ca_pem)

    def delete_virtual_cluster(self, name: str) -> None:
        """Remove a virtual cluster and all its objects; NotFound when absent."""
        self.vc(name)
        del self.vcs[name]
        self.db.delete_cluster(name)

    # ---- types --------------------------------------------------------------------------
    def resolve(self, vc: VirtualCluster, api_version: str, kind: str) -> ResourceType:
        group, _ = split_api_version(api_version)
        rt = vc.type_for(group, kind)
        if rt is None:
            raise NotFound(f'no matches for kind "{kind}" in version "{api_version}"')
        return rt

    # ---- reads --------------------------------------------------------------------------
    def entry(self, vc: VirtualCluster, rt: ResourceType, ns: str | None, name: str) -> Entry | None:
        bucket = vc.objects.get(rt.gk)
        if bucket is None:
            return None
        return bucket.get(((ns or "") if rt.namespaced else "", name))

    def select(self, vc: VirtualCluster, rt: ResourceType, ns: str | None, label: str | None = None,
               field: str | None = None, limit: int = 0, start: Key | None = None,
               ) -> tuple[list[Entry], Key | None, int]:
        """See ``VirtualCluster.select``."""
        return vc.select(rt, ns, label_predicate(label), field_predicate(field), limit, start)

    # ---- commit ---------------------------------------------------------------------------
    def commit(self, vc: VirtualCluster, rt: ResourceType, key: Key, obj: Obj, etype: str) -> Obj:
        """Persist one change (committed before anything else sees it), then update memory
        and publish its event."""
        rv = self.rv + 1
        obj["metadata"]["resourceVersion"] = str(rv)
        raw = dumps(obj)
        bucket = vc.bucket(rt.gk)
        old = bucket.get(key)
        gk_text = f"{rt.group}/{rt.kind}"
        if etype == "DELETED":
            self.db.write(rv, [], [(vc.name, gk_text, key[0], key[1])])
            bucket.pop(key, None)
            vc.index(rt.gk, key, old.obj if old else None, None)
        else:
            self.db.write(rv, [(vc.name, gk_text, key[0], key[1], raw)], [])
            bucket[key] = Entry(obj, raw)
            vc.index(rt.gk, key, old.obj if old else None, obj)
        self.rv = rv
        self.hub.publish(Event(vc.name, etype, obj, rv, rt.gk, key[0], raw, old.obj if old else None))
        return obj

    # ---- writes ---------------------------------------------------------------------------
    def _check_namespace(self, vc: VirtualCluster, rt: ResourceType, ns: str) -> None:
        if not rt.namespaced:
            return
        if not ns:
            raise BadRequest("the namespace of the object must be set")
        entry = self.entry(vc, NAMESPACE_TYPE, None, ns)
        if entry is None:
            raise not_found(NAMESPACE_TYPE, ns)
        if (entry.obj.get("metadata") or {}).get("deletionTimestamp"):
            raise Forbidden(f'unable to create new content in namespace {ns} because it is being terminated')

    def create_typed(self, vc: VirtualCluster, rt: ResourceType, ns: str | None, obj: Obj,
                     opts: WriteOpts, *, managed: bool = True) -> Obj:
        obj = clone(obj)
        meta = obj.setdefault("metadata", {})
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + "".join(random.choices(_NAME_CHARS, k=5))
        ns = (ns or meta.get("namespace") or "") if rt.namespaced else ""
        if rt.namespaced:
            meta["namespace"] = ns
        else:
            meta.pop("namespace", None)
        obj["apiVersion"] = obj.get("apiVersion") or rt.api_version()
        obj["kind"] = rt.kind
        validate_object(rt, obj, opts)
        default_object(rt, obj)
        apply_defaults(rt, obj, opts)
        self._check_namespace(vc, rt, ns)
        key = (ns, meta["name"])
        if key in vc.objects.get(rt.gk, {}):
            res = f"{rt.plural}.{rt.group}" if rt.group else rt.plural
            err = AlreadyExists(f'{res} "{meta["name"]}" already exists')
            err.details = {"name": meta["name"], "group": rt.group, "kind": rt.plural}
            raise err
        for k in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"):
            meta.pop(k, None)
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = now()
        meta["generation"] = 1
        if rt.status:
            obj.pop("status", None)
        if rt is NAMESPACE_TYPE:
            obj["spec"] = {"finalizers": ["kubernetes"]}
            obj["status"] = {"phase": "Active"}
            meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = meta["name"]
        if rt is CRD_TYPE:
            obj["status"] = crd_status(obj, meta["creationTimestamp"])
        if managed:
            fields.record_update(None, obj, opts.manager, obj["apiVersion"], meta["creationTimestamp"])
        if opts.dry_run:
            return obj
        if rt is CRD_TYPE:
            vc.register(meta["name"], from_crd(obj))
        made = self.commit(vc, rt, key, obj, "ADDED")
        watch_dangling(self, vc, rt, made)
        return made

    def update_typed(self, vc: VirtualCluster, rt: ResourceType, ns: str | None, name: str, obj: Obj,
                     opts: WriteOpts, *, managed: bool = True) -> Obj:
        """PUT semantics (also the last step of patch and apply)."""
        entry = self.entry(vc, rt, ns, name)
        if entry is None:
            raise not_found(rt, name)
        old = entry.obj
        meta_in = obj.get("metadata") or {}
        rv_in = meta_in.get("resourceVersion")
        if rv_in and str(rv_in) != old["metadata"]["resourceVersion"]:
            raise Conflict(conflict_message(rt, name))
        if meta_in.get("uid") and meta_in["uid"] != old["metadata"]["uid"]:
            raise Conflict(f"Precondition failed: UID in precondition: {meta_in['uid']}, UID in object meta: {old['metadata']['uid']}")
        if meta_in.get("name") not in (None, name):
            raise BadRequest(f"the name of the object ({meta_in.get('name')}) does not match the name on the URL ({name})")
        if opts.subresource == "status":
            new = entry.copy()
            if "status" in obj:
                new["status"] = clone(obj["status"])
            else:
                new.pop("status", None)
        else:
            new = clone(obj)
            new["apiVersion"] = obj.get("apiVersion") or old["apiVersion"]
            new["kind"] = rt.kind
            if rt.status:
                if "status" in old:
                    new["status"] = clone(old["status"])
                else:
                    new.pop("status", None)
            if rt is CRD_TYPE:
                new["status"] = clone(old.get("status") or {})
            validate_object(rt, new, opts)
            default_object(rt, new)
        apply_defaults(rt, new, opts)
        meta = new.setdefault("metadata", {})
        old_meta = old["metadata"]
        for k in ("uid", "creationTimestamp", "name", "deletionTimestamp", "deletionGracePeriodSeconds"):
            if k in old_meta:
                meta[k] = old_meta[k]
            else:
                meta.pop(k, None)
        if rt.namespaced:
            meta["namespace"] = old_meta["namespace"]
        else:
            meta.pop("namespace", None)
        meta["resourceVersion"] = old_meta["resourceVersion"]
        requested = meta.get("managedFields")
        explicit = managed and isinstance(requested, list) and requested != old_meta.get("managedFields", [])
        if managed or "managedFields" not in meta:
            meta["managedFields"] = old_meta.get("managedFields", [])
        if old_meta.get("deletionTimestamp"):
            added = set(meta.get("finalizers") or []) - set(old_meta.get("finalizers") or [])
            if added:
                raise Invalid(f"{rt.kind} {name!r} is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted")
        skip = {"metadata", "status"} if rt.status else {"metadata"}
        spec_changed = any(new.get(k) != old.get(k) for k in (set(new) | set(old)) - skip)
        meta["generation"] = old_meta.get("generation", 1) + (1 if spec_changed else 0)
        if (new == old and not explicit) or (not managed and fields.same_but_times(new, old)):
            return entry.copy()  # a no-op write (also a repeated apply): no new resourceVersion
        if managed:
            fields.record_update(old, new, opts.manager, new["apiVersion"], now(), opts.subresource,
                                 entries=requested if explicit else None)
        if not meta.get("managedFields"):
            meta.pop("managedFields", None)
        if opts.dry_run:
            return new
        if rt is CRD_TYPE:
            vc.register(name, from_crd(new))
        key = ((ns or "") if rt.namespaced else "", name)
        if old_meta.get("deletionTimestamp") and not meta.get("finalizers"):
            return remove(self, vc, rt, key, new)
        result = self.commit(vc, rt, key, new, "MODIFIED")
        watch_dangling(self, vc, rt, result)
        return result

    def patch_typed(self, vc: VirtualCluster, rt: ResourceType, ns: str | None, name: str,
                    fn: Callable[[Obj], Obj], opts: WriteOpts) -> Obj:
        entry = self.entry(vc, rt, ns, name)
        if entry is None:
            raise not_found(rt, name)
        patched = fn(entry.copy())
        if not isinstance(patched.get("metadata"), dict):
            raise BadRequest("the patch removed metadata")
        return self.update_typed(vc, rt, ns, name, patched, opts)

    def apply_typed(self, vc: VirtualCluster, rt: ResourceType, ns: str | None, name: str,
                    config: Obj, opts: WriteOpts, *, force: bool) -> tuple[Obj, bool]:
        """Server-side apply; returns (object, created)."""
        cfg_name = (config.get("metadata") or {}).get("name")
        if cfg_name not in (None, name):
            raise BadRequest(f"the name of the object ({cfg_name}) does not match the name on the URL ({name})")
        entry = self.entry(vc, rt, ns, name)
        live = entry.copy() if entry is not None else None
        if live is None and opts.subresource == "status":
            raise not_found(rt, name)
        av = config.get("apiVersion") or rt.api_version()
        try:
            result = fields.apply(live, config, opts.manager, av, now(), force=force,
                                  subresource=opts.subresource, status_separate=rt.status)
        except Conflict as err:
            # kubectl's own server-side apply takes over fields of its client-side apply
            # (those in the last-applied annotation) without conflicts, as kube-apiserver does
            paths = getattr(err, "paths", None)
            if opts.manager != "kubectl" or live is None or not paths or not paths <= fields.last_applied_paths(live):
                raise
            result = fields.apply(live, config, opts.manager, av, now(), force=True,
                                  subresource=opts.subresource, status_separate=rt.status)
        result["apiVersion"], result["kind"] = av, rt.kind
        result["metadata"]["name"] = name
        if live is None:
            return self.create_typed(vc, rt, ns, result, opts, managed=False), True
        result["metadata"].pop("resourceVersion", None)
        return self.update_typed(vc, rt, ns, name, result, opts, managed=False), False

    # ---- ObjectStore protocol (in-process callers) -----------------------------------------
    def get(self, cluster: str, api_version: str, kind: str, namespace: str | None, name: str) -> Obj | None:
        vc = self.vc(cluster)
        entry = self.entry(vc, self.resolve(vc, api_version, kind), namespace, name)
        return entry.copy() if entry is not None else None

    def list(self, cluster: str, api_version: str, kind: str, namespace: str | None = None,
             label_selector: str | None = None) -> builtins.list[Obj]:
        vc = self.vc(cluster)
        entries, _, _ = self.select(vc, self.resolve(vc, api_version, kind), namespace, label_selector)
        return [e.copy() for e in entries]

    def create(self, cluster: str, obj: Obj) -> Obj:
        vc = self.vc(cluster)
        rt = self.resolve(vc, str(obj.get("apiVersion", "")), str(obj.get("kind", "")))
        ns = (obj.get("metadata") or {}).get("namespace")
        return clone(self.create_typed(vc, rt, ns, obj, WriteOpts()))

    def update(self, cluster: str, obj: Obj, *, subresource: str | None = None) -> Obj:
        vc = self.vc(cluster)
        rt = self.resolve(vc, str(obj.get("apiVersion", "")), str(obj.get("kind", "")))
        meta = obj.get("metadata") or {}
        result = self.update_typed(vc, rt, meta.get("namespace"), str(meta.get("name")), obj,
                                   WriteOpts(subresource=subresource))
        return clone(result)

    def patch(self, cluster: str, api_version: str, kind: str, namespace: str | None, name: str,
              merge_patch: Obj, *, subresource: str | None = None) -> Obj:
        vc = self.vc(cluster)
        rt = self.resolve(vc, api_version, kind)
        result = self.patch_typed(vc, rt, namespace, name, lambda o: dict(_merge(o, merge_patch)),
                                  WriteOpts(subresource=subresource))
        return clone(result)

    def delete(self, cluster: str, api_version: str, kind: str, namespace: str | None, name: str) -> Obj | None:
        vc = self.vc(cluster)
        rt = self.resolve(vc, api_version, kind)
        if self.entry(vc, rt, namespace, name) is None:
            return None
        obj, _ = delete_typed(self, vc, rt, namespace, name, WriteOpts())
        return clone(obj)

    def events(self) -> AsyncIterator[WatchEvent]:
        return self.hub.stream()

    def resource_types(self, cluster: str) -> builtins.list[ResourceType]:
        return self.vc(cluster).types()

