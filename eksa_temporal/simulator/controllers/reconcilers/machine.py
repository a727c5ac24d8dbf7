"""The Machine controller (Cluster API core), simulated: adopts the Machine's bootstrap
config and infrastructure machine (owner references), copies the bootstrap data secret
name and the provider ID, finds the workload cluster's Node and reports the phase
(Pending -> Provisioning -> Provisioned -> Running, or Failed / Deleting), ``nodeRef``
and the v1beta1 + v1beta2 conditions.

Deletion (finalizer ``machine.cluster.x-k8s.io``): the infrastructure machine and the
bootstrap config are deleted, then the Node, then the finalizer is removed. Objects of a
paused Cluster or marked ``delete-for-move`` are left alone.
"""

from __future__ import annotations

from typing import Any

from eksa_temporal.simulator.controllers import objects as o
from eksa_temporal.simulator.controllers import workload as w
from eksa_temporal.simulator.controllers.context import Ctx

MACHINE_FINALIZER = "machine.cluster.x-k8s.io"


def reconcile_machine(ctx: Ctx, m: o.Obj) -> float | None:
    cluster = ctx.owner_cluster(m)
    if o.deleting(m):
        return _delete(ctx, m, cluster)
    if cluster is None or ctx.paused(m, cluster):
        return None
    cname = o.name(cluster)
    m = ctx.ensure_meta(m, labels={o.CLUSTER_NAME_LABEL: cname}, finalizer=MACHINE_FINALIZER)
    ns, sp = o.namespace(m), o.spec(m)
    bootstrap = dict(sp.get("bootstrap") or {})
    data_secret = bootstrap.get("dataSecretName")
    config = ctx.ref(bootstrap.get("configRef"), ns)
    if config is not None:
        config = ctx.ensure_meta(config, owner=m, labels={o.CLUSTER_NAME_LABEL: cname})
        ready_secret = o.status(config).get("dataSecretName")
        if not data_secret and ready_secret and o.status(config).get("ready"):
            data_secret = ready_secret
            m = ctx.patch(m, {"spec": {"bootstrap": {"dataSecretName": data_secret}}}) or m
    infra = ctx.ref(sp.get("infrastructureRef"), ns)
    if infra is not None:
        infra = ctx.ensure_meta(infra, owner=m, labels={o.CLUSTER_NAME_LABEL: cname})
    infra_status = o.status(infra) if infra is not None else {}
    infra_ready = bool(infra_status.get("ready"))
    provider_id = o.spec(infra).get("providerID") if infra is not None else None
    if infra_ready and provider_id and sp.get("providerID") != provider_id:
        m = ctx.patch(m, {"spec": {"providerID": provider_id}}) or m
    node = (
        w.find_node(
            ctx,
            w.workload_cluster_name(cname),
            str((o.status(m).get("nodeRef") or {}).get("name") or o.name(m)),
            str(provider_id),
        )
        if infra_ready and provider_id
        else None
    )
    failure = infra_status.get("failureReason")
    ctx.set_status(m, _status(m, bool(data_secret), infra_ready, infra_status, node, failure))
    if infra_ready and node is None:
        return 1.0  # the Node appears with the machine; poll briefly if it has not yet
    return None


def _status(
    m: o.Obj,
    bootstrap_ready: bool,
    infra_ready: bool,
    infra_status: dict[str, Any],
    node: o.Obj | None,
    failure: str | None,
) -> dict[str, Any]:
    old = o.status(m)
    node_ready = node is not None and o.is_true(node, "Ready")
    if failure:
        phase = "Failed"
    elif node is not None:
        phase = "Running"
    elif infra_ready:
        phase = "Provisioned"
    elif bootstrap_ready:
        phase = "Provisioning"
    else:
        phase = "Pending"
    infra_reason = "" if infra_ready else ("ProvisioningFailed" if failure else "WaitingForInfrastructure")
    v1 = [
        o.condition("BootstrapReady", bootstrap_ready, "WaitingForDataSecret", severity="Info"),
        o.condition("InfrastructureReady", infra_ready, infra_reason,
                    str(infra_status.get("failureMessage") or ""), "Error" if failure else "Info"),
        o.condition("NodeHealthy", node_ready, "NodeProvisioning", severity="Info"),
    ]
    ready = bootstrap_ready and infra_ready and node_ready
    v1.append(o.condition("Ready", ready, "WaitingForNode" if not failure else "ProvisioningFailed",
                          severity="Error" if failure else "Info"))
    v2 = [
        o.condition("BootstrapConfigReady", bootstrap_ready, "NotReady"),
        o.condition("InfrastructureReady", infra_ready, "NotReady"),
        o.condition("NodeReady", node_ready, "NodeNotReady" if node else "NodeDoesNotExist"),
        o.condition("NodeHealthy", node_ready, "NodeNotReady" if node else "NodeDoesNotExist"),
        o.condition("Ready", ready, "NotReady"),
        o.condition("Available", ready, "NotReady"),
        o.condition("Deleting", False, "NotDeleting"),
        o.condition("Paused", False, "NotPaused"),
    ]
    status: dict[str, Any] = {
        "phase": phase,
        "bootstrapReady": bootstrap_ready,
        "infrastructureReady": infra_ready,
        "observedGeneration": m["metadata"].get("generation", 1),
        "initialization": {
            "bootstrapDataSecretCreated": bootstrap_ready,
            "infrastructureProvisioned": infra_ready,
        },
        "conditions": o.merge_conditions(old.get("conditions"), v1),
        "v1beta2": {
            "conditions": o.merge_conditions((old.get("v1beta2") or {}).get("conditions"), v2)
        },
    }
    if infra_status.get("addresses"):
        status["addresses"] = infra_status["addresses"]
    if node is not None:
        status["nodeRef"] = {
            "apiVersion": "v1",
            "kind": "Node",
            "name": o.name(node),
            "uid": node["metadata"].get("uid", ""),
        }
        info = o.status(node).get("nodeInfo")
        if info:
            status["nodeInfo"] = info
    if failure:
        status["failureReason"] = failure
        status["failureMessage"] = infra_status.get("failureMessage", "")
    return status


def _delete(ctx: Ctx, m: o.Obj, cluster: o.Obj | None) -> float | None:
    if MACHINE_FINALIZER not in o.finalizers(m) or ctx.paused(m, cluster):
        return None
    if o.DELETE_FOR_MOVE_ANNOTATION in o.annots(m):
        ctx.remove_finalizer(m, MACHINE_FINALIZER)
        return None
    ns, sp = o.namespace(m), o.spec(m)
    if o.status(m).get("phase") != "Deleting":
        ctx.patch(m, {"status": {"phase": "Deleting"}}, status=True)
    infra = ctx.ref(sp.get("infrastructureRef"), ns)
    config = ctx.ref((sp.get("bootstrap") or {}).get("configRef"), ns)
    if config is not None:
        ctx.delete(config)
    if infra is not None:
        ctx.delete(infra)
        return None  # reconciled again when the infrastructure machine is gone
    cname = o.cluster_name_of(m)
    if cname:
        node_name = (o.status(m).get("nodeRef") or {}).get("name") or o.name(m)
        w.delete_node(ctx, w.workload_cluster_name(cname), str(node_name))
    ctx.remove_finalizer(m, MACHINE_FINALIZER)
    return None
