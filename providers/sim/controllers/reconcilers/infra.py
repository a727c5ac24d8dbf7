"""The sim infrastructure provider's controllers (CAPSIM, after Cluster API's in-memory
provider): ``SimCluster`` creates the workload virtual cluster and reports the control
plane endpoint; ``SimMachine`` provisions a machine in the inventory, waits its boot time,
then creates the workload cluster's Node and reports ``spec.providerID``.

Provisioning is crash-safe: the intent (inventory row keyed by the SimMachine's identity,
with its boot deadline and seeded failure decision) is written before waiting, so a
restarted sim finishes the same machine. A SimMachine that already carries a providerID
known to the inventory (after a clusterctl-style move) is adopted, never re-provisioned.
"""

from __future__ import annotations

import time
from typing import Any

from providers.sim.controllers import objects as o
from providers.sim.controllers import workload as w
from providers.sim.controllers.context import Ctx
from providers.sim.controllers.inventory import DELETED, FAILED, PROVISIONING, MachineRecord

SIMCLUSTER_FINALIZER = "simcluster.infrastructure.cluster.x-k8s.io"
SIMMACHINE_FINALIZER = "simmachine.infrastructure.cluster.x-k8s.io"


# SimCluster -----------------------------------------------------------------------------
def reconcile_simcluster(ctx: Ctx, sc: o.Obj) -> float | None:
    ref = o.owner_of_kind(sc, "Cluster")
    cluster = ctx.get(o.CLUSTER_V, "Cluster", o.namespace(sc), ref["name"]) if ref else None
    cname = ref["name"] if ref else o.cluster_name_of(sc)
    if o.deleting(sc):
        if SIMCLUSTER_FINALIZER not in o.finalizers(sc) or ctx.paused(sc, cluster):
            return None
        if o.DELETE_FOR_MOVE_ANNOTATION not in o.annots(sc) and cname:
            w.delete_virtual_cluster(ctx, w.workload_cluster_name(cname))
        ctx.remove_finalizer(sc, SIMCLUSTER_FINALIZER)
        return None
    if cluster is None or cname is None or ctx.paused(sc, cluster):
        return None  # the Cluster controller sets the owner reference first
    sc = ctx.ensure_meta(sc, labels={o.CLUSTER_NAME_LABEL: cname}, finalizer=SIMCLUSTER_FINALIZER)
    workload = w.workload_cluster_name(cname)
    w.ensure_virtual_cluster(ctx, workload)
    if not (o.spec(sc).get("controlPlaneEndpoint") or {}).get("host"):
        host, port = w.endpoint(ctx, workload)
        sc = ctx.patch(sc, {"spec": {"controlPlaneEndpoint": {"host": host, "port": port}}}) or sc
    ctx.set_status(
        sc,
        {
            "ready": True,
            "initialization": {"provisioned": True},
            "conditions": o.merge_conditions(
                o.status(sc).get("conditions"), [o.condition("Ready", True)]
            ),
        },
    )
    return None


# SimMachine -----------------------------------------------------------------------------
def owner_key(ctx: Ctx, sm: o.Obj) -> str:
    """The identity that provisioning intent is recorded under (stable across restarts)."""
    return f"{ctx.cluster}/{o.namespace(sm)}/{o.name(sm)}/{sm['metadata'].get('uid', '')}"


