"""What every reconcile call receives: the store, the virtual cluster the object lives in,
the current knobs, the machine inventory, and thin store helpers (get / list / create /
patch status / patch metadata / delete) that tolerate the races a controller must expect.

Also the two gates shared by all reconcilers: is the provider's controller Deployment
running in this virtual cluster (``controller_running``), and is the object's Cluster
paused (``paused``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eksa_temporal.simulator.components import CONTROLLERS
from eksa_temporal.simulator.controllers import objects as o
from eksa_temporal.simulator.controllers.inventory import Inventory
from eksa_temporal.simulator.knobs import Knobs
from eksa_temporal.simulator.store_api import AlreadyExists, NotFound, ObjectStore

Obj = dict[str, Any]


@dataclass
class Ctx:
    """One virtual cluster's view for a reconcile call."""

    store: ObjectStore
    cluster: str
    knobs: Callable[[], Knobs]
    inventory: Inventory
    state_dir: Path

    # facts -------------------------------------------------------------------------
    def get(self, api_version: str, kind: str, namespace: str | None, name: str) -> Obj | None:
        try:
            return self.store.get(self.cluster, api_version, kind, namespace, name)
        except NotFound:
            return None

    def list(
        self, api_version: str, kind: str, namespace: str | None = None, selector: str | None = None
    ) -> list[Obj]:
        try:
            return self.store.list(self.cluster, api_version, kind, namespace, selector)
        except NotFound:
            return []

    def ref(self, ref: dict[str, Any] | None, namespace: str | None) -> Obj | None:
        """The object an object reference (``apiVersion``/``kind``/``name``) points to."""
        if not ref or not ref.get("name") or not ref.get("kind"):
            return None
        api_version = ref.get("apiVersion") or _default_version(ref.get("apiGroup"))
        return self.get(api_version, ref["kind"], ref.get("namespace") or namespace, ref["name"])

    def controller_running(self, provider: str) -> bool:
        """True when the clusterctl provider's controller Deployment is Available here."""
        ctrl = CONTROLLERS[provider]
        dep = self.get("apps/v1", "Deployment", ctrl.namespace, ctrl.deployment)
        return dep is not None and o.is_true(dep, "Available")

    def owner_cluster(self, obj: Obj) -> Obj | None:
        cname = o.cluster_name_of(obj)
        if cname is None:
            return None
        return self.get(o.CLUSTER_V, "Cluster", o.namespace(obj), cname)

    def paused(self, obj: Obj, cluster: Obj | None = None) -> bool:
        """``cluster.x-k8s.io/paused`` on the object, or ``spec.paused`` on its Cluster."""
        if o.PAUSED_ANNOTATION in o.annots(obj):
            return True
        cluster = cluster if cluster is not None else self.owner_cluster(obj)
        return bool(cluster and o.spec(cluster).get("paused"))

    # operations --------------------------------------------------------------------
    def create(self, obj: Obj) -> Obj | None:
        """Create; None when it already exists (the caller reads it next time)."""
        try:
            return self.store.create(self.cluster, obj)
        except AlreadyExists:
            return None

    def patch(self, obj: Obj, patch: Obj, *, status: bool = False) -> Obj | None:
        try:
            return self.store.patch(
                self.cluster,
                obj["apiVersion"],
                obj["kind"],
                o.namespace(obj),
                o.name(obj),
                patch,
                subresource="status" if status else None,
            )
        except NotFound:
            return None

    def set_status(self, obj: Obj, desired: dict[str, Any]) -> Obj:
        """Write ``desired`` as the status when it differs (no write, no event otherwise)."""
        diff = o.diff_status(o.status(obj), desired)
        if diff is None:
            return obj
        return self.patch(obj, {"status": diff}, status=True) or obj

    def ensure_meta(
        self,
        obj: Obj,
        *,
        owner: Obj | None = None,
        labels: dict[str, str] | None = None,
        finalizer: str | None = None,
    ) -> Obj:
        """Add an owner reference, labels and a finalizer when missing (one patch)."""
        meta: dict[str, Any] = {}
        if owner is not None:
            refs = o.with_owner(obj, owner)
            if refs is not None:
                meta["ownerReferences"] = refs
        missing = {k: v for k, v in (labels or {}).items() if o.labels(obj).get(k) != v}
        if missing:
            meta["labels"] = missing
        if finalizer and finalizer not in o.finalizers(obj) and not o.deleting(obj):
            meta["finalizers"] = [*o.finalizers(obj), finalizer]
        if not meta:
            return obj
        return self.patch(obj, {"metadata": meta}) or obj

    def remove_finalizer(self, obj: Obj, finalizer: str) -> None:
        if finalizer in o.finalizers(obj):
            rest = [f for f in o.finalizers(obj) if f != finalizer]
            self.patch(obj, {"metadata": {"finalizers": rest or None}})

    def delete(self, obj: Obj) -> None:
        if o.deleting(obj):
            return
        with contextlib.suppress(NotFound):
            self.store.delete(self.cluster, obj["apiVersion"], obj["kind"], o.namespace(obj), o.name(obj))


def _default_version(group: str | None) -> str:
    return {
        "cluster.x-k8s.io": o.CLUSTER_V,
        "bootstrap.cluster.x-k8s.io": o.BOOTSTRAP_V,
        "controlplane.cluster.x-k8s.io": o.CONTROLPLANE_V,
        "infrastructure.cluster.x-k8s.io": o.INFRA_V,
    }.get(group or "", o.CLUSTER_V)

