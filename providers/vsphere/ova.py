"""Import a VM template from an OVA: ``ImportVApp`` + ``HttpNfcLease`` uploads, then
``MarkAsTemplate`` and the ``os:`` / ``eksdRelease:`` tags.

Called by ``VSphereProvider.prepare_infrastructure`` for each template the spec names that
is absent and for which an OVA was given. Idempotent: an existing template is left as is.
The imported VM carries the import's owner mark (``import_owner``: tag and custom attribute
``eksa-temporal-owner``, as ``cleanup.mark_owned`` sets them) from the moment it exists, so
a plain VM at the template's path carrying that mark - an import interrupted before it was
marked as a template - is destroyed and the import redone; any other VM there is not ours
and is refused (``VSpherePermanentError`` naming the path), never destroyed. Missing folders
on the template's path are created. The OVA is a local tar file (``path`` or ``file://`` URL).
"""

from __future__ import annotations

import ssl
import tarfile
import time
import urllib.request
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from pyVmomi import vim as _vim

from eksa_temporal.logs import get_logger
from eksa_temporal.ownership import owner_id
from eksa_temporal.providers.vsphere.cleanup import is_owned, mark_owned
from eksa_temporal.providers.vsphere.errors import VSpherePermanentError, VSphereTransientError
from eksa_temporal.providers.vsphere.inventory import find_datacenter, inventory_path, resolve
from eksa_temporal.providers.vsphere.session import Session
from eksa_temporal.providers.vsphere.tags import TagClient, TaggingUnsupported
from eksa_temporal.providers.vsphere.tasks import wait_task
from eksa_temporal.providers.vsphere.view import ClusterView, MachineView

vim: Any = _vim  # the stubs leave the data object constructors untyped
log = get_logger(__name__)
LEASE_WAIT_SECONDS = 120.0


def import_owner(template: str) -> str:
    """The owner mark of every import of ``template`` (its inventory path): whichever run
    imports it, an interrupted import is recognised by the next one."""
    return owner_id("eksa-temporal/ova-import", "/" + template.strip("/"))


def _split(template: str, dc: Any) -> tuple[str, str]:
    """(folder path relative to the dc's vm folder, template name)."""
    path = template.strip("/")
    prefix = inventory_path(dc).strip("/") + "/vm"
    if template.startswith("/"):
        if not path.startswith(prefix + "/"):
            raise VSpherePermanentError(
                f"template {template!r} is not under {'/' + prefix}",
                "use a template path inside the datacenter's vm folder",
            )
        path = path[len(prefix) + 1 :]
    folder, _, name = path.rpartition("/")
    return folder, name


def ensure_folder(dc: Any, rel: str) -> Any:
    """The vm folder at ``rel`` under ``dc``, creating missing levels."""
    folder = dc.vmFolder
    for part in [p for p in rel.split("/") if p]:
        child = next(
            (c for c in folder.childEntity if isinstance(c, vim.Folder) and c.name == part), None
        )
        if child is None:
            try:
                child = folder.CreateFolder(part)
            except vim.fault.DuplicateName:
                child = next(
                    c for c in folder.childEntity if isinstance(c, vim.Folder) and c.name == part
                )
        folder = child
    return folder


def ovf_networks(descriptor: str) -> list[str]:
    """The network names an OVF descriptor declares (its NetworkSection)."""
    root = ElementTree.fromstring(descriptor)
    names = []
    for element in root.iter():
        if element.tag.endswith("}Network") or element.tag == "Network":
            for key, value in element.attrib.items():
                if key.endswith("}name") or key == "name":
                    names.append(value)
    return names


def _ova_file(source: str) -> Path:
    path = Path(source.removeprefix("file://"))
    if not path.is_file():
        raise VSpherePermanentError(
            f"OVA {source!r} not found", "give the path of a local .ova file"
        )
    return path


def _wait_lease(lease: Any) -> None:
    deadline = time.monotonic() + LEASE_WAIT_SECONDS
    while lease.state == vim.HttpNfcLease.State.initializing:
        if time.monotonic() > deadline:
            raise VSphereTransientError("the import lease did not become ready in time")
        time.sleep(0.2)
    if lease.state == vim.HttpNfcLease.State.error:
        raise VSphereTransientError(f"the import lease failed: {lease.error.msg}")


