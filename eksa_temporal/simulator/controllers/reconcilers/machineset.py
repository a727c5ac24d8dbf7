"""The MachineSet controller (Cluster API core), simulated: keeps ``spec.replicas``
Machines (cloned from the set's bootstrap config template and infrastructure template),
deleting failed, then not-ready, then oldest Machines first on scale-down, and reports
``replicas``, ``readyReplicas``, ``availableReplicas``, ``fullyLabeledReplicas`` and the
conditions. Machines are found by the ``cluster.x-k8s.io/set-name`` label and owner UID.
"""

from __future__ import annotations

from typing import Any

from eksa_temporal.simulator.controllers import objects as o
from eksa_temporal.simulator.controllers.context import Ctx
from eksa_temporal.simulator.controllers.reconcilers import machines as ms


def set_machines(ctx: Ctx, mset: o.Obj) -> list[o.Obj]:
    found = ctx.list(o.CLUSTER_V, "Machine", o.namespace(mset), f"{o.SET_NAME_LABEL}={o.name(mset)}")
    return [m for m in found if o.owned_by(m, mset) or not m["metadata"].get("ownerReferences")]


def reconcile_machineset(ctx: Ctx, mset: o.Obj) -> float | None:
    cluster = ctx.owner_cluster(mset)
    if o.deleting(mset) or cluster is None or ctx.paused(mset, cluster):
        return None
    cname = o.name(cluster)
    mset = ctx.ensure_meta(mset, labels={o.CLUSTER_NAME_LABEL: cname})
    machines = set_machines(ctx, mset)
    for m in machines:  # adopt (after a move the owner UID changed)
        ctx.ensure_meta(m, owner=mset)
    live = [m for m in machines if not o.deleting(m)]
    sp = o.spec(mset)
    replicas = int(sp.get("replicas", 1))
    template = dict(sp.get("template") or {})
    tsp = dict(template.get("spec") or {})
    if o.status(cluster).get("infrastructureReady"):
        if len(live) < replicas:
            bootstrap_spec = _bootstrap_spec(ctx, tsp, o.namespace(mset))
            if bootstrap_spec is not None:
                for _ in range(replicas - len(live)):
                    ms.create_machine(
                        ctx,
                        owner=mset,
                        cluster=cluster,
                        prefix=o.name(mset),
                        selector=f"{o.SET_NAME_LABEL}={o.name(mset)}",
                        version=tsp.get("version"),
                        labels={
                            **((template.get("metadata") or {}).get("labels") or {}),
                            o.SET_NAME_LABEL: o.name(mset),
                            **_inherited(mset),
                        },
                        infra_ref=dict(tsp.get("infrastructureRef") or {}),
                        bootstrap_spec=bootstrap_spec,
                    )
        elif len(live) > replicas:
            for m in ms.delete_priority(live)[: len(live) - replicas]:
                ctx.delete(m)
    _set_status(ctx, mset, machines, live, replicas)
    return None


def _inherited(mset: o.Obj) -> dict[str, str]:
    keep = (o.DEPLOYMENT_NAME_LABEL, o.TEMPLATE_HASH_LABEL)
    return {k: v for k, v in o.labels(mset).items() if k in keep}


def _bootstrap_spec(ctx: Ctx, tsp: dict[str, Any], ns: str | None) -> dict[str, Any] | None:
    ref = dict((tsp.get("bootstrap") or {}).get("configRef") or {})
    if not ref:
        return {"joinConfiguration": {}}
    template = ctx.ref(ref, ns)
    if template is None:
        return None
    return dict(((o.spec(template).get("template") or {}).get("spec")) or {})


def _set_status(
    ctx: Ctx, mset: o.Obj, machines: list[o.Obj], live: list[o.Obj], replicas: int
) -> None:
    old = o.status(mset)
    ready = [m for m in live if ms.machine_ready(m)]
    failed = [m for m in live if ms.machine_failed(m)]
    resized = len(live) == replicas
    all_ready = resized and len(ready) == replicas
    v1 = [
        o.condition("MachinesCreated", True),
        o.condition("MachinesReady", len(ready) == len(live), "NodeProvisioning", severity="Info"),
        o.condition("Resized", resized, "Resizing", severity="Warning"),
        o.condition("Ready", all_ready, "NotReady", severity="Info"),
    ]
    v2 = [
        o.condition("MachinesReady", len(ready) == len(live), "NotReady"),
        o.condition("MachinesUpToDate", True),
        o.condition("ScalingUp", len(live) < replicas, "NotScalingUp"),
        o.condition("ScalingDown", len(live) > replicas, "NotScalingDown"),
    ]
    status: dict[str, Any] = {
        "selector": f"{o.SET_NAME_LABEL}={o.name(mset)}",
        "replicas": len(machines),
        "fullyLabeledReplicas": len(machines),
        "readyReplicas": len(ready),
        "availableReplicas": len(ready),
        "observedGeneration": mset["metadata"].get("generation", 1),
        "conditions": o.merge_conditions(old.get("conditions"), v1),
        "v1beta2": {
            "readyReplicas": len(ready),
            "availableReplicas": len(ready),
            "upToDateReplicas": len(live),
            "conditions": o.merge_conditions((old.get("v1beta2") or {}).get("conditions"), v2),
        },
    }
    if failed:
        status["failureReason"] = o.status(failed[0]).get("failureReason")
        status["failureMessage"] = f"machine {o.name(failed[0])}: {o.status(failed[0]).get('failureMessage', '')}"
    ctx.set_status(mset, status)
