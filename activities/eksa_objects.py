"""A cluster's EKS-A objects on its managing cluster (the management cluster of a workload
cluster; a management cluster itself), as EKS Anywhere keeps them there.

``write_eksa_objects`` applies ``spec.digest.desired_objects`` for an operation the CLI (or
the Python API) started - called by ``write-cluster-config``: each object is created when
absent; a present one whose spec or digest annotation differs gets the desired spec and
annotation (replaced, with its resourceVersion: a concurrent writer makes the step retry);
an equal one is left alone. Objects carry the cluster's ownership label
(``ownership.CLUSTER_LABEL``). When the managing cluster does not serve a kind of the spec
(EKS-A's CRDs were not installed there) nothing is written and the step says so. An
operation the controller started never writes them: the user owns those objects.

``remove_eksa_objects`` runs at the end of a workload cluster's delete (either origin,
called by ``delete-workload-cluster``): the controller's finalizer comes off the Cluster
first, then the Cluster and the objects it references are deleted - only objects that carry
this cluster's ownership label or that the Cluster object references, and never one that
another Cluster of the namespace references. Both are idempotent.
"""

from __future__ import annotations

from typing import Any

from eksa_temporal.activities.common import log
from eksa_temporal.kube.client import Kube
from eksa_temporal.ownership import CLUSTER_LABEL, cluster_id
from eksa_temporal.spec import ClusterSpec
from eksa_temporal.spec.base import API_VERSION
from eksa_temporal.spec.digest import DIGEST_ANNOTATION, desired_objects

FINALIZER = "anywhere.eks.amazonaws.com/eksa-temporal"
CONTROLLER_ORIGIN = "controller"

Obj = dict[str, Any]


def ownership_label(name: str, namespace: str) -> str:
    """The value of ``CLUSTER_LABEL`` on cluster ``namespace/name``'s EKS-A objects."""
    return cluster_id(f"eksa/{namespace}/{name}")  # of its workflow id (workflows.facts)


def _key(obj: Obj) -> str:
    return f"{obj['kind']}/{obj['metadata']['name']}"


def write_eksa_objects(kube: Kube, spec: ClusterSpec) -> tuple[list[str], str]:
    """Apply the spec's EKS-A objects to ``kube`` (the managing cluster); the objects
    created or updated, and a one-line summary."""
    objects = desired_objects(spec)
    missing = sorted({o["kind"] for o in objects if not kube.serves(o["apiVersion"], o["kind"])})
    if missing:
        line = (
            f"EKS-A objects not written: {kube.label} does not serve {', '.join(missing)} "
            "(install EKS-A's CRDs there: create the management cluster with EKSA_COMPONENTS_SOURCE "
            "holding eks-anywhere)"
        )
        kinds = {o["kind"] for o in objects}
        if set(missing) == kinds:  # no EKS-A CRDs at all (the embedded components ship none)
            log.info("EKS-A objects not written; EKS-A's CRDs are not installed", cluster=spec.name)
        else:  # some served, some not: CRDs of another EKS-A version
            log.warning("EKS-A objects not written; kinds not served", kinds=missing, cluster=spec.name)
        return [], line
    label = ownership_label(spec.name, spec.namespace)
    if kube.get("v1", "Namespace", spec.namespace) is None:
        kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": spec.namespace}})
    changed: list[str] = []
    for desired in objects:
        desired["metadata"]["labels"] = {CLUSTER_LABEL: label}
        if _write(kube, desired):
            changed.append(_key(desired))
    if not changed:
        log.info("EKS-A objects already as desired; no-op", cluster=spec.name, target=kube.label)
    return changed, f"EKS-A objects on {kube.label}: {len(changed)} written, {len(objects) - len(changed)} unchanged"


