"""Stand-ins for CAPT's controllers (cluster-api-provider-tinkerbell v0.6.8, EKS-A's bare
metal provider): ``TinkerbellCluster`` and ``TinkerbellMachine``, so a cluster rendered for
Tinkerbell comes up in the sim on the hosts its ``Hardware`` objects describe.

The kinds are reconciled only in a virtual cluster where CAPT's published
``capt-system/capt-controller-manager`` Deployment is Available (the sim ships no CAPT
manifests); the BMC Jobs they create are run by the Rufio stand-in (``rufio.py``), gated on
``rufio-system/rufio-controller-manager``.

- A ``TinkerbellCluster`` is played by the shared infrastructure cluster controller
  (``infra.py``): it keeps the ``controlPlaneEndpoint`` its spec sets, creates the workload
  virtual cluster and reports ``status.ready``.
- A ``TinkerbellMachine`` (once its Machine has bootstrap data) claims one Hardware of its
  namespace matching its ``hardwareAffinity`` (``tinkerbell_hardware.py``; never one claimed
  already), records ``spec.hardwareName`` and ``spec.providerID``
  ``tinkerbell://<namespace>/<hardware>`` as CAPT does, then - when the Hardware has a
  ``bmcRef`` - powers the host off, sets a one-time PXE boot and powers it on through a
  Rufio ``Job`` ``<machine>-provision`` (owned by the TinkerbellMachine, as CAPT's), waits for
  it to complete, then creates the Tink ``Template`` and ``Workflow`` named like the machine
  (run by the Tink stand-in, ``tink.py``, gated on ``tink-system/tink-controller-manager``),
  waits for the workflow's ``STATE_SUCCESS``, and becomes ready: the workload cluster's Node
  is named by the Hardware's hostname with the Hardware's DHCP address as ``InternalIP``;
  ``status.addresses`` lists both. The Hardware's interfaces get ``netboot.allowPXE: false``
  (CAPT v0.6's mark of an installed host). With no free matching Hardware the machine waits (a ``NoHardwareAvailable``
  Warning Event on it; CAPT's status has no conditions) and looks again every few seconds.
- Each host is a row of the sim's machine inventory keyed by its provider ID (name = the
  hostname, labels = hardware name, MAC and the CAPI Cluster's owner label), so a restarted
  sim resumes the same host, and a TinkerbellMachine moved to another cluster (it keeps
  ``spec.hardwareName`` / ``providerID``, and the Hardware keeps its owner labels) adopts its
  host without powering it again.
- Deleting a TinkerbellMachine (not for a move: clusterctl's ``delete-for-move`` annotation,
  or a paused Cluster, leave the host alone) powers the host off through a Job
  ``<machine>-poweroff``, releases the Hardware (owner labels and finalizer removed, PXE
  allowed again: back in the pool), removes the Node and then the finalizer. A failed power-off Job keeps the machine (as CAPT,
  which retries until it completes).
"""

from __future__ import annotations

import time
from typing import Any

import yaml

from eksa_temporal.ownership import OWNER_LABEL
from eksa_temporal.simulator.controllers import objects as o
from eksa_temporal.simulator.controllers import workload as w
from eksa_temporal.simulator.controllers.context import Ctx
from eksa_temporal.simulator.controllers.inventory import (
    FAILED,
    PROVISIONING,
    RUNNING,
    MachineRecord,
)
from eksa_temporal.simulator.controllers.reconcilers import rufio, tink
from eksa_temporal.simulator.controllers.reconcilers import tinkerbell_hardware as hwr
from eksa_temporal.simulator.controllers.reconcilers.infra import (
    InfraKind,
    owner_key,
    owner_of,
    reconcile_infra_cluster,
)

SCHEME = "tinkerbell"
HARDWARE_LABEL = "tinkerbell.org/hardware"
MAC_LABEL = "tinkerbell.org/mac"
NO_HARDWARE_SECONDS = 5.0
RETRY_SECONDS = 2.0
CONFLICT_SECONDS = 0.05

TINKERBELL = InfraKind(cluster_kind="TinkerbellCluster", machine_kind="TinkerbellMachine", scheme=SCHEME)
MACHINE_FINALIZER = TINKERBELL.machine_finalizer


def provider_id(hw: o.Obj) -> str:
    """CAPT's provider ID of a host: ``tinkerbell://<namespace>/<hardware name>``."""
    return f"{SCHEME}://{o.namespace(hw)}/{o.name(hw)}"


def reconcile_tinkerbellcluster(ctx: Ctx, tc: o.Obj) -> float | None:
    return reconcile_infra_cluster(TINKERBELL, ctx, tc)


