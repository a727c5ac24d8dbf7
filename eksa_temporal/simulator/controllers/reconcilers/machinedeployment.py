"""The MachineDeployment controller (Cluster API core), simulated: one MachineSet per
machine template (named ``<md>-<hash>`` of version, infrastructure and bootstrap template
references, so a changed template name triggers a rollout, as with EKS-A); a rolling
update surges the new set by ``maxSurge`` (default 1) and shrinks old sets only while
``desired - maxUnavailable`` (default 0) Machines stay available; emptied old sets are
deleted. Reports ``replicas``, ``readyReplicas``, ``availableReplicas``,
``updatedReplicas``, ``phase`` and conditions Available / Ready (+ v1beta2).
"""

from __future__ import annotations

from typing import Any

from eksa_temporal.simulator.controllers import objects as o
from eksa_temporal.simulator.controllers.context import Ctx
from eksa_temporal.simulator.controllers.reconcilers.machines import adopt_templates


def template_hash(md: o.Obj) -> str:
    tsp = dict((o.spec(md).get("template") or {}).get("spec") or {})
    infra = dict(tsp.get("infrastructureRef") or {})
    boot = dict((tsp.get("bootstrap") or {}).get("configRef") or {})
    return o.short_hash(
        {
            "version": tsp.get("version"),
            "infra": [infra.get("kind"), infra.get("name")],
            "bootstrap": [boot.get("kind"), boot.get("name")],
            "dataSecretName": (tsp.get("bootstrap") or {}).get("dataSecretName"),
        }
    )


def _strategy(md: o.Obj) -> tuple[int, int]:
    sp = o.spec(md)
    rolling = ((sp.get("strategy") or {}).get("rollingUpdate")) or (
        ((sp.get("rollout") or {}).get("strategy") or {}).get("rollingUpdate")
    ) or {}

    def as_int(value: Any, default: int) -> int:
        return int(value) if isinstance(value, int) or (isinstance(value, str) and value.isdigit()) else default

    surge, unavailable = as_int(rolling.get("maxSurge"), 1), as_int(rolling.get("maxUnavailable"), 0)
    if surge == 0 and unavailable == 0:
        surge = 1
    return surge, unavailable


def reconcile_machinedeployment(ctx: Ctx, md: o.Obj) -> float | None:
    cluster = ctx.owner_cluster(md)
    if o.deleting(md) or cluster is None or ctx.paused(md, cluster):
        return None
    cname, ns = o.name(cluster), o.namespace(md)
    md = ctx.ensure_meta(md, labels={o.CLUSTER_NAME_LABEL: cname})
    if not o.owner_of_kind(md, "Cluster"):
        md = ctx.ensure_meta(md, owner=cluster)
    sp = o.spec(md)
    tmpl = (sp.get("template") or {}).get("spec") or {}
    adopt_templates(ctx, cluster, md, [tmpl.get("infrastructureRef"), (tmpl.get("bootstrap") or {}).get("configRef")])
    desired = int(sp.get("replicas", 1))
    surge, max_unavailable = _strategy(md)
    digest = template_hash(md)
    new_name = f"{o.name(md)}-{digest}"
    sets = [
        s
        for s in ctx.list(o.CLUSTER_V, "MachineSet", ns, f"{o.DEPLOYMENT_NAME_LABEL}={o.name(md)}")
        if not o.deleting(s)
    ]
    for s in sets:  # adopt (after a move the owner UID changed)
        ctx.ensure_meta(s, owner=md)
    new = next((s for s in sets if o.name(s) == new_name), None)
    old = sorted(
        (s for s in sets if o.name(s) != new_name),
        key=lambda s: (s["metadata"].get("creationTimestamp", ""), o.name(s)),
    )
    if new is None:
        _create_set(ctx, md, cname, new_name, digest, 0 if old else desired)
    elif not old:
        if int(o.spec(new).get("replicas", 0)) != desired:
            ctx.patch(new, {"spec": {"replicas": desired}})
    else:
        _roll(ctx, desired, surge, max_unavailable, new, old)
    _set_status(ctx, md, sets, new, desired, max_unavailable)
    return None