def _write(kube: Kube, desired: Obj) -> bool:
    """Create ``desired``, or bring the present object's spec, digest annotation and
    ownership label to it; False when it already matched."""
    meta = desired["metadata"]
    current = kube.get(desired["apiVersion"], desired["kind"], meta["name"], meta["namespace"])
    if current is None and kube.create(desired) is not None:
        return True
    if current is None:  # created meanwhile by someone else: compare with theirs
        current = kube.get(desired["apiVersion"], desired["kind"], meta["name"], meta["namespace"])
        if current is None:
            raise RuntimeError(f"{_key(desired)} appeared and vanished while being written; retrying")
    cur_meta = current.get("metadata") or {}
    annotations = dict(cur_meta.get("annotations") or {})
    labels = dict(cur_meta.get("labels") or {})
    if (
        _holds(current.get("spec"), desired.get("spec"))
        and annotations.get(DIGEST_ANNOTATION) == meta["annotations"][DIGEST_ANNOTATION]
        and labels.get(CLUSTER_LABEL) == meta["labels"][CLUSTER_LABEL]
    ):
        return False
    annotations.update(meta["annotations"])
    labels.update(meta["labels"])
    body = {k: v for k, v in current.items() if k != "status"}
    body["metadata"] = {**cur_meta, "annotations": annotations, "labels": labels}
    body["spec"] = desired.get("spec")
    res = kube.resource(desired["apiVersion"], desired["kind"])
    kube.dynamic.replace(res, body=body, namespace=meta["namespace"])
    return True


def _holds(current: Any, desired: Any) -> bool:
    """Whether ``current`` holds everything ``desired`` sets (the server may add its
    defaults: those are no difference)."""
    if isinstance(desired, dict):
        return isinstance(current, dict) and all(_holds(current.get(k), v) for k, v in desired.items())
    if isinstance(desired, list):
        return isinstance(current, list) and len(current) == len(desired) and all(map(_holds, current, desired))
    return bool(current == desired)


def _refs(cluster: Obj) -> list[tuple[str, str]]:
    """(kind, name) of every object a Cluster (wire form) references."""
    spec = cluster.get("spec") or {}
    groups = [spec.get("controlPlaneConfiguration"), spec.get("externalEtcdConfiguration")]
    groups += list(spec.get("workerNodeGroupConfigurations") or [])
    refs = [spec.get("datacenterRef"), spec.get("gitOpsRef"), *(spec.get("identityProviderRefs") or [])]
    refs += [(g or {}).get("machineGroupRef") for g in groups]
    found = [(r.get("kind"), r.get("name")) for r in refs if isinstance(r, dict)]
    return list(dict.fromkeys((str(k), str(n)) for k, n in found if k and n))


def remove_eksa_objects(kube: Kube, name: str, namespace: str, spec: ClusterSpec | None) -> list[str]:
    """Remove cluster ``namespace/name``'s EKS-A objects from ``kube`` (finalizer first,
    then the Cluster, then what it references); the objects removed."""
    if not kube.serves(API_VERSION, "Cluster"):
        log.info("EKS-A objects: Cluster kind not served; nothing to remove", target=kube.label)
        return []
    label = ownership_label(name, namespace)
    current = kube.get(API_VERSION, "Cluster", name, namespace)
    candidates: dict[tuple[str, str], bool] = {}  # (kind, name) -> referenced by the Cluster object
    removed: list[str] = []
    if current is not None:
        for ref in _refs(current):
            candidates[ref] = True
        finalizers = list((current.get("metadata") or {}).get("finalizers") or [])
        if FINALIZER in finalizers:
            patch = {"metadata": {"finalizers": [f for f in finalizers if f != FINALIZER] or None,
                                  "resourceVersion": current["metadata"]["resourceVersion"]}}
            kube.merge_patch(API_VERSION, "Cluster", name, namespace, patch)
        if kube.delete(API_VERSION, "Cluster", name, namespace):
            removed.append(f"Cluster/{name}")
    if spec is not None:  # after a re-run the Cluster is gone: the spec names the rest
        for ref in _refs(spec.cluster.dump()):
            candidates.setdefault(ref, False)
    others = _referenced_by_other_clusters(kube, name, namespace)
    for (kind, obj_name), referenced in candidates.items():
        if (kind, obj_name) in others or not kube.serves(API_VERSION, kind):
            continue
        obj = kube.get(API_VERSION, kind, obj_name, namespace)
        if obj is None:
            continue
        owned = ((obj.get("metadata") or {}).get("labels") or {}).get(CLUSTER_LABEL) == label
        if (referenced or owned) and kube.delete(API_VERSION, kind, obj_name, namespace):
            removed.append(f"{kind}/{obj_name}")
    if removed:
        log.info("EKS-A objects removed", cluster=name, removed=removed, target=kube.label)
    return removed


def _referenced_by_other_clusters(kube: Kube, name: str, namespace: str) -> set[tuple[str, str]]:
    items, _ = kube.list_objects(API_VERSION, "Cluster", namespace)
    out: set[tuple[str, str]] = set()
    for item in items:
        if item["metadata"]["name"] == name:
            continue
        out.update(_refs(item))
    return out
