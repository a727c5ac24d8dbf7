"""Preflight checks against a live vCenter: every problem found, each naming its field.

Called by ``VSphereProvider.preflight`` inside one vCenter session. Checks, in order:
the datacenter; the network; per machine config the datastore, folder, resource pool and
template (with its ``os:<family>`` / ``eksdRelease:<name>`` tags where the server supports
tagging); one ``osFamily`` across machine configs; datastore free space for diskGiB x
machines; and (unless skipped) that nothing answers on the control-plane endpoint IP.
Nothing is changed. Each finding carries the path (``VSphereMachineConfig/cp:
spec.datastore``), what is wrong, and what to do.
"""

from __future__ import annotations

import socket
from typing import Any

from pyVmomi import vim

from eksa_temporal.logs import get_logger
from eksa_temporal.providers.vsphere.errors import VSphereError
from eksa_temporal.providers.vsphere.inventory import find_datacenter, resolve
from eksa_temporal.providers.vsphere.session import Session
from eksa_temporal.providers.vsphere.tags import TagClient, TaggingUnsupported
from eksa_temporal.providers.vsphere.view import ClusterView, MachineView
from eksa_temporal.spec.findings import Finding, Severity

log = get_logger(__name__)
GIB = 1024**3
PROBE_PORTS = (6443, 22, 443)


def _finding(path: str, message: str, remediation: str, check: str, warn: bool = False) -> Finding:
    severity = Severity.WARNING if warn else Severity.ERROR
    return Finding(
        path=path, message=message, remediation=remediation, check=check, severity=severity
    )