def _create_set(ctx: Ctx, md: o.Obj, cname: str, set_name: str, digest: str, replicas: int) -> None:
    template = dict(o.spec(md).get("template") or {})
    labels = {
        **((template.get("metadata") or {}).get("labels") or {}),
        o.CLUSTER_NAME_LABEL: cname,
        o.DEPLOYMENT_NAME_LABEL: o.name(md),
        o.TEMPLATE_HASH_LABEL: digest,
    }
    ctx.create(
        {
            "apiVersion": o.CLUSTER_V,
            "kind": "MachineSet",
            "metadata": {
                "name": set_name,
                "namespace": o.namespace(md),
                "labels": labels,
                "ownerReferences": [o.owner_ref(md)],
            },
            "spec": {
                "clusterName": cname,
                "replicas": replicas,
                "selector": {"matchLabels": {o.DEPLOYMENT_NAME_LABEL: o.name(md), o.TEMPLATE_HASH_LABEL: digest}},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": dict(template.get("spec") or {}),
                },
            },
        }
    )


def _replicas(s: o.Obj) -> int:
    return int(o.spec(s).get("replicas", 0))


def _available(s: o.Obj) -> int:
    return min(int(o.status(s).get("availableReplicas", 0)), _replicas(s))


def _roll(ctx: Ctx, desired: int, surge: int, max_unavailable: int, new: o.Obj, old: list[o.Obj]) -> None:
    total = _replicas(new) + sum(_replicas(s) for s in old)
    if _replicas(new) < desired and total < desired + surge:
        grow = min(desired - _replicas(new), desired + surge - total)
        ctx.patch(new, {"spec": {"replicas": _replicas(new) + grow}})
    available = _available(new) + sum(_available(s) for s in old)
    can_remove = available - (desired - max_unavailable)
    for s in old:
        if _replicas(s) == 0:
            if int(o.status(s).get("replicas", 0)) == 0:
                ctx.delete(s)
            continue
        unhealthy = _replicas(s) - _available(s)  # removing these costs no availability
        cut = min(_replicas(s), unhealthy + max(can_remove, 0))
        if cut > 0:
            ctx.patch(s, {"spec": {"replicas": _replicas(s) - cut}})
            can_remove -= max(cut - unhealthy, 0)


def _set_status(
    ctx: Ctx, md: o.Obj, sets: list[o.Obj], new: o.Obj | None, desired: int, max_unavailable: int
) -> None:
    old_status = o.status(md)
    replicas = sum(int(o.status(s).get("replicas", 0)) for s in sets)
    ready = sum(int(o.status(s).get("readyReplicas", 0)) for s in sets)
    available = sum(int(o.status(s).get("availableReplicas", 0)) for s in sets)
    updated = int(o.status(new).get("replicas", 0)) if new is not None else 0
    updated_ready = int(o.status(new).get("readyReplicas", 0)) if new is not None else 0
    failure = next((o.status(s).get("failureReason") for s in sets if o.status(s).get("failureReason")), None)
    is_available = available >= desired - max_unavailable
    done = replicas == desired and updated_ready == desired
    if failure:
        phase = "Failed"
    elif replicas < desired:
        phase = "ScalingUp"
    elif replicas > desired:
        phase = "ScalingDown"
    elif done:
        phase = "Running"
    else:
        phase = "ScalingUp"
    v1 = [
        o.condition("Available", is_available, "WaitingForAvailableMachines", severity="Warning"),
        o.condition("MachineSetReady", done, "WaitingForMachineSetReady", severity="Info"),
        o.condition("Ready", is_available and done, "NotReady", severity="Info"),
    ]
    v2 = [
        o.condition("Available", is_available, "NotAvailable"),
        o.condition("MachinesReady", ready == replicas, "NotReady"),
        o.condition("MachinesUpToDate", updated == replicas, "NotUpToDate"),
        o.condition("RollingOut", updated != replicas, "NotRollingOut"),
        o.condition("ScalingUp", replicas < desired, "NotScalingUp"),
        o.condition("ScalingDown", replicas > desired, "NotScalingDown"),
    ]
    name = o.name(md)
    ctx.set_status(
        md,
        {
            "selector": f"{o.DEPLOYMENT_NAME_LABEL}={name}",
            "replicas": replicas,
            "readyReplicas": ready,
            "availableReplicas": available,
            "updatedReplicas": updated,
            "unavailableReplicas": max(desired - available, 0),
            "phase": phase,
            "observedGeneration": md["metadata"].get("generation", 1),
            "conditions": o.merge_conditions(old_status.get("conditions"), v1),
            "v1beta2": {
                "readyReplicas": ready,
                "availableReplicas": available,
                "upToDateReplicas": updated,
                "conditions": o.merge_conditions((old_status.get("v1beta2") or {}).get("conditions"), v2),
            },
        },
    )
