"""The KubeadmControlPlane controller (KCP), simulated: cluster certificates and the
``<c>-kubeconfig`` Secret, the first control-plane Machine (``kubeadm init``), then one
joining Machine at a time up to ``spec.replicas``; a rolling replacement of outdated
Machines (surge one - or ``rolloutStrategy.rollingUpdate.
maxSurge`` - then delete the oldest outdated Machine once every Machine is ready); scale
down removes outdated, failed, not-ready, then oldest Machines, never the last one. A
Machine is outdated when its version, its infrastructure template or the
``kubeadmConfigSpec`` it was created from differs from the KCP's.

Status as KCP reports it: ``replicas``, ``readyReplicas``, ``updatedReplicas`` /
``upToDateReplicas``, ``initialized``, ``ready``, ``version``, conditions Available,
Initialized, Ready (+ v1beta2). Deletion (finalizer) deletes its Machines first.
"""

from __future__ import annotations

from typing import Any

from eksa_temporal.simulator.controllers import objects as o
from eksa_temporal.simulator.controllers import workload as w
from eksa_temporal.simulator.controllers.context import Ctx
from eksa_temporal.simulator.controllers.reconcilers import machines as ms

KCP_FINALIZER = "kubeadm.controlplane.cluster.x-k8s.io"
# our record of the kubeadmConfigSpec a machine was made from (KCP compares the
# machine's KubeadmConfig; a hash annotation keeps the comparison to one lookup)
CONFIG_HASH_ANNOTATION = "controlplane.cluster.x-k8s.io/sim-kubeadm-config-hash"


def reconcile_kcp(ctx: Ctx, kcp: o.Obj) -> float | None:
    cluster = ctx.owner_cluster(kcp)
    if o.deleting(kcp):
        return _delete(ctx, kcp, cluster)
    if cluster is None or ctx.paused(kcp, cluster):
        return None
    cname = o.name(cluster)
    kcp = ctx.ensure_meta(kcp, labels={o.CLUSTER_NAME_LABEL: cname}, finalizer=KCP_FINALIZER)
    machines = owned_machines(ctx, kcp, cname)
    sp = o.spec(kcp)
    replicas = int(sp.get("replicas", 1))
    tmpl_ref = dict((sp.get("machineTemplate") or {}).get("infrastructureRef") or {})
    ms.adopt_templates(ctx, cluster, kcp, [tmpl_ref])
    live = [m for m in machines if not o.deleting(m)]
    outdated = [m for m in live if not _up_to_date(ctx, m, kcp, tmpl_ref)]
    ready = [m for m in live if ms.machine_ready(m)]
    initialized = bool(o.status(kcp).get("initialized")) or any(
        o.status(m).get("nodeRef") for m in live
    )
    requeue: float | None = None
    cp_endpoint = (o.spec(cluster).get("controlPlaneEndpoint") or {}).get("host")
    if not o.status(cluster).get("infrastructureReady") or not cp_endpoint:
        pass  # waits for the cluster infrastructure (reconciled when the gate flips)
    elif not w.ensure_cluster_secrets(ctx, cluster, kcp):
        requeue = 1.0
    elif len(live) < len(machines):
        pass  # a machine is being deleted: one change at a time
    elif not live:
        _create(ctx, kcp, cluster, tmpl_ref, init=True)
    elif not initialized or len(ready) < len(live):
        pass  # wait for the machines in flight
    elif len(live) < replicas or (outdated and len(live) < replicas + _max_surge(kcp)):
        _create(ctx, kcp, cluster, tmpl_ref, init=False)
    elif (len(live) > replicas or outdated) and len(live) > 1:
        victims = ms.oldest_first(outdated) or ms.delete_priority(live)
        ctx.delete(victims[0])
    _set_status(ctx, kcp, cname, machines, live, outdated, ready, initialized, replicas)
    return requeue


def owned_machines(ctx: Ctx, kcp: o.Obj, cname: str) -> list[o.Obj]:
    selector = f"{o.CLUSTER_NAME_LABEL}={cname},{o.CONTROL_PLANE_NAME_LABEL}={o.name(kcp)}"
    return ctx.list(o.CLUSTER_V, "Machine", o.namespace(kcp), selector)


def _max_surge(kcp: o.Obj) -> int:
    rolling = ((o.spec(kcp).get("rolloutStrategy") or {}).get("rollingUpdate")) or {}
    surge = rolling.get("maxSurge", 1)
    return max(int(surge), 0) if isinstance(surge, int | str) and str(surge).isdigit() else 1


def config_hash(kcp: o.Obj) -> str:
    return o.short_hash(o.spec(kcp).get("kubeadmConfigSpec") or {})


def _up_to_date(ctx: Ctx, m: o.Obj, kcp: o.Obj, tmpl_ref: dict[str, Any]) -> bool:
    """Same version, same infrastructure template, same kubeadmConfigSpec."""
    if o.spec(m).get("version") != o.spec(kcp).get("version"):
        return False
    recorded = o.annots(m).get(CONFIG_HASH_ANNOTATION)
    if recorded is not None and recorded != config_hash(kcp):
        return False
    return ms.infra_template_name(ctx, m) in (None, tmpl_ref.get("name"))


