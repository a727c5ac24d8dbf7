"""The infrastructure controllers the sim plays, shared by every infrastructure kind pair
(``SimCluster``/``SimMachine`` here, CAPV's ``VSphereCluster``/``VSphereMachine`` in
``vsphere.py``), parameterised by an ``InfraKind``.

The infrastructure cluster creates the workload virtual cluster and reports the control
plane endpoint (kept when the spec sets one, as CAPV's kube-vip address); the
infrastructure machine provisions a machine in the inventory, waits its boot time, then
creates the workload cluster's Node (named as the inventory names the machine: the
Machine's name, or CAPD's container name) and reports ``spec.providerID`` (``sim://<cluster>/<id>``
or ``<scheme>://<uuid>``).

Whatever is made for a CAPI Cluster carries the Cluster's owner identity label
(``eksa_temporal.ownership.OWNER_LABEL``), as a cloud propagates a cluster's tags: the
workload virtual cluster is created with it and each inventory machine records it, so
cleanup can remove exactly what one operation made.

Provisioning is crash-safe: the intent (inventory row keyed by the machine object's
identity, with its boot deadline and seeded failure decision) is written before waiting,
so a restarted sim finishes the same machine. A machine object that already carries a
providerID known to the inventory (after a clusterctl-style move) is adopted, never
re-provisioned.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eksa_temporal.ownership import OWNER_LABEL
from eksa_temporal.simulator.controllers import objects as o
from eksa_temporal.simulator.controllers import workload as w
from eksa_temporal.simulator.controllers.context import Ctx
from eksa_temporal.simulator.controllers.inventory import (
    DELETED,
    FAILED,
    PROVISIONING,
    MachineRecord,
)

# (ctx, infrastructure cluster) -> (reason, message) when it cannot be ready yet, or None
ClusterCheck = Callable[[Ctx, o.Obj], "tuple[str, str] | None"]
CHECK_REQUEUE_SECONDS = 2.0


@dataclass(frozen=True)
class Step:
    """What a provisioning hook reports for one machine: still working (``wait`` seconds,
    ``message``), failed for good (``failure``), or done (optionally with the
    ``provider_id`` the infrastructure assigned)."""

    wait: float | None = None
    message: str = ""
    failure: str | None = None
    provider_id: str | None = None


# (ctx, machine object, its Cluster, inventory record) -> Step, while provisioning
Provision = Callable[[Ctx, o.Obj, o.Obj, MachineRecord], Step]
# (ctx, machine object, inventory record) -> requeue seconds while deprovisioning, None when done
Deprovision = Callable[[Ctx, o.Obj, MachineRecord], "float | None"]
# (ctx, infrastructure cluster being deleted) -> None: remove what the cluster check made
ClusterDeprovision = Callable[[Ctx, o.Obj], None]
# (CAPI Machine, its CAPI Cluster) -> (the name the infrastructure gives the machine, its labels)
Describe = Callable[[o.Obj, o.Obj], "tuple[str, dict[str, str]]"]


def _no_check(ctx: Ctx, obj: o.Obj) -> tuple[str, str] | None:
    return None


def owner_of(cluster: o.Obj | None) -> str:
    """The owner identity label value of a CAPI Cluster ('' when it carries none)."""
    return str(o.labels(cluster).get(OWNER_LABEL) or "") if cluster is not None else ""


@dataclass(frozen=True)
class InfraKind:
    """One infrastructure provider's cluster and machine kinds, as the sim plays them.
    ``scheme`` shapes provider IDs (``sim`` -> ``sim://<cluster>/<id>``, others ->
    ``<scheme>://<uuid>``); ``cluster_check`` gates the cluster's readiness (CAPV: the
    ``identityRef`` Secret, which it also adopts); ``cluster_condition`` is the extra
    condition it reports. ``provision`` / ``deprovision`` create and remove real
    infrastructure for a machine (CAPV: a VM in vCenter) before it boots and before its
    inventory record is marked deleted; without them a machine lives in the inventory only.
    ``describe`` names and labels a machine in the inventory (default: the Machine's name,
    no labels besides the owner label); ``machine_condition`` is the condition reporting
    provisioning (CAPV: ``VMProvisioned``); ``recheck_seconds`` re-reads the inventory of a
    running machine that often, so one removed underneath (a deleted container) fails.
    ``cluster_deprovision`` removes the cluster's own infrastructure (CAPD: its load
    balancer container) when the infrastructure cluster is deleted (not for a move)."""

    cluster_kind: str
    machine_kind: str
    scheme: str
    cluster_check: ClusterCheck = _no_check
    cluster_condition: str | None = None
    provision: Provision | None = None
    deprovision: Deprovision | None = None
    describe: Describe | None = None
    machine_condition: str = "VMProvisioned"
    recheck_seconds: float | None = None
    cluster_deprovision: ClusterDeprovision | None = None

    @property
    def cluster_finalizer(self) -> str:
        return f"{self.cluster_kind.lower()}.infrastructure.cluster.x-k8s.io"

    @property
    def machine_finalizer(self) -> str:
        return f"{self.machine_kind.lower()}.infrastructure.cluster.x-k8s.io"


SIM = InfraKind(cluster_kind="SimCluster", machine_kind="SimMachine", scheme="sim")
SIMCLUSTER_FINALIZER = SIM.cluster_finalizer
SIMMACHINE_FINALIZER = SIM.machine_finalizer


def reconcile_simcluster(ctx: Ctx, sc: o.Obj) -> float | None:
    return reconcile_infra_cluster(SIM, ctx, sc)


def reconcile_simmachine(ctx: Ctx, sm: o.Obj) -> float | None:
    return reconcile_infra_machine(SIM, ctx, sm)


# infrastructure cluster -----------------------------------------------------------------
def reconcile_infra_cluster(kind: InfraKind, ctx: Ctx, ic: o.Obj) -> float | None:
    ref = o.owner_of_kind(ic, "Cluster")
    cluster = ctx.get(o.CLUSTER_V, "Cluster", o.namespace(ic), ref["name"]) if ref else None
    cname = ref["name"] if ref else o.cluster_name_of(ic)
    if o.deleting(ic):
        if kind.cluster_finalizer not in o.finalizers(ic) or ctx.paused(ic, cluster):
            return None
        workload = w.workload_cluster_name(cname) if cname else None
        if o.DELETE_FOR_MOVE_ANNOTATION in o.annots(ic) or workload is None:
            ctx.remove_finalizer(ic, kind.cluster_finalizer)
            return None
        if kind.cluster_deprovision is not None:
            kind.cluster_deprovision(ctx, ic)
        if workload == ctx.cluster:
            # a self-managed cluster deleting itself: its machines are gone, and with the
            # last of them its API ends (the finalizer goes first, while the API is there)
            ctx.remove_finalizer(ic, kind.cluster_finalizer)
            w.delete_virtual_cluster(ctx, workload, itself=True)
            return None
        w.delete_virtual_cluster(ctx, workload)
        ctx.remove_finalizer(ic, kind.cluster_finalizer)
        return None
    if cluster is None or cname is None or ctx.paused(ic, cluster):
        return None  # the Cluster controller sets the owner reference first
    ic = ctx.ensure_meta(ic, labels={o.CLUSTER_NAME_LABEL: cname}, finalizer=kind.cluster_finalizer)
    problem = kind.cluster_check(ctx, ic)
    if problem is not None:
        _set_cluster(kind, ctx, ic, problem)
        return CHECK_REQUEUE_SECONDS
    workload = w.workload_cluster_name(cname)
    owner = owner_of(cluster)
    w.ensure_virtual_cluster(ctx, workload, {OWNER_LABEL: owner} if owner else None)
    if not (o.spec(ic).get("controlPlaneEndpoint") or {}).get("host"):
        host, port = w.endpoint(ctx, workload)
        ic = ctx.patch(ic, {"spec": {"controlPlaneEndpoint": {"host": host, "port": port}}}) or ic
    _set_cluster(kind, ctx, ic, None)
    return None


def _set_cluster(kind: InfraKind, ctx: Ctx, ic: o.Obj, problem: tuple[str, str] | None) -> None:
    ok = problem is None
    reason, message = problem or ("", "")
    conds = [o.condition("Ready", ok, reason, message, "Error")]
    if kind.cluster_condition:
        conds.append(o.condition(kind.cluster_condition, ok, reason, message, "Error"))
    desired: dict[str, Any] = {
        "ready": ok,
        "conditions": o.merge_conditions(o.status(ic).get("conditions"), conds),
    }
    if ok:
        desired["initialization"] = {"provisioned": True}
    ctx.set_status(ic, desired)


# infrastructure machine -----------------------------------------------------------------
def owner_key(ctx: Ctx, im: o.Obj) -> str:
    """The identity that provisioning intent is recorded under (stable across restarts)."""
    return f"{ctx.cluster}/{o.namespace(im)}/{o.name(im)}/{im['metadata'].get('uid', '')}"


def reconcile_infra_machine(kind: InfraKind, ctx: Ctx, im: o.Obj) -> float | None:
    ref = o.owner_of_kind(im, "Machine")
    machine = ctx.get(o.CLUSTER_V, "Machine", o.namespace(im), ref["name"]) if ref else None
    cluster = ctx.owner_cluster(machine if machine is not None else im)
    if o.deleting(im):
        return _delete_machine(kind, ctx, im, machine, cluster)
    if machine is None or cluster is None or ctx.paused(im, cluster):
        return None
    cname = o.name(cluster)
    im = ctx.ensure_meta(im, labels={o.CLUSTER_NAME_LABEL: cname}, finalizer=kind.machine_finalizer)
    if not o.status(cluster).get("infrastructureReady"):
        return None
    if not (o.spec(machine).get("bootstrap") or {}).get("dataSecretName"):
        return None  # infrastructure providers wait for bootstrap data
    provider_id = o.spec(im).get("providerID")
    if provider_id:
        record = ctx.inventory.by_provider_id(str(provider_id))
        if record is None or record.state != "running":
            why = "is not in the machine inventory" if record is None else f"is {record.state}"
            return _failed(kind, ctx, im, "UpdateError", f"machine {provider_id} {why}")
        return _running(kind, ctx, im, machine, cname, record)
    record = ctx.inventory.by_owner(owner_key(ctx, im))
    if record is None:
        knobs = ctx.knobs()
        owner = owner_of(cluster)
        name, labels = kind.describe(machine, cluster) if kind.describe else (o.name(machine), {})
        record = ctx.inventory.begin(
            owner_key=owner_key(ctx, im),
            cluster=cname,
            machine=o.name(machine),
            seed=knobs.seed,
            boot_seconds=knobs.boot_seconds,
            jitter_seconds=knobs.boot_jitter_seconds,
            failure_rate=knobs.machine_failure_rate,
            scheme=kind.scheme,
            owner=owner,
            name=name,
            labels={**labels, OWNER_LABEL: owner} if owner else labels,
        )
    if record.state == PROVISIONING and kind.provision is not None:
        step = kind.provision(ctx, im, cluster, record)
        if step.wait is not None:
            _set(kind, ctx, im, ready=False, reason="Provisioning", message=step.message)
            return step.wait
        if step.failure is not None:
            ctx.inventory.mark_failed(record.id, step.failure)
        elif step.provider_id and step.provider_id != record.provider_id:
            ctx.inventory.rebind(record.id, step.provider_id)
        record = ctx.inventory.by_owner(owner_key(ctx, im)) or record
    if record.state == PROVISIONING:
        wait = record.boot_at - time.time()
        if wait > 0:
            _set(kind, ctx, im, ready=False, reason="Provisioning", message=f"booting {record.provider_id}")
            return wait
        if record.fail:
            ctx.inventory.mark_failed(record.id, "simulated boot failure")
        else:
            ctx.inventory.mark_running(record.id)
        record = ctx.inventory.by_owner(owner_key(ctx, im)) or record
    if record.state == FAILED:
        return _failed(kind, ctx, im, "CreateError", f"machine {record.provider_id}: {record.failure}")
    if record.state == DELETED:
        return _failed(kind, ctx, im, "CreateError", f"machine {record.provider_id} was deleted")
    im = ctx.patch(im, {"spec": {"providerID": record.provider_id}}) or im
    return _running(kind, ctx, im, machine, cname, record)


def _running(
    kind: InfraKind, ctx: Ctx, im: o.Obj, machine: o.Obj, cname: str, record: MachineRecord
) -> float | None:
    ip = w.node_ip(record.seq)
    workload = w.workload_cluster_name(cname)
    node = w.ensure_node(ctx, workload, record.name or o.name(machine), record.provider_id, machine, ip)
    if node is None:
        _set(kind, ctx, im, ready=False, reason="WaitingForWorkloadCluster", message=workload)
        return 1.0
    _set(
        kind,
        ctx,
        im,
        ready=True,
        extra={"addresses": [
            {"type": "InternalIP", "address": ip},
            {"type": "Hostname", "address": record.name or o.name(machine)},
        ]},
    )
    return kind.recheck_seconds


def _failed(kind: InfraKind, ctx: Ctx, im: o.Obj, reason: str, message: str) -> float | None:
    _set(
        kind, ctx, im, ready=False, reason="ProvisioningFailed", message=message,
        extra={"failureReason": reason, "failureMessage": message},
    )
    return None


def _set(
    kind: InfraKind,
    ctx: Ctx,
    im: o.Obj,
    *,
    ready: bool,
    reason: str = "",
    message: str = "",
    extra: dict[str, Any] | None = None,
) -> None:
    conds = [o.condition("Ready", ready, reason, message, "Error" if reason == "ProvisioningFailed" else "Info")]
    conds.append(o.condition(kind.machine_condition, ready, reason, message))
    desired: dict[str, Any] = {
        "ready": ready,
        "conditions": o.merge_conditions(o.status(im).get("conditions"), conds),
    }
    if ready:
        desired["initialization"] = {"provisioned": True}
    desired.update(extra or {})
    ctx.set_status(im, desired)


def _delete_machine(
    kind: InfraKind, ctx: Ctx, im: o.Obj, machine: o.Obj | None, cluster: o.Obj | None
) -> float | None:
    if kind.machine_finalizer not in o.finalizers(im) or ctx.paused(im, cluster):
        return None
    if o.DELETE_FOR_MOVE_ANNOTATION not in o.annots(im):
        provider_id = o.spec(im).get("providerID")
        record = (
            ctx.inventory.by_provider_id(str(provider_id))
            if provider_id
            else ctx.inventory.by_owner(owner_key(ctx, im))
        )
        if record is not None:
            if kind.deprovision is not None and record.exists:
                wait = kind.deprovision(ctx, im, record)
                if wait is not None:
                    return wait
            ctx.inventory.mark_deleted(record.id)
            node_name = record.name or (o.name(machine) if machine is not None else record.machine)
            w.delete_node(ctx, w.workload_cluster_name(record.cluster), node_name)
    ctx.remove_finalizer(im, kind.machine_finalizer)
    return None
