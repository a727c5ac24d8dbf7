"""What the running cluster looks like now, read from its Cluster API objects on the
management cluster (namespace ``eksa-system``, as EKS-A keeps them): ``ControlPlaneReady``
from the CAPI ``Cluster``'s condition of that name, ``WorkersReady`` from its
MachineDeployments' ready replicas. Used by ``controller.reconcile`` once the last
operation applied the spec, so ``Ready`` says what EKS-A's controller would say; when the
CAPI kinds are not served or the objects are not found (nothing to judge by), both are
taken from the operation having completed.
"""

from __future__ import annotations

from eksa_temporal.controller import names
from eksa_temporal.controller.status import Condition
from eksa_temporal.kube import Kube, Obj, UnknownKind, condition

CAPI_V1 = "cluster.x-k8s.io/v1beta1"
CAPI_NAMESPACE = "eksa-system"
CLUSTER_NAME_LABEL = "cluster.x-k8s.io/cluster-name"


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0


def cluster_health(kube: Kube, name: str) -> tuple[Condition, Condition]:
    """``ControlPlaneReady`` and ``WorkersReady`` of cluster ``name`` (blocking reads)."""
    try:
        capi = kube.get(CAPI_V1, "Cluster", name, CAPI_NAMESPACE)
        mds, _ = kube.list_objects(CAPI_V1, "MachineDeployment", CAPI_NAMESPACE, label_selector=f"{CLUSTER_NAME_LABEL}={name}")
    except UnknownKind:
        capi, mds = None, []
    if capi is None:
        return Condition(names.CONTROL_PLANE_READY, "True"), Condition(names.WORKERS_READY, "True")
    return _control_plane(capi), _workers(mds)


def _control_plane(capi: Obj) -> Condition:
    cond = condition(capi, "ControlPlaneReady")
    if cond is not None and cond.get("status") == "True":
        return Condition(names.CONTROL_PLANE_READY, "True")
    detail = (cond or {}).get("message") or (cond or {}).get("reason") or "not reported yet"
    return Condition(
        names.CONTROL_PLANE_READY, "False", "ControlPlaneNotReady",
        f"the control plane is not ready: {detail}", "Warning",
    )


def _workers(mds: list[Obj]) -> Condition:
    behind = []
    for md in sorted(mds, key=lambda m: str((m.get("metadata") or {}).get("name"))):
        want = _int((md.get("spec") or {}).get("replicas"))
        ready = _int((md.get("status") or {}).get("readyReplicas"))
        if ready < want:
            behind.append(f"{(md.get('metadata') or {}).get('name')}: {ready} of {want} ready")
    if not behind:
        return Condition(names.WORKERS_READY, "True")
    return Condition(names.WORKERS_READY, "False", "WorkersNotReady", "; ".join(behind), "Warning")
