"""Find and destroy the VMs one operation made, and nothing else.

Called by ``VSphereProvider.cleanup`` (compensation of a failed or cancelled create, leak
cleanup), straight against vCenter (pyvmomi, and the vAPI tagging endpoint), never through
the simulated infrastructure. A VM is the operation's when it carries its owner identity
(``providers.base.Ownership``): the tag ``<owner id>`` in category ``eksa-temporal-owner``,
or the custom attribute ``eksa-temporal-owner`` with that value. ``mark_owned`` sets both
when a machine is cloned; the attribute still works where tagging is unavailable. Names and
folders are never used, so cluster ``prod`` never takes ``prod-b``'s VMs and a VM a user
named ``prod-...`` is left alone. Templates are never removed (reported kept). Each VM is
powered off, then destroyed. The list is re-read on every run, so the step is idempotent:
killed midway and re-run, it finishes what is left and reaches the same end state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyVmomi import vim, vmodl

from eksa_temporal.logs import get_logger
from eksa_temporal.ownership import OWNER_TAG_CATEGORY
from eksa_temporal.providers.vsphere.inventory import find_datacenter, inventory_path, vm_properties
from eksa_temporal.providers.vsphere.session import Session
from eksa_temporal.providers.vsphere.tags import TagClient, TaggingUnsupported
from eksa_temporal.providers.vsphere.tasks import wait_task

log = get_logger(__name__)
# the custom attribute (vCenter "custom field") holding the owner identity of a VM
OWNER_ATTRIBUTE = OWNER_TAG_CATEGORY


def _attribute_key(content: Any, *, create: bool) -> int | None:
    """The key of the owner custom attribute for VMs (defined when ``create``)."""
    manager = content.customFieldsManager
    if manager is None:
        return None
    for field in manager.field or []:
        if field.name == OWNER_ATTRIBUTE:
            return int(field.key)
    if not create:
        return None
    try:
        return int(manager.AddCustomFieldDef(name=OWNER_ATTRIBUTE, moType=vim.VirtualMachine).key)
    except vim.fault.DuplicateName:  # defined concurrently
        return _attribute_key(content, create=False)


def mark_owned(session: Session, vm: Any, owner: str) -> None:
    """Mark ``vm`` as made by ``owner``: its tag and its custom attribute (idempotent)."""
    try:
        with TagClient(session) as tags:
            tags.attach(vm, OWNER_TAG_CATEGORY, owner)
    except TaggingUnsupported:
        log.warning("vsphere-tagging-unsupported", marked_by="custom attribute only")
    key = _attribute_key(session.content, create=True)
    if key is not None and not _has_attribute(vm.customValue, key, owner):
        session.content.customFieldsManager.SetField(entity=vm, key=key, value=owner)


def _has_attribute(values: Any, key: int, owner: str) -> bool:
    return any(
        getattr(v, "key", None) == key and getattr(v, "value", None) == owner
        for v in values or []
    )


def is_owned(session: Session, vm: Any, owner: str) -> bool:
    """Whether ``vm`` carries ``owner`` (custom attribute or tag); never for an empty owner."""
    if not owner:
        return False
    key = _attribute_key(session.content, create=False)
    if key is not None and _has_attribute(vm.customValue, key, owner):
        return True
    try:
        with TagClient(session) as tags:
            return (OWNER_TAG_CATEGORY, owner) in tags.attached(vm)
    except TaggingUnsupported:
        return False


def _tagged(session: Session, owner: str) -> set[str]:
    try:
        with TagClient(session) as tags:
            return tags.objects_with_tag(OWNER_TAG_CATEGORY, owner)
    except TaggingUnsupported:
        return set()


def owned_vms(session: Session, datacenter: str, owner: str) -> tuple[list[Any], list[str]]:
    """(VMs of ``datacenter`` carrying ``owner`` to remove, paths of owned templates kept)."""
    content = session.content
    dc = find_datacenter(content, datacenter)
    if dc is None or not owner:
        return [], []
    tagged = _tagged(session, owner)
    key = _attribute_key(content, create=False)
    rows = vm_properties(content, dc.vmFolder, ["config.template", "customValue"])
    remove, kept = [], []
    for row in rows:
        vm = row["obj"]
        by_attribute = key is not None and _has_attribute(row.get("customValue"), key, owner)
        if vm._moId not in tagged and not by_attribute:
            continue
        if row.get("config.template"):
            kept.append(inventory_path(vm))
        else:
            remove.append(vm)
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
    session: Session,
    datacenter: str,
    owner: str,
    on_removed: Callable[[str], None] | None = None,
) -> tuple[list[str], list[str]]:
    """Destroy the VMs ``owner`` made; returns (removed paths, kept paths)."""
    remove, kept = owned_vms(session, datacenter, owner)
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
