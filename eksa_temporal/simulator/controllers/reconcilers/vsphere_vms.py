"""VMs in vCenter for the CAPV stand-in. When the sim's ``vsphere_clone`` knob is on, each
``VSphereMachine`` is cloned from its template by ``providers.vsphere.api.clone_machine``
(folder, resource pool, datastore, sizing, the CAPI Cluster's owner identity as tag and
custom attribute, power on). The
clone logs in to the ``server``/``thumbprint`` of the machine's spec with the credentials
of its VSphereCluster's ``identityRef`` Secret, as CAPV does. The machine's provider ID
becomes ``vsphere://<the VM's BIOS UUID>``. Deleting the VSphereMachine (not for a move)
destroys its VM, found by that UUID (never by a name alone). With the knob off (the
default), machines live in the sim inventory only.

pyvmomi blocks, and the reconcilers run on the emulator's event loop, so every vCenter
job runs on a small thread pool. The reconciler polls the job's future and requeues until
it is done. Jobs are idempotent by VM name: the clone returns an existing VM, and destroying
a VM that is gone does nothing. A restarted sim therefore just submits them again. Bad
credentials, a thumbprint mismatch or a missing template fail the machine for good; other
errors are retried. Credentials stay inside the job and are never logged or written.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from eksa_temporal.simulator.controllers import objects as o
from eksa_temporal.simulator.controllers.context import Ctx
from eksa_temporal.simulator.controllers.inventory import MachineRecord
from eksa_temporal.simulator.controllers.reconcilers.infra import Step, owner_of

log = logging.getLogger(__name__)

POLL_SECONDS = 0.2
RETRY_SECONDS = 2.0
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="capv-standin")
_JOBS: dict[str, Future[str | None]] = {}


@dataclass(frozen=True)
class VMSpec:
    """Where and what to clone for one VSphereMachine (no credentials here)."""

    cluster: str
    name: str
    server: str
    thumbprint: str
    datacenter: str
    template: str
    folder: str
    resource_pool: str
    datastore: str
    num_cpus: int
    memory_mib: int
    owner: str = ""  # the owner identity the VM is marked with


def vm_spec(vm: o.Obj, cluster: str, owner: str = "") -> VMSpec:
    sp = o.spec(vm)
    return VMSpec(
        cluster=cluster,
        name=o.name(vm),
        server=str(sp.get("server") or ""),
        thumbprint=str(sp.get("thumbprint") or ""),
        datacenter=str(sp.get("datacenter") or ""),
        template=str(sp.get("template") or ""),
        folder=str(sp.get("folder") or ""),
        resource_pool=str(sp.get("resourcePool") or ""),
        datastore=str(sp.get("datastore") or ""),
        num_cpus=int(sp.get("numCPUs") or 2),
        memory_mib=int(sp.get("memoryMiB") or 2048),
        owner=owner,
    )


def _credentials(ctx: Ctx, vm: o.Obj, cluster: o.Obj | None) -> tuple[str, str] | None:
    """(username, password) from the identityRef Secret of the machine's VSphereCluster."""
    if cluster is None:
        return None
    vc = ctx.ref(o.spec(cluster).get("infrastructureRef"), o.namespace(cluster))
    ref = o.spec(vc).get("identityRef") if vc is not None else None
    if not ref or (ref.get("kind") or "Secret") != "Secret":
        return None
    secret = ctx.get("v1", "Secret", o.namespace(vm), str(ref.get("name") or ""))
    data = (secret or {}).get("data") or {}
    try:
        user, password = (base64.b64decode(data[k]).decode() for k in ("username", "password"))
    except (KeyError, ValueError):
        return None
    return user, password


def _poll(key: str, job: Callable[[], str | None]) -> Future[str | None] | None:
    """The finished job for ``key`` (removed from the table), or None while it runs."""
    fut = _JOBS.get(key)
    if fut is None:
        fut = _JOBS[key] = _POOL.submit(job)
    if not fut.done():
        return None
    return _JOBS.pop(key)


def _permanent(exc: BaseException) -> bool:
    return bool(getattr(exc, "permanent", False))


# jobs (worker threads) ---------------------------------------------------------------
def _session(spec: VMSpec, creds: tuple[str, str]) -> Any:
    from eksa_temporal.providers.vsphere.api import Credentials, Target, vcenter_session

    login = Credentials(username=creds[0], password=creds[1])  # type: ignore[arg-type]
    return vcenter_session(Target(server=spec.server, thumbprint=spec.thumbprint), login)


