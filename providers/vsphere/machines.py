"""What CAPV does for one VSphereMachine, for a stand-in controller on a simulator.

``clone_machine`` clones the machine config's template into its folder, resource pool and
datastore, applies ``numCPUs`` / ``memoryMiB`` with a reconfigure (vcsim ignores sizing in
the clone spec), tags it ``eksa-cluster:<cluster>`` (which cluster it serves, read by the
create's existence check, never by cleanup), marks it with the owner identity of the CAPI
Cluster it is for (tag and custom attribute, ``cleanup.mark_owned``) so cleanup finds
exactly it wherever it lands, and powers it on. Idempotent by name: an existing VM in the folder is returned.
Not used against a real vCenter, where the CAPV controller owns machine creation; see
``docs/vsphere.md``.
"""

from __future__ import annotations

from typing import Any

from pyVmomi import vim as _vim

from eksa_temporal.providers.vsphere.cleanup import mark_owned
from eksa_temporal.providers.vsphere.errors import VSpherePermanentError
from eksa_temporal.providers.vsphere.inventory import find_datacenter, resolve
from eksa_temporal.providers.vsphere.session import Session
from eksa_temporal.providers.vsphere.tags import TagClient, TaggingUnsupported
from eksa_temporal.providers.vsphere.tasks import wait_task
from eksa_temporal.providers.vsphere.view import ClusterView, MachineView

vim: Any = _vim  # the stubs leave the data object constructors untyped
CLUSTER_TAG_CATEGORY = "eksa-cluster"


def clone_machine(
    session: Session, view: ClusterView, machine: MachineView, name: str, owner: str = ""
) -> Any:
    """The powered-on VM ``name`` cloned from ``machine.template``, marked as made by
    ``owner`` (an owner identity; empty: unmarked, which no cleanup ever removes)."""
    content = session.content
    dc = find_datacenter(content, view.datacenter)
    if dc is None:
        raise VSpherePermanentError(
            f"datacenter {view.datacenter!r} not found", path=view.dc_field("datacenter")
        )
    found: dict[str, Any] = {
        "template": resolve(content, dc, vim.VirtualMachine, machine.template),
        "folder": resolve(content, dc, vim.Folder, machine.folder),
        "resourcePool": resolve(content, dc, vim.ResourcePool, machine.resource_pool),
        "datastore": resolve(content, dc, vim.Datastore, machine.datastore),
    }
    for field, obj in found.items():
        if obj is None:
            raise VSpherePermanentError(f"{field} not found", "run preflight", machine.field(field))
    folder = found["folder"]
    vm = next(
        (c for c in folder.childEntity if isinstance(c, vim.VirtualMachine) and c.name == name),
        None,
    )
    if vm is None:
        relocate = vim.vm.RelocateSpec(pool=found["resourcePool"], datastore=found["datastore"])
        spec = vim.vm.CloneSpec(location=relocate, template=False, powerOn=False)
        vm = wait_task(found["template"].CloneVM_Task(folder=folder, name=name, spec=spec))
        config = vim.vm.ConfigSpec(numCPUs=machine.num_cpus, memoryMB=machine.memory_mib)
        wait_task(vm.ReconfigVM_Task(spec=config))
    try:
        with TagClient(session) as tags:
            tags.attach(vm, CLUSTER_TAG_CATEGORY, view.name)
    except TaggingUnsupported:
        pass
    if owner:
        mark_owned(session, vm, owner)
    if vm.runtime.powerState != "poweredOn":
        wait_task(vm.PowerOnVM_Task())
    return vm