def reconcile_simmachine(ctx: Ctx, sm: o.Obj) -> float | None:
    ref = o.owner_of_kind(sm, "Machine")
    machine = ctx.get(o.CLUSTER_V, "Machine", o.namespace(sm), ref["name"]) if ref else None
    cluster = ctx.owner_cluster(machine if machine is not None else sm)
    if o.deleting(sm):
        return _delete_simmachine(ctx, sm, machine, cluster)
    if machine is None or cluster is None or ctx.paused(sm, cluster):
        return None
    cname = o.name(cluster)
    sm = ctx.ensure_meta(sm, labels={o.CLUSTER_NAME_LABEL: cname}, finalizer=SIMMACHINE_FINALIZER)
    if not o.status(cluster).get("infrastructureReady"):
        return None
    if not (o.spec(machine).get("bootstrap") or {}).get("dataSecretName"):
        return None  # infrastructure providers wait for bootstrap data
    provider_id = o.spec(sm).get("providerID")
    if provider_id:
        record = ctx.inventory.by_provider_id(str(provider_id))
        if record is None or record.state != "running":
            why = "is not in the machine inventory" if record is None else f"is {record.state}"
            return _failed(ctx, sm, "UpdateError", f"machine {provider_id} {why}")
        return _running(ctx, sm, machine, cname, record)
    record = ctx.inventory.by_owner(owner_key(ctx, sm))
    if record is None:
        knobs = ctx.knobs()
        record = ctx.inventory.begin(
            owner_key=owner_key(ctx, sm),
            cluster=cname,
            machine=o.name(machine),
            seed=knobs.seed,
            boot_seconds=knobs.boot_seconds,
            jitter_seconds=knobs.boot_jitter_seconds,
            failure_rate=knobs.machine_failure_rate,
        )
    if record.state == PROVISIONING:
        wait = record.boot_at - time.time()
        if wait > 0:
            _set(ctx, sm, ready=False, reason="Provisioning", message=f"booting {record.provider_id}")
            return wait
        if record.fail:
            ctx.inventory.mark_failed(record.id, "simulated boot failure")
        else:
            ctx.inventory.mark_running(record.id)
        record = ctx.inventory.by_owner(owner_key(ctx, sm)) or record
    if record.state == FAILED:
        return _failed(ctx, sm, "CreateError", f"machine {record.provider_id}: {record.failure}")
    if record.state == DELETED:
        return _failed(ctx, sm, "CreateError", f"machine {record.provider_id} was deleted")
    sm = ctx.patch(sm, {"spec": {"providerID": record.provider_id}}) or sm
    return _running(ctx, sm, machine, cname, record)


def _running(ctx: Ctx, sm: o.Obj, machine: o.Obj, cname: str, record: MachineRecord) -> float | None:
    ip = w.node_ip(record.seq)
    workload = w.workload_cluster_name(cname)
    node = w.ensure_node(ctx, workload, o.name(machine), record.provider_id, machine, ip)
    if node is None:
        _set(ctx, sm, ready=False, reason="WaitingForWorkloadCluster", message=workload)
        return 1.0
    _set(
        ctx,
        sm,
        ready=True,
        extra={"addresses": [
            {"type": "InternalIP", "address": ip},
            {"type": "Hostname", "address": o.name(machine)},
        ]},
    )
    return None


def _failed(ctx: Ctx, sm: o.Obj, reason: str, message: str) -> float | None:
    _set(
        ctx, sm, ready=False, reason="ProvisioningFailed", message=message,
        extra={"failureReason": reason, "failureMessage": message},
    )
    return None


def _set(
    ctx: Ctx,
    sm: o.Obj,
    *,
    ready: bool,
    reason: str = "",
    message: str = "",
    extra: dict[str, Any] | None = None,
) -> None:
    conds = [o.condition("Ready", ready, reason, message, "Error" if reason == "ProvisioningFailed" else "Info")]
    conds.append(o.condition("VMProvisioned", ready, reason, message))
    desired: dict[str, Any] = {
        "ready": ready,
        "conditions": o.merge_conditions(o.status(sm).get("conditions"), conds),
    }
    if ready:
        desired["initialization"] = {"provisioned": True}
    desired.update(extra or {})
    ctx.set_status(sm, desired)


def _delete_simmachine(ctx: Ctx, sm: o.Obj, machine: o.Obj | None, cluster: o.Obj | None) -> float | None:
    if SIMMACHINE_FINALIZER not in o.finalizers(sm) or ctx.paused(sm, cluster):
        return None
    if o.DELETE_FOR_MOVE_ANNOTATION not in o.annots(sm):
        provider_id = o.spec(sm).get("providerID")
        record = (
            ctx.inventory.by_provider_id(str(provider_id))
            if provider_id
            else ctx.inventory.by_owner(owner_key(ctx, sm))
        )
        if record is not None:
            ctx.inventory.mark_deleted(record.id)
            node_name = o.name(machine) if machine is not None else record.machine
            w.delete_node(ctx, w.workload_cluster_name(record.cluster), node_name)
    ctx.remove_finalizer(sm, SIMMACHINE_FINALIZER)
    return None