def _views(spec: VMSpec) -> tuple[Any, Any]:
    from eksa_temporal.providers.vsphere.api import ClusterView, GroupView, MachineView

    machine = MachineView(
        name=spec.name, datastore=spec.datastore, folder=spec.folder,
        resource_pool=spec.resource_pool, template=spec.template,
        num_cpus=spec.num_cpus, memory_mib=spec.memory_mib,
    )
    view = ClusterView(
        name=spec.cluster, kubernetes_version="", datacenter_name=spec.cluster,
        datacenter=spec.datacenter, server=spec.server, network="", thumbprint=spec.thumbprint,
        control_plane=GroupView(role="control-plane", name=spec.name, count=1, machine=machine),
    )
    return view, machine


def clone_job(spec: VMSpec, creds: tuple[str, str]) -> str:
    """Clone (or find) the VM; returns its BIOS UUID."""
    from eksa_temporal.providers.vsphere.api import clone_machine

    view, machine = _views(spec)
    with _session(spec, creds) as session:
        vm = clone_machine(session, view, machine, spec.name, spec.owner)
        return str(vm.config.uuid)


def destroy_job(spec: VMSpec, creds: tuple[str, str], uuid: str) -> None:
    """Power off and destroy the machine's VM, if present: the VM with BIOS UUID ``uuid``
    (its provider ID), else - a clone that never reported its UUID - the VM named like the
    machine in its folder when it carries the machine's owner identity."""
    from pyVmomi import vim

    from eksa_temporal.providers.vsphere.api import destroy_vm, find_datacenter, is_owned, resolve

    with _session(spec, creds) as session:
        dc = find_datacenter(session.content, spec.datacenter)
        if dc is None:
            return
        index = session.content.searchIndex
        found = index.FindByUuid(datacenter=dc, uuid=uuid, vmSearch=True) if uuid else None
        if found is not None:
            destroy_vm(found)
            return
        folder = resolve(session.content, dc, vim.Folder, spec.folder)
        for child in getattr(folder, "childEntity", None) or []:
            named = isinstance(child, vim.VirtualMachine) and child.name == spec.name
            if named and is_owned(session, child, spec.owner):
                destroy_vm(child)


# hooks (event loop) ------------------------------------------------------------------
def provision_vm(ctx: Ctx, vm: o.Obj, cluster: o.Obj, record: MachineRecord) -> Step:
    if not ctx.knobs().vsphere_clone:
        return Step()
    creds = _credentials(ctx, vm, cluster)
    if creds is None:
        return Step(wait=RETRY_SECONDS, message="waiting for the identityRef Secret")
    spec = vm_spec(vm, o.name(cluster), owner_of(cluster))
    done = _poll(f"clone/{record.owner_key}", lambda: clone_job(spec, creds))
    if done is None:
        return Step(wait=POLL_SECONDS, message=f"cloning VM {spec.name} from {spec.template}")
    exc = done.exception()
    if exc is None:
        return Step(provider_id=f"vsphere://{done.result()}")
    log.warning("capv stand-in: clone of %s failed: %s", spec.name, exc)
    if _permanent(exc):
        return Step(failure=f"clone of VM {spec.name} failed: {exc}")
    return Step(wait=RETRY_SECONDS, message=f"clone of VM {spec.name} failed, retrying: {exc}")


def deprovision_vm(ctx: Ctx, vm: o.Obj, record: MachineRecord) -> float | None:
    if not ctx.knobs().vsphere_clone:
        return None
    cluster = ctx.owner_cluster(vm)
    creds = _credentials(ctx, vm, cluster)
    if creds is None:
        log.warning("capv stand-in: no credentials to destroy VM %s; left to cleanup", o.name(vm))
        return None
    clone = _JOBS.get(f"clone/{record.owner_key}")
    if clone is not None and not clone.done():
        return POLL_SECONDS  # as CAPV: a VM still being cloned is destroyed once its clone ends
    _JOBS.pop(f"clone/{record.owner_key}", None)
    spec = vm_spec(vm, record.cluster, record.owner)
    uuid = record.provider_id.removeprefix("vsphere://")
    done = _poll(f"destroy/{record.owner_key}", lambda: destroy_job(spec, creds, uuid))
    if done is None:
        return POLL_SECONDS
    exc = done.exception()
    if exc is None:
        return None
    log.warning("capv stand-in: destroying VM %s failed: %s", spec.name, exc)
    return None if _permanent(exc) else RETRY_SECONDS
