"""Resolve spec inventory paths to vSphere objects the way govc does, and list VMs.

A path is either a full inventory path (``/DC0/datastore/ds1``, ``/DC0/vm/Templates/ubuntu``,
``/DC0/host/C0/Resources``) looked up with ``SearchIndex.FindByInventoryPath``, or a name
relative to the datacenter's folder for that kind (``ds1``, ``Templates/ubuntu``,
``C0/Resources``), or a glob (``*/Resources``) matched against every object of that kind
under the datacenter; a glob or bare name matching several objects is ambiguous and an
error, as in govc. Called by preflight, OVA import and cleanup.
"""

from __future__ import annotations

import fnmatch
from typing import Any

from pyVmomi import vim
from pyVmomi import vmodl as _vmodl

from eksa_temporal.providers.vsphere.errors import VSpherePermanentError

vmodl: Any = _vmodl
_vim_any: Any = vim  # the stubs leave the data object constructors untyped

# which datacenter folder a relative path of each kind lives under
_FOLDER: dict[Any, str] = {
    vim.Datastore: "datastore",
    vim.Network: "network",
    vim.Folder: "vm",
    vim.VirtualMachine: "vm",
    vim.ResourcePool: "host",
}


def find_datacenter(content: Any, name: str) -> Any | None:
    """The datacenter at ``name`` (``DC0``, ``/DC0`` or ``/folder/DC0``), else None."""
    found = content.searchIndex.FindByInventoryPath(name.strip("/"))
    if isinstance(found, vim.Datacenter):
        return found
    for dc in _objects(content, content.rootFolder, vim.Datacenter):
        if dc.name == name.strip("/"):
            return dc
    return None


def _objects(content: Any, root: Any, kind: type) -> list[Any]:
    view = content.viewManager.CreateContainerView(root, [kind], True)
    try:
        return list(view.view)
    finally:
        view.Destroy()


def _root_id(obj: Any) -> str:
    """The moref id of the root folder of ``obj``'s server (cached per connection)."""
    key = id(obj._stub)
    if key not in _ROOTS:
        si = _vim_any.ServiceInstance("ServiceInstance", obj._stub)
        _ROOTS[key] = si.RetrieveContent().rootFolder._moId
    return _ROOTS[key]


_ROOTS: dict[int, str] = {}


def inventory_path(obj: Any, stop: Any = None) -> str:
    """``/DC0/vm/folder/name``; relative to ``stop`` (exclusive) when given."""
    root = _root_id(obj)
    parts: list[str] = []
    node = obj
    # never read the root folder's ``parent``: it is unset and some servers fault on it
    while node is not None and node._moId != root and (stop is None or node._moId != stop._moId):
        parts.append(node.name)
        node = node.parent
    return "/" + "/".join(reversed(parts))


def resolve(content: Any, dc: Any, kind: type, path: str) -> Any | None:
    """The single object of ``kind`` that ``path`` names under ``dc``; None when absent.
    Raises ``VSpherePermanentError`` when a glob or bare name is ambiguous."""
    index = content.searchIndex
    text = path.strip()
    if not text:
        return None
    candidates = []
    if text.startswith("/"):
        candidates.append(text.strip("/"))
    else:
        candidates.append(f"{inventory_path(dc).strip('/')}/{_FOLDER[kind]}/{text}")
    if kind is vim.Network and "/" not in text.strip("/"):
        candidates.append(f"{inventory_path(dc).strip('/')}/network/{text}")
    for candidate in candidates:
        if any(ch in candidate for ch in "*?["):
            continue
        found = index.FindByInventoryPath(candidate)
        if isinstance(found, kind):
            return found
    return _match(content, dc, kind, text)


def _match(content: Any, dc: Any, kind: type, text: str) -> Any | None:
    """govc's fallback: a glob over inventory paths, or a bare name anywhere under dc."""
    folder = getattr(dc, f"{_FOLDER[kind]}Folder")
    pattern = text.strip("/")
    matches = []
    for obj in _objects(content, folder, kind):
        rel = inventory_path(obj, folder).strip("/")
        full = inventory_path(obj).strip("/")
        if (
            fnmatch.fnmatchcase(rel, pattern)
            or fnmatch.fnmatchcase(full, pattern)
            or ("/" not in pattern and obj.name == pattern)
        ):
            matches.append(obj)
    if len(matches) > 1:
        names = ", ".join(sorted(inventory_path(m) for m in matches))
        raise VSpherePermanentError(
            f"{text!r} resolves to several objects: {names}",
            "use the full inventory path (e.g. /<datacenter>/...)",
        )
    return matches[0] if matches else None


def vm_properties(content: Any, root: Any, props: list[str]) -> list[dict[str, Any]]:
    """``props`` (plus ``obj``) of every VM under ``root`` in one PropertyCollector call."""
    view = content.viewManager.CreateContainerView(root, [vim.VirtualMachine], True)
    try:
        traversal = vmodl.query.PropertyCollector.TraversalSpec(
            name="view", path="view", skip=False, type=vim.view.ContainerView
        )
        spec = vmodl.query.PropertyCollector.FilterSpec(
            objectSet=[
                vmodl.query.PropertyCollector.ObjectSpec(obj=view, skip=True, selectSet=[traversal])
            ],
            propSet=[
                vmodl.query.PropertyCollector.PropertySpec(type=vim.VirtualMachine, pathSet=props)
            ],
        )
        rows = []
        for item in content.propertyCollector.RetrieveContents([spec]):
            row: dict[str, Any] = {"obj": item.obj}
            for prop in item.propSet:
                row[prop.name] = prop.val
            rows.append(row)
        return rows
    finally:
        view.Destroy()