def _upload(session: Session, url: str, data: bytes) -> None:
    target = url.replace("*", f"{session.host}:{session.port}") if "//*" in url else url
    request = urllib.request.Request(target, data=data, method="PUT")
    request.add_header("Content-Type", "application/x-vnd.vmware-streamVmdk")
    request.add_header("Content-Length", str(len(data)))
    context = session.ssl_context if target.startswith("https://") else ssl.create_default_context()
    with urllib.request.urlopen(request, timeout=600, context=context) as resp:
        resp.read()


def import_ova(
    session: Session, view: ClusterView, machine: MachineView, source: str, eksd_release: str = ""
) -> bool:
    """Import ``source`` as ``machine.template``; False when the template already existed."""
    content = session.content
    dc = find_datacenter(content, view.datacenter)
    if dc is None:
        raise VSpherePermanentError(
            f"datacenter {view.datacenter!r} not found", "", view.dc_field("datacenter")
        )
    existing = resolve(content, dc, vim.VirtualMachine, machine.template)
    if existing is not None:
        if existing.config.template:
            return False
        if not is_owned(session, existing, import_owner(machine.template)):
            raise VSpherePermanentError(
                f"a VM that is not a template and was not left by a template import exists at "
                f"{machine.template!r}",
                "remove or rename that VM, or point the machine config's template elsewhere",
                machine.field("template"),
            )
        log.info("vsphere-ova-leftover", template=machine.template)
        if existing.runtime.powerState != "poweredOff":
            wait_task(existing.PowerOffVM_Task())
        wait_task(existing.Destroy_Task())
    pool = resolve(content, dc, vim.ResourcePool, machine.resource_pool)
    datastore = resolve(content, dc, vim.Datastore, machine.datastore)
    if pool is None or datastore is None:
        raise VSpherePermanentError(
            f"cannot import {machine.template!r}: resource pool or datastore not found",
            "fix spec.resourcePool / spec.datastore",
            machine.field("template"),
        )
    rel, name = _split(machine.template, dc)
    folder = ensure_folder(dc, rel)
    ova = _ova_file(source)
    with tarfile.open(ova) as tar:
        members = {m.name: m for m in tar.getmembers()}
        ovf_name = next((n for n in members if n.endswith(".ovf")), None)
        if ovf_name is None:
            raise VSpherePermanentError(f"{source!r} holds no .ovf descriptor", "give a valid OVA")
        descriptor = tar.extractfile(members[ovf_name]).read().decode()  # type: ignore[union-attr]
        network = resolve(content, dc, vim.Network, view.network)
        params = vim.OvfManager.CreateImportSpecParams(entityName=name, diskProvisioning="thin")
        if network is not None:
            params.networkMapping = [
                vim.OvfManager.NetworkMapping(name="VM Network", network=network)
            ]
        result = content.ovfManager.CreateImportSpec(descriptor, pool, datastore, params)
        if result.error:
            raise VSpherePermanentError(
                f"the OVA is not importable: {result.error[0].msg}", "give a valid OVA"
            )
        lease = pool.ImportVApp(result.importSpec, folder)
        try:
            _wait_lease(lease)
            vm = lease.info.entity  # read before Complete: the lease is gone afterwards
            mark_owned(session, vm, import_owner(machine.template))
            items = {item.deviceId: item for item in result.fileItem or []}
            for url in lease.info.deviceUrl:
                item = items.get(url.importKey)
                if item is None or item.path not in members:
                    continue
                _upload(session, url.url, tar.extractfile(members[item.path]).read())  # type: ignore[union-attr]
            lease.HttpNfcLeaseProgress(100)
            lease.HttpNfcLeaseComplete()
        except BaseException:
            lease.HttpNfcLeaseAbort()
            raise
    vm.MarkAsTemplate()
    _tag(session, vm, machine, eksd_release)
    log.info("vsphere-ova-imported", template=machine.template)
    return True


def _tag(session: Session, vm: Any, machine: MachineView, eksd_release: str) -> None:
    try:
        with TagClient(session) as tags:
            tags.attach(vm, "os", f"os:{machine.os_family}")
            if eksd_release:
                tags.attach(vm, "eksdRelease", f"eksdRelease:{eksd_release}")
    except TaggingUnsupported as exc:
        log.warning("vsphere-tags-unsupported", reason=str(exc))