def reconcile_tinkerbellmachine(ctx: Ctx, tm: o.Obj) -> float | None:
    ref = o.owner_of_kind(tm, "Machine")
    machine = ctx.get(o.CLUSTER_V, "Machine", o.namespace(tm), ref["name"]) if ref else None
    cluster = ctx.owner_cluster(machine if machine is not None else tm)
    if o.deleting(tm):
        return _delete(ctx, tm, cluster)
    if machine is None or cluster is None or ctx.paused(tm, cluster):
        return None
    cname = o.name(cluster)
    tm = ctx.ensure_meta(tm, labels={o.CLUSTER_NAME_LABEL: cname}, finalizer=MACHINE_FINALIZER)
    if not o.status(cluster).get("infrastructureReady"):
        return None
    if not (o.spec(machine).get("bootstrap") or {}).get("dataSecretName"):
        return None  # infrastructure providers wait for bootstrap data
    hw, wait = _hardware(ctx, tm)
    if hw is None:
        return wait
    pid = provider_id(hw)
    sp = o.spec(tm)
    if sp.get("hardwareName") != o.name(hw) or sp.get("providerID") != pid:
        tm = ctx.patch(tm, {"spec": {"hardwareName": o.name(hw), "providerID": pid}}) or tm
    record = _record(ctx, tm, hw, cluster)
    if record.state == PROVISIONING:
        wait = _provision(ctx, tm, hw, record)
        if wait is not None:
            return wait
        record = ctx.inventory.by_owner(owner_key(ctx, tm)) or record
    if record.state != RUNNING:
        message = f"host {o.name(hw)} is {record.state}: {record.failure or ''}".rstrip(": ")
        ctx.set_status(tm, {**o.status(tm), "ready": False, "errorReason": "CreateError", "errorMessage": message})
        return None
    return _running(ctx, tm, hw, machine, cname)


# claim -------------------------------------------------------------------------------------
def _hardware(ctx: Ctx, tm: o.Obj) -> tuple[o.Obj | None, float | None]:
    """The machine's Hardware: the one it names (a moved machine keeps it) or has claimed,
    else a newly claimed one; (None, requeue seconds) while there is none."""
    named = str(o.spec(tm).get("hardwareName") or "")
    if named:
        hw = ctx.get(hwr.HARDWARE_V, "Hardware", o.namespace(tm), named)
        if hw is None:
            _event(ctx, tm, "HardwareNotFound", f"Hardware {o.namespace(tm)}/{named} not found")
            return None, NO_HARDWARE_SECONDS
        if hwr.owned_by(hw, tm):
            return hw, None
        if hwr.owner_of(hw) is not None:
            name, ns = hwr.owner_of(hw) or ("", "")
            _event(ctx, tm, "HardwareClaimed", f"Hardware {named} is claimed by {ns}/{name}")
            return None, NO_HARDWARE_SECONDS
        claimed = hwr.claim(ctx, tm, hw)  # its own host, released underneath: take it back
        return (claimed, None) if claimed is not None else (None, CONFLICT_SECONDS)
    hw = hwr.assigned(ctx, tm)
    if hw is not None:
        return hw, None
    free = hwr.candidates(ctx, tm)
    if not free:
        _event(ctx, tm, "NoHardwareAvailable", "no hardware available: no unclaimed Hardware in "
               f"{o.namespace(tm)} matches the machine's hardwareAffinity")
        return None, NO_HARDWARE_SECONDS
    claimed = hwr.claim(ctx, tm, free[0])
    if claimed is None:
        return None, CONFLICT_SECONDS  # another machine claimed it first: select again
    return claimed, None


def _record(ctx: Ctx, tm: o.Obj, hw: o.Obj, cluster: o.Obj) -> MachineRecord:
    """The inventory row of the machine's host (created on first sight; a row of the same
    host still provisioning or running - a moved machine's - is taken over)."""
    owner = owner_of(cluster)
    labels = {HARDWARE_LABEL: o.name(hw), MAC_LABEL: hwr.mac(hw)}
    if owner:
        labels[OWNER_LABEL] = owner
    knobs = ctx.knobs()
    return ctx.inventory.begin(
        owner_key=owner_key(ctx, tm),
        cluster=o.name(cluster),
        machine=o.name(tm),
        seed=knobs.seed,
        boot_seconds=knobs.boot_seconds,
        jitter_seconds=knobs.boot_jitter_seconds,
        failure_rate=0.0,  # a host boots; failures come from its BMC
        scheme=SCHEME,
        owner=owner,
        name=hwr.hostname(hw),
        labels=labels,
        provider_id=provider_id(hw),
    )