def _create(ctx: Ctx, kcp: o.Obj, cluster: o.Obj, tmpl_ref: dict[str, Any], *, init: bool) -> None:
    sp = o.spec(kcp)
    config = dict(sp.get("kubeadmConfigSpec") or {})
    if init:
        config.pop("joinConfiguration", None)
        config.setdefault("initConfiguration", {})
    else:
        config.pop("initConfiguration", None)
        join = dict(config.get("joinConfiguration") or {})
        join.setdefault("controlPlane", {})
        config["joinConfiguration"] = join
    template_labels = ((sp.get("machineTemplate") or {}).get("metadata") or {}).get("labels") or {}
    ms.create_machine(
        ctx,
        owner=kcp,
        cluster=cluster,
        prefix=o.name(kcp),
        selector=f"{o.CLUSTER_NAME_LABEL}={o.name(cluster)},{o.CONTROL_PLANE_NAME_LABEL}={o.name(kcp)}",
        version=sp.get("version"),
        labels={
            **template_labels,
            o.CONTROL_PLANE_LABEL: "",
            o.CONTROL_PLANE_NAME_LABEL: o.name(kcp),
        },
        infra_ref={**tmpl_ref, "namespace": tmpl_ref.get("namespace") or o.namespace(kcp)},
        bootstrap_spec=config,
        annotations={CONFIG_HASH_ANNOTATION: config_hash(kcp)},
    )


def _set_status(
    ctx: Ctx,
    kcp: o.Obj,
    cname: str,
    machines: list[o.Obj],
    live: list[o.Obj],
    outdated: list[o.Obj],
    ready: list[o.Obj],
    initialized: bool,
    replicas: int,
) -> None:
    old = o.status(kcp)
    up_to_date = len(live) - len(outdated)
    available = initialized and len(ready) > 0
    all_ready = len(ready) == len(live) and len(live) == replicas
    machines_ok = len(ready) == len(live)
    versions = sorted({str(o.spec(m).get("version")) for m in live if o.spec(m).get("version")})
    v1 = [
        o.condition("Available", available, "WaitingForKubeadmInit", severity="Info"),
        o.condition("CertificatesAvailable", True),
        o.condition("Initialized", initialized, "WaitingForKubeadmInit", severity="Info"),
        o.condition("MachinesReady", machines_ok, "NodeProvisioning", severity="Info"),
        o.condition("MachinesSpecUpToDate", not outdated, "RollingUpdateInProgress", severity="Warning"),
        o.condition("Resized", len(live) == replicas, "ScalingUp" if len(live) < replicas else "ScalingDown", severity="Warning"),
        o.condition("Ready", available and all_ready and not outdated, "NotReady", severity="Info"),
    ]
    v2 = [
        o.condition("Available", available, "NotAvailable"),
        o.condition("Initialized", initialized, "NotInitialized"),
        o.condition("MachinesReady", machines_ok, "NotReady"),
        o.condition("MachinesUpToDate", not outdated, "NotUpToDate"),
        o.condition("RollingOut", bool(outdated), "NotRollingOut"),
        o.condition("ScalingUp", len(live) < replicas, "NotScalingUp"),
        o.condition("ScalingDown", len(live) > replicas, "NotScalingDown"),
    ]
    status: dict[str, Any] = {
        "selector": f"{o.CLUSTER_NAME_LABEL}={cname},{o.CONTROL_PLANE_NAME_LABEL}={o.name(kcp)}",
        "replicas": len(machines),
        "readyReplicas": len(ready),
        "availableReplicas": len(ready),
        "updatedReplicas": up_to_date,
        "upToDateReplicas": up_to_date,
        "unavailableReplicas": len(machines) - len(ready),
        "initialized": initialized,
        "ready": available,
        "observedGeneration": kcp["metadata"].get("generation", 1),
        "initialization": {"controlPlaneInitialized": initialized},
        "conditions": o.merge_conditions(old.get("conditions"), v1),
        "v1beta2": {"conditions": o.merge_conditions((old.get("v1beta2") or {}).get("conditions"), v2)},
    }
    if versions:
        status["version"] = versions[0]
    ctx.set_status(kcp, status)


def _delete(ctx: Ctx, kcp: o.Obj, cluster: o.Obj | None) -> float | None:
    if KCP_FINALIZER not in o.finalizers(kcp) or ctx.paused(kcp, cluster):
        return None
    if o.DELETE_FOR_MOVE_ANNOTATION not in o.annots(kcp):
        cname = o.cluster_name_of(kcp) or (o.name(cluster) if cluster else "")
        remaining = owned_machines(ctx, kcp, cname)
        for m in remaining:
            ctx.delete(m)
        if remaining:
            return None  # reconciled again as each Machine goes (owner reference)
    ctx.remove_finalizer(kcp, KCP_FINALIZER)
    return None