class Checker:
    """One preflight run: resolves objects once, collects findings."""

    def __init__(
        self,
        session: Session,
        view: ClusterView,
        *,
        importable_templates: set[str],
        eksd_release: str = "",
    ) -> None:
        self.session = session
        self.view = view
        self.importable = importable_templates
        self.eksd_release = eksd_release
        self.findings: list[Finding] = []
        self.content = session.content

    def _resolve(self, dc: Any, kind: type, path: str, field: str, what: str) -> Any | None:
        try:
            found = resolve(self.content, dc, kind, path)
        except VSphereError as exc:
            self.findings.append(_finding(field, exc.message, exc.remediation, f"vsphere-{what}"))
            return None
        if found is None:
            self.findings.append(
                _finding(
                    field,
                    f"{what} {path!r} not found in datacenter {self.view.datacenter!r}",
                    f"create the {what} in vCenter or set the field to an existing one",
                    f"vsphere-{what}",
                )
            )
        return found

    def run(self, *, skip_ip_check: bool) -> list[Finding]:
        view = self.view
        dc = find_datacenter(self.content, view.datacenter)
        if dc is None:
            self.findings.append(
                _finding(
                    view.dc_field("datacenter"),
                    f"datacenter {view.datacenter!r} not found",
                    "set spec.datacenter to a datacenter of this vCenter",
                    "vsphere-datacenter",
                )
            )
        else:
            self._resolve(dc, vim.Network, view.network, view.dc_field("network"), "network")
            datastores: dict[str, tuple[Any, list[tuple[MachineView, int]]]] = {}
            for machine in view.machines:
                ds = self._resolve(
                    dc, vim.Datastore, machine.datastore, machine.field("datastore"), "datastore"
                )
                if ds is not None:
                    count = sum(g.count for g in view.groups if g.machine.name == machine.name)
                    datastores.setdefault(ds._moId, (ds, []))[1].append((machine, count))
                self._resolve(dc, vim.Folder, machine.folder, machine.field("folder"), "folder")
                self._resolve(
                    dc,
                    vim.ResourcePool,
                    machine.resource_pool,
                    machine.field("resourcePool"),
                    "resourcePool",
                )
                self._template(dc, machine)
            self._space(datastores)
        self._os_family()
        if not skip_ip_check:
            self._endpoint()
        return self.findings

    def _template(self, dc: Any, machine: MachineView) -> None:
        field = machine.field("template")
        if not machine.template:
            self.findings.append(
                _finding(
                    field,
                    "no template is set",
                    "set spec.template to a template VM path",
                    "vsphere-template",
                )
            )
            return
        try:
            vm = resolve(self.content, dc, vim.VirtualMachine, machine.template)
        except VSphereError as exc:
            self.findings.append(_finding(field, exc.message, exc.remediation, "vsphere-template"))
            return
        if vm is None:
            if machine.template in self.importable:
                log.info("vsphere-template-will-import", template=machine.template)
                return
            self.findings.append(
                _finding(
                    field,
                    f"template {machine.template!r} not found",
                    "import the OVA for this Kubernetes version and OS as a template, or fix spec.template",
                    "vsphere-template",
                )
            )
            return
        self._template_tags(vm, machine, field)

    def _template_tags(self, vm: Any, machine: MachineView, field: str) -> None:
        try:
            with TagClient(self.session) as client:
                attached = client.attached(vm)
        except TaggingUnsupported as exc:
            log.warning("vsphere-tags-unsupported", reason=str(exc))
            self.findings.append(
                _finding(
                    field,
                    "tags not checked: the vCenter has no tagging API",
                    "",
                    "vsphere-template-tags",
                    warn=True,
                )
            )
            return
        names = {tag for _, tag in attached} | {f"{cat}:{tag}" for cat, tag in attached}
        want_os = f"os:{machine.os_family}"
        missing = [] if want_os in names else [want_os]
        if self.eksd_release:
            want = f"eksdRelease:{self.eksd_release}"
            if want not in names:
                missing.append(want)
        else:
            minor = self.view.kubernetes_version.replace(".", "-")
            prefix = f"eksdRelease:kubernetes-{minor}-"
            if not any(n.startswith(prefix) for n in names):
                missing.append(f"{prefix}<release>")
        if missing:
            self.findings.append(
                _finding(
                    field,
                    f"template {machine.template!r} lacks the tags {', '.join(missing)}",
                    "tag the template (govc tags.attach) or use the template built for this OS and Kubernetes version",
                    "vsphere-template-tags",
                )
            )

    def _space(self, datastores: dict[str, tuple[Any, list[tuple[MachineView, int]]]]) -> None:
        for ds, users in datastores.values():
            need = sum(m.disk_gib * count for m, count in users) * GIB
            free = int(ds.summary.freeSpace)
            if need > free:
                first = users[0][0]
                names = ", ".join(m.name for m, _ in users)
                self.findings.append(
                    _finding(
                        first.field("datastore"),
                        f"datastore {ds.name!r} has {free // GIB} GiB free but machine configs {names} "
                        f"need {need // GIB} GiB (diskGiB x machines)",
                        "free space on the datastore, pick another datastore, or lower diskGiB",
                        "vsphere-datastore-space",
                    )
                )

    def _os_family(self) -> None:
        families = {m.os_family for m in self.view.machines}
        if len(families) <= 1:
            return
        want = self.view.control_plane.machine.os_family
        for machine in self.view.machines:
            if machine.os_family != want:
                self.findings.append(
                    _finding(
                        machine.field("osFamily"),
                        f"osFamily {machine.os_family!r} differs from the control plane's {want!r}",
                        "use one osFamily for every VSphereMachineConfig",
                        "vsphere-os-family",
                    )
                )

    def _endpoint(self) -> None:
        host = self.view.endpoint_host
        if not host:
            return
        busy = [port for port in PROBE_PORTS if port_open(host, port)]
        if busy:
            self.findings.append(
                _finding(
                    f"Cluster/{self.view.name}: spec.controlPlaneConfiguration.endpoint.host",
                    f"{host} is already in use (answers on port {busy[0]})",
                    "choose an unused IP outside the DHCP range for the control-plane endpoint",
                    "vsphere-endpoint-ip",
                )
            )


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """True when a TCP connection to host:port succeeds within ``timeout``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