# provisioning ------------------------------------------------------------------------------
def _provision(ctx: Ctx, tm: o.Obj, hw: o.Obj, record: MachineRecord) -> float | None:
    """Power the host on for PXE through Rufio, then wait its boot; None when running."""
    if o.spec(hw).get("bmcRef"):
        efi = bool(hwr.interface(hw).get("uefi"))
        tasks: list[dict[str, Any]] = [
            {"powerAction": "off"},
            {"oneTimeBootDeviceAction": {"device": ["pxe"], "efiBoot": efi}},
            {"powerAction": "on"},
        ]
        job, wait = _job(ctx, tm, hw, "provision", tasks)
        if job is None or not rufio.job_condition(job, rufio.COMPLETED):
            if job is not None and rufio.job_condition(job, rufio.FAILED):
                _event(ctx, tm, "BMCJobFailed", f"bmc job {o.namespace(job)}/{o.name(job)} failed: {rufio.job_message(job)}")
            _set(ctx, tm, ready=False)
            return wait
    wf = _workflow(ctx, tm, hw)
    state = str(o.status(wf).get("state") or "") if wf is not None else ""
    if state != tink.SUCCESS:
        if state in (tink.FAILED, tink.TIMEOUT):
            _event(ctx, tm, "WorkflowFailed", f"workflow {o.namespace(tm)}/{o.name(tm)} {state}")
        _set(ctx, tm, ready=False)
        return RETRY_SECONDS
    remaining = record.boot_at - time.time()
    if remaining > 0:
        _set(ctx, tm, ready=False)
        return remaining
    ctx.inventory.mark_running(record.id)
    return None


def _job(ctx: Ctx, tm: o.Obj, hw: o.Obj, purpose: str, tasks: list[dict[str, Any]]) -> tuple[o.Obj | None, float]:
    """The machine's Rufio Job ``<machine>-<purpose>`` (created when missing; a stale one
    of an earlier machine of the same name is deleted first); (job, requeue seconds)."""
    ns = o.namespace(hw)
    name = f"{o.name(tm)}-{purpose}"
    job = ctx.get(rufio.BMC_V, "Job", ns, name)
    if job is not None and not o.owned_by(job, tm):
        ctx.delete(job)
        return None, RETRY_SECONDS
    if job is None:
        bmc = o.spec(hw).get("bmcRef") or {}
        ctx.create({
            "apiVersion": rufio.BMC_V,
            "kind": "Job",
            "metadata": {"name": name, "namespace": ns, "ownerReferences": [o.owner_ref(tm)]},
            "spec": {"machineRef": {"name": bmc.get("name"), "namespace": ns}, "tasks": tasks},
        })
        return ctx.get(rufio.BMC_V, "Job", ns, name), RETRY_SECONDS
    if rufio.job_condition(job, rufio.FAILED):
        return job, 10.0
    return job, RETRY_SECONDS  # its status changes re-queue the owner


def _workflow(ctx: Ctx, tm: o.Obj, hw: o.Obj) -> o.Obj | None:
    """The machine's Tink Template and Workflow (named like the machine, owned by it; the
    Template's data is ``spec.templateOverride`` - EKS-A renders it - or CAPT's default
    actions), created when missing."""
    ns = o.namespace(tm)
    if ctx.get(tink.TINK_V, "Template", ns, o.name(tm)) is None:
        data = str(o.spec(tm).get("templateOverride") or "") or default_template(o.name(tm), hw)
        ctx.create({"apiVersion": tink.TINK_V, "kind": "Template",
                    "metadata": {"name": o.name(tm), "namespace": ns,
                                 "ownerReferences": [o.owner_ref(tm, controller=False)]},
                    "spec": {"data": data}})
    wf = ctx.get(tink.TINK_V, "Workflow", ns, o.name(tm))
    if wf is None:
        instance = (o.spec(hw).get("metadata") or {}).get("instance") or {}
        ctx.create({"apiVersion": tink.TINK_V, "kind": "Workflow",
                    "metadata": {"name": o.name(tm), "namespace": ns, "ownerReferences": [o.owner_ref(tm)]},
                    "spec": {"templateRef": o.name(tm), "hardwareRef": o.name(hw),
                             "hardwareMap": {"device_1": str(instance.get("id") or hwr.mac(hw))}}})
        wf = ctx.get(tink.TINK_V, "Workflow", ns, o.name(tm))
    return wf


