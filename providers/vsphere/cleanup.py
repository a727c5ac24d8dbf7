"""Find and destroy every VM that belongs to a cluster, and nothing else.

Called by ``VSphereProvider.cleanup`` (delete, or clean-up after a failed create). A VM
belongs to cluster ``c`` when it is not a template and either its name starts with
``c-`` and it sits in one of the folders of the cluster's machine configs, or it carries
the tag ``eksa-cluster:c`` (category ``eksa-cluster``). Each is powered off, then
destroyed. The list is re-read on every run, so the step is idempotent: killed midway and
re-run, it finishes what is left and reaches the same end state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyVmomi import vim, vmodl

from eksa_temporal.logs import get_logger

from .errors import VSphereError
from .inventory import find_datacenter, inventory_path, resolve, vm_properties
from .session import Session
from .tags import TagClient, TaggingUnsupported
from .tasks import wait_task
from .view import ClusterView

log = get_logger(__name__)
OWNER_TAG_CATEGORY = "eksa-cluster"


def _folders(session: Session, dc: Any, view: ClusterView) -> set[str]:
    found = set()
    for machine in view.machines:
        try:
            folder = (
                resolve(session.content, dc, vim.Folder, machine.folder)
                if machine.folder
                else dc.vmFolder
            )
        except VSphereError:
            folder = None
        if folder is not None:
            found.add(folder._moId)
    return found


def _tagged(session: Session, cluster: str) -> set[str]:
    try:
        with TagClient(session) as tags:
            return tags.objects_with_tag(OWNER_TAG_CATEGORY, cluster)
    except TaggingUnsupported:
        return set()


def cluster_vms(session: Session, view: ClusterView) -> tuple[list[Any], list[str]]:
    """(VMs to remove, paths of same-prefix VMs kept because they are not the cluster's)."""
    content = session.content
    dc = find_datacenter(content, view.datacenter)
    if dc is None:
        return [], []
    folders = _folders(session, dc, view)
    tagged = _tagged(session, view.name)
    prefix = f"{view.name}-"
    rows = vm_properties(content, dc.vmFolder, ["name", "parent", "config.template"])
    remove, kept = [], []
    for row in rows:
        vm = row["obj"]
        is_template = bool(row.get("config.template"))
        by_name = (
            row.get("name", "").startswith(prefix)
            and row.get("parent") is not None
            and row["parent"]._moId in folders
        )
        if (by_name or vm._moId in tagged) and not is_template:
            remove.append(vm)
        elif row.get("name", "").startswith(prefix):
            kept.append(inventory_path(vm))
    return remove, sorted(kept)


def destroy_vm(vm: Any) -> None:
    """Power off (when on), then destroy; a VM already gone is not an error."""
    try:
        if vm.runtime.powerState != "poweredOff":
            wait_task(vm.PowerOffVM_Task())
        wait_task(vm.Destroy_Task())
    except vim.fault.InvalidState:
        wait_task(vm.Destroy_Task())
    except vmodl.fault.ManagedObjectNotFound:
        pass


def cleanup_vms(
    session: Session, view: ClusterView, on_removed: Callable[[str], None] | None = None
) -> tuple[list[str], list[str]]:
    """Destroy the cluster's VMs; returns (removed paths, kept paths)."""
    remove, kept = cluster_vms(session, view)
    removed = []
    for vm in remove:
        try:
            path = inventory_path(vm)
        except vmodl.fault.ManagedObjectNotFound:
            continue
        destroy_vm(vm)
        log.info("vsphere-vm-removed", vm=path)
        removed.append(path)
        if on_removed is not None:
            on_removed(path)
    return removed, kept
