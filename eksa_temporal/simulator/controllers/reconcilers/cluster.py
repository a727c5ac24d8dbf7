"""The Cluster controller (Cluster API core), simulated: owns its infrastructure cluster
and control plane (owner references, cluster-name label), copies the control plane
endpoint, and summarises readiness - ``status.infrastructureReady``,
``controlPlaneReady``, ``phase``, ``initialization``, v1beta1 conditions (Ready,
InfrastructureReady, ControlPlaneInitialized, ControlPlaneReady) and v1beta2 conditions
(Available, InfrastructureReady, ControlPlaneInitialized, ControlPlaneAvailable,
WorkersAvailable) in ``status.v1beta2.conditions``.

Deletion (finalizer ``cluster.cluster.x-k8s.io``), in Cluster API's order: workers
(MachineDeployments, MachineSets, Machines), then the control plane, then the
infrastructure cluster (whose controller removes the workload virtual cluster), then the
cluster Secrets. A paused Cluster (``spec.paused`` or the paused annotation) is left
entirely alone, which clusterctl-style moves depend on.
"""

from __future__ import annotations

from typing import Any

from eksa_temporal.simulator.controllers import objects as o
from eksa_temporal.simulator.controllers.context import Ctx
from eksa_temporal.simulator.controllers.workload import CERT_SECRETS

CLUSTER_FINALIZER = "cluster.cluster.x-k8s.io"


def reconcile_cluster(ctx: Ctx, c: o.Obj) -> float | None:
    if ctx.paused(c, c):
        return None
    if o.deleting(c):
        return _delete(ctx, c)
    c = ctx.ensure_meta(c, finalizer=CLUSTER_FINALIZER)
    ns, sp, cname = o.namespace(c), o.spec(c), o.name(c)
    infra = ctx.ref(sp.get("infrastructureRef"), ns)
    cp = ctx.ref(sp.get("controlPlaneRef"), ns)
    if infra is not None:
        infra = ctx.ensure_meta(infra, owner=c, labels={o.CLUSTER_NAME_LABEL: cname})
    if cp is not None:
        cp = ctx.ensure_meta(cp, owner=c, labels={o.CLUSTER_NAME_LABEL: cname})
    infra_ready = infra is not None and bool(o.status(infra).get("ready"))
    endpoint = dict(o.spec(infra).get("controlPlaneEndpoint") or {}) if infra is not None else {}
    if infra_ready and endpoint.get("host") and not (sp.get("controlPlaneEndpoint") or {}).get("host"):
        c = ctx.patch(c, {"spec": {"controlPlaneEndpoint": endpoint}}) or c
    cp_status = o.status(cp) if cp is not None else {}
    cp_initialized = bool(
        cp_status.get("initialized") or (cp_status.get("initialization") or {}).get("controlPlaneInitialized")
    )
    cp_ready = bool(cp_status.get("ready"))
    cp_available = cp is not None and o.is_true(cp, "Available")
    mds = ctx.list(o.CLUSTER_V, "MachineDeployment", ns, f"{o.CLUSTER_NAME_LABEL}={cname}")
    workers_available = all(o.is_true(md, "Available") for md in mds)
    has_endpoint = bool((o.spec(c).get("controlPlaneEndpoint") or {}).get("host"))
    if infra_ready and has_endpoint:
        phase = "Provisioned"
    elif infra is not None:
        phase = "Provisioning"
    else:
        phase = "Pending"
    old = o.status(c)
    v1 = [
        o.condition("InfrastructureReady", infra_ready, "WaitingForInfrastructure", severity="Info"),
        o.condition("ControlPlaneInitialized", cp_initialized, "WaitingForControlPlaneProviderInitialized", severity="Info"),
        o.condition("ControlPlaneReady", cp_ready, "WaitingForControlPlane", severity="Info"),
        o.condition("Ready", infra_ready and cp_ready, "WaitingForControlPlane", severity="Info"),
    ]
    available = infra_ready and cp_initialized and cp_available and workers_available
    v2 = [
        o.condition("Available", available, "NotAvailable"),
        o.condition("InfrastructureReady", infra_ready, "NotReady"),
        o.condition("ControlPlaneInitialized", cp_initialized, "NotInitialized"),
        o.condition("ControlPlaneAvailable", cp_available, "NotAvailable"),
        o.condition("WorkersAvailable", workers_available, "NotAvailable"),
        o.condition("RemoteConnectionProbe", cp_initialized, "ProbeFailed"),
        o.condition("Deleting", False, "NotDeleting"),
        o.condition("Paused", False, "NotPaused"),
    ]
    status: dict[str, Any] = {
        "phase": phase,
        "infrastructureReady": infra_ready,
        "controlPlaneReady": cp_ready,
        "observedGeneration": c["metadata"].get("generation", 1),
        "initialization": {
            "infrastructureProvisioned": infra_ready,
            "controlPlaneInitialized": cp_initialized,
        },
        "conditions": o.merge_conditions(old.get("conditions"), v1),
        "v1beta2": {
            "conditions": o.merge_conditions((old.get("v1beta2") or {}).get("conditions"), v2),
            "controlPlane": {
                "desiredReplicas": int(o.spec(cp).get("replicas", 1)) if cp is not None else 0,
                "replicas": int(cp_status.get("replicas", 0)),
                "readyReplicas": int(cp_status.get("readyReplicas", 0)),
                "upToDateReplicas": int(cp_status.get("upToDateReplicas", 0)),
            },
            "workers": {
                "desiredReplicas": sum(int(o.spec(md).get("replicas", 1)) for md in mds),
                "replicas": sum(int(o.status(md).get("replicas", 0)) for md in mds),
                "readyReplicas": sum(int(o.status(md).get("readyReplicas", 0)) for md in mds),
                "availableReplicas": sum(int(o.status(md).get("availableReplicas", 0)) for md in mds),
            },
        },
    }
    ctx.set_status(c, status)
    return None


def _delete(ctx: Ctx, c: o.Obj) -> float | None:
    if CLUSTER_FINALIZER not in o.finalizers(c):
        return None
    if o.DELETE_FOR_MOVE_ANNOTATION in o.annots(c):
        ctx.remove_finalizer(c, CLUSTER_FINALIZER)
        return None
    ns, cname, sp = o.namespace(c), o.name(c), o.spec(c)
    if o.status(c).get("phase") != "Deleting":
        ctx.patch(c, {"status": {"phase": "Deleting"}}, status=True)
    selector = f"{o.CLUSTER_NAME_LABEL}={cname}"
    workers: list[o.Obj] = []
    for kind in ("MachineDeployment", "MachineSet", "Machine"):
        for obj in ctx.list(o.CLUSTER_V, kind, ns, selector):
            if kind == "Machine" and o.CONTROL_PLANE_LABEL in o.labels(obj):
                continue
            workers.append(obj)
            ctx.delete(obj)
    if workers:
        return 2.0  # (also re-queued by each descendant's deletion event)
    cp = ctx.ref(sp.get("controlPlaneRef"), ns)
    if cp is not None:
        ctx.delete(cp)
        return 2.0
    if ctx.list(o.CLUSTER_V, "Machine", ns, selector):
        return 2.0
    infra = ctx.ref(sp.get("infrastructureRef"), ns)
    if infra is not None:
        ctx.delete(infra)
        return 2.0
    for purpose in (*CERT_SECRETS, "kubeconfig"):
        secret = ctx.get("v1", "Secret", ns, f"{cname}-{purpose}")
        if secret is not None:
            ctx.delete(secret)
    ctx.remove_finalizer(c, CLUSTER_FINALIZER)
    return None
