"""Does vCenter already hold a cluster of this name? (read-only)

The truth a create asks before any side effect (``VSphereProvider.find_existing``). A VM
(not a template) is the cluster's when it carries the tag ``eksa-cluster:<name>``, or when
it sits in one of the folders of the spec's machine configs, is named the way CAPV names
the cluster's machines - control plane ``<name>-xxxxx``, external etcd
``<name>-etcd-xxxxx``, workers ``<name>-<group>-...`` for the spec's worker groups - and
carries no ``eksa-cluster`` tag of another cluster. So ``prod`` never matches
``prod-b-xxxxx`` (``prod-b``'s control plane), though both share the prefix ``prod-``.

VMs carrying the asking create run's owner identity (tag ``<owner id>`` in category
``eksa_temporal.ownership.OWNER_TAG_CATEGORY``, or the custom attribute of that name, as
``cleanup.mark_owned`` sets them) are that run's own; VMs without an owner count as its own
only when another VM of the cluster carries its identity. Without the vAPI tagging
endpoint the names and the custom attribute are checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pyVmomi import vim

from eksa_temporal.ownership import OWNER_TAG_CATEGORY
from eksa_temporal.providers.vsphere.errors import VSphereError
from eksa_temporal.providers.vsphere.inventory import (
    find_datacenter,
    inventory_path,
    resolve,
    vm_properties,
)
from eksa_temporal.providers.vsphere.session import Session
from eksa_temporal.providers.vsphere.tags import TagClient, TaggingUnsupported
from eksa_temporal.providers.vsphere.view import ClusterView

# the category ``machines.clone_machine`` tags a cluster's VMs with (tag = cluster name)
CLUSTER_TAG_CATEGORY = "eksa-cluster"
_SHOWN = 3  # VM paths named in the one-line description


@dataclass(frozen=True)
class FoundVM:
    path: str
    owner: str  # owner identity tag ('' none)


def machine_name_pattern(view: ClusterView) -> re.Pattern[str]:
    """The names CAPV gives the machines of ``view``'s cluster (nothing of a longer name)."""
    name = re.escape(view.name)
    alternatives = [rf"{name}-[a-z0-9]{{5}}", rf"{name}-etcd-[a-z0-9]{{5}}"]
    groups = sorted({g.name.removeprefix(f"{view.name}-") for g in view.workers})
    if groups:
        alternatives.append(rf"{name}-(?:{'|'.join(re.escape(g) for g in groups)})-[a-z0-9-]+")
    return re.compile(rf"^(?:{'|'.join(alternatives)})$")


def _folders(session: Session, dc: Any, view: ClusterView) -> set[str]:
    found: set[str] = set()
    for machine in view.machines:
        try:
            folder = resolve(session.content, dc, vim.Folder, machine.folder) if machine.folder else dc.vmFolder
        except VSphereError:
            folder = None
        if folder is not None:
            found.add(folder._moId)
    return found


def _attribute_owners(content: Any, rows: list[dict[str, Any]]) -> dict[str, str]:
    """VM moref id -> the owner custom attribute's value (VMs that have one)."""
    manager = content.customFieldsManager
    keys = {f.key for f in (manager.field if manager is not None else None) or [] if f.name == OWNER_TAG_CATEGORY}
    owners: dict[str, str] = {}
    for row in rows:
        for value in row.get("customValue") or []:
            text = str(getattr(value, "value", None) or "")
            if getattr(value, "key", None) in keys and text:
                owners[row["obj"]._moId] = text
    return owners


def cluster_vms(session: Session, view: ClusterView) -> list[FoundVM]:
    """Every VM of ``view``'s cluster, with its owner identity ('' none)."""
    dc = find_datacenter(session.content, view.datacenter)
    if dc is None:
        return []
    folders = _folders(session, dc, view)
    pattern = machine_name_pattern(view)
    rows = [
        r
        for r in vm_properties(session.content, dc.vmFolder, ["name", "parent", "config.template", "customValue"])
        if not r.get("config.template")
    ]
    by_attribute = _attribute_owners(session.content, rows)
    named = [
        r
        for r in rows
        if pattern.match(str(r.get("name", ""))) and r.get("parent") is not None and r["parent"]._moId in folders
    ]
    named_ids = {r["obj"]._moId for r in named}
    try:
        with TagClient(session) as tags:
            tagged = tags.objects_with_tag(CLUSTER_TAG_CATEGORY, view.name)
            found = []
            for row in rows:
                vm = row["obj"]
                if vm._moId not in tagged and vm._moId not in named_ids:
                    continue
                attached = tags.attached(vm)
                clusters = {t for c, t in attached if c == CLUSTER_TAG_CATEGORY}
                if clusters - {view.name} and view.name not in clusters:
                    continue  # named like ours, tagged for another cluster
                owners = sorted(t for c, t in attached if c == OWNER_TAG_CATEGORY)
                owner = owners[0] if owners else by_attribute.get(vm._moId, "")
                found.append(FoundVM(inventory_path(vm), owner))
            return found
    except TaggingUnsupported:
        return [FoundVM(inventory_path(r["obj"]), by_attribute.get(r["obj"]._moId, "")) for r in named]


def find_existing(session: Session, view: ClusterView, owner: str) -> str | None:
    """One line naming the cluster's VMs not made by ``owner``; None when there are none."""
    found = cluster_vms(session, view)
    if owner and any(vm.owner == owner for vm in found):
        found = [vm for vm in found if vm.owner not in ("", owner)]
    if not found:
        return None
    paths = sorted(vm.path for vm in found)
    shown = ", ".join(paths[:_SHOWN]) + (f" and {len(paths) - _SHOWN} more" if len(paths) > _SHOWN else "")
    return f"vCenter {view.server} holds {len(paths)} VM(s) of cluster {view.name}: {shown}"