def default_template(name: str, hw: o.Obj) -> str:
    """CAPT's default template: stream the OS image to the first disk, add cloud-init's
    datasource, kexec into it (the sim runs no action; their names show progress)."""
    disk = str(((o.spec(hw).get("disks") or [{}])[0]).get("device") or "/dev/sda")
    actions = [
        {"name": "stream-image", "image": "quay.io/tinkerbell-actions/oci2disk:v1.0.0", "timeout": 600,
         "environment": {"DEST_DISK": disk}},
        {"name": "add-tink-cloud-init-config", "image": "quay.io/tinkerbell-actions/writefile:v1.0.0",
         "timeout": 90},
        {"name": "add-tink-cloud-init-ds-config", "image": "quay.io/tinkerbell-actions/writefile:v1.0.0",
         "timeout": 90},
        {"name": "kexec-image", "image": "quay.io/tinkerbell-actions/kexec:v1.0.0", "timeout": 90},
    ]
    data = {"version": "0.1", "name": name, "global_timeout": 6000,
            "tasks": [{"name": name, "worker": "{{.device_1}}", "actions": actions}]}
    return str(yaml.safe_dump(data, sort_keys=False))


def _running(ctx: Ctx, tm: o.Obj, hw: o.Obj, machine: o.Obj, cname: str) -> float | None:
    host, ip = hwr.hostname(hw), hwr.ip_address(hw)
    workload = w.workload_cluster_name(cname)
    node = w.ensure_node(ctx, workload, host, provider_id(hw), machine, ip)
    if node is None:
        _set(ctx, tm, ready=False)
        return 1.0
    if not hwr.provisioned(hw) and hwr.mark_provisioned(ctx, hw) is None:
        return CONFLICT_SECONDS
    addresses = [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": host}]
    _set(ctx, tm, ready=True, addresses=addresses)
    return None


def _set(ctx: Ctx, tm: o.Obj, *, ready: bool, addresses: list[dict[str, str]] | None = None) -> None:
    desired: dict[str, Any] = {k: v for k, v in o.status(tm).items() if k not in ("errorReason", "errorMessage")}
    desired["ready"] = ready
    if addresses is not None:
        desired["addresses"] = addresses
    ctx.set_status(tm, desired)


def _event(ctx: Ctx, obj: o.Obj, reason: str, message: str) -> None:
    """A Warning Event on ``obj`` (one per reason, its message kept current)."""
    ns = o.namespace(obj)
    name = f"{o.name(obj)}.{o.short_hash(reason, 8)}"
    current = ctx.get("v1", "Event", ns, name)
    if current is not None:
        if current.get("message") != message:
            ctx.patch(current, {"message": message, "lastTimestamp": o.now_iso(),
                                "count": int(current.get("count") or 1) + 1})
        return
    ctx.create({
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": ns},
        "involvedObject": {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": o.name(obj),
                           "namespace": ns, "uid": obj["metadata"].get("uid", "")},
        "reason": reason,
        "message": message,
        "type": "Warning",
        "source": {"component": "capt-controller-manager"},
        "firstTimestamp": o.now_iso(),
        "lastTimestamp": o.now_iso(),
        "count": 1,
    })


# deletion ----------------------------------------------------------------------------------
def _delete(ctx: Ctx, tm: o.Obj, cluster: o.Obj | None) -> float | None:
    if MACHINE_FINALIZER not in o.finalizers(tm) or ctx.paused(tm, cluster):
        return None
    if o.DELETE_FOR_MOVE_ANNOTATION not in o.annots(tm):
        named = str(o.spec(tm).get("hardwareName") or "")
        hw = ctx.get(hwr.HARDWARE_V, "Hardware", o.namespace(tm), named) if named else hwr.assigned(ctx, tm)
        if hw is not None and hwr.owned_by(hw, tm):
            if o.spec(hw).get("bmcRef"):
                job, wait = _job(ctx, tm, hw, "poweroff", [{"powerAction": "off"}])
                if job is None or not rufio.job_condition(job, rufio.COMPLETED):
                    if job is not None and rufio.job_condition(job, rufio.FAILED):
                        _event(ctx, tm, "BMCJobFailed",
                               f"bmc job {o.namespace(job)}/{o.name(job)} failed: {rufio.job_message(job)}")
                    return wait
            if not hwr.release(ctx, hw):
                return CONFLICT_SECONDS
        for kind in ("Workflow", "Template"):  # CAPT's removeDependencies
            dependant = ctx.get(tink.TINK_V, kind, o.namespace(tm), o.name(tm))
            if dependant is not None and o.owned_by(dependant, tm):
                ctx.delete(dependant)
        record = ctx.inventory.by_owner(owner_key(ctx, tm))
        pid = o.spec(tm).get("providerID")
        if record is None and pid:
            record = ctx.inventory.by_provider_id(str(pid))
        if record is not None and record.state in (PROVISIONING, RUNNING, FAILED):
            ctx.inventory.mark_deleted(record.id)
            w.delete_node(ctx, w.workload_cluster_name(record.cluster), record.name)
    ctx.remove_finalizer(tm, MACHINE_FINALIZER)
    return None
