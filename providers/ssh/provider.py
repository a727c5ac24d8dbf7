"""``SSHProvider``: clusters on hosts that already run an OS and are reached over SSH (as
KubeOne and k0sctl users bring them), with the worker as the infrastructure provider.

The spec lists the hosts (``SSHDatacenterConfig``) and, per node group, which hosts it may
take (``SSHMachineConfig.hostSelector``). Credentials are references: the private key
file and the known-hosts file must exist and be readable (their contents are never read
here). Preflight connects to every host in parallel (host keys pinned; first contact only
where the inventory allows it) and checks OS, CPU and memory against the machine configs,
swap, ports, clock skew and disk, changing nothing. The CAPI objects are rendered by
``render``; the infrastructure component is our CRDs only (``crds/``), and the
``SSHCluster`` / ``SSHMachine`` objects are reconciled by ``controller.HostController``,
which the lifecycle runs while it waits on them (``infrastructure_controller``).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from types import ModuleType
from typing import Any, ClassVar

from eksa_temporal.kube.client import kube_for
from eksa_temporal.logs import get_logger
from eksa_temporal.providers.base import (
    ComponentRef,
    PreflightOptions,
    Provider,
    ProviderContext,
    RenderContext,
    SpecRule,
)
from eksa_temporal.providers.capi.release import DEFAULT_RELEASE
from eksa_temporal.providers.ssh import spec_example
from eksa_temporal.providers.ssh.access import SSHAccess
from eksa_temporal.providers.ssh.controller import HostAccess, HostController, running
from eksa_temporal.providers.ssh.hostcheck import HostRequirements, check_hosts
from eksa_temporal.providers.ssh.inventory import demands, inventory, inventory_rules, matches
from eksa_temporal.providers.ssh.kubeapi import ClusterApi
from eksa_temporal.providers.ssh.render import endpoint, render
from eksa_temporal.providers.ssh.spec_kinds import SSHDatacenterConfig, SSHMachineConfig
from eksa_temporal.spec.clusterspec import ClusterSpec
from eksa_temporal.spec.findings import Finding

log = get_logger(__name__)
COMPONENT = "ssh"
DATACENTER_PATH = "SSHDatacenterConfig.spec"


class SSHProvider(Provider):
    """Hosts over SSH, the worker as their infrastructure controller; see the module docstring."""

    name = "ssh"
    datacenter_kinds = ("SSHDatacenterConfig",)
    datacenter_model = SSHDatacenterConfig
    machine_model = SSHMachineConfig
    spec_example: ClassVar[ModuleType | None] = spec_example

    def __init__(self, access: HostAccess | None = None, *, interval: float = 1.0) -> None:
        """``access``: the host operations (default: SSH through paramiko, made on first
        use); ``interval``: seconds between the controller's passes."""
        self._access = access
        self.interval = interval

    def access(self) -> HostAccess:
        if self._access is None:
            self._access = SSHAccess()
        return self._access

    # -- facts -------------------------------------------------------------------------------
    def infrastructure_component(self) -> ComponentRef:
        return ComponentRef(name=COMPONENT, version=DEFAULT_RELEASE.version(f"infrastructure-{COMPONENT}"))

    def spec_rules(self) -> list[SpecRule]:
        return [inventory_rules]

    def render_capi_objects(self, spec: ClusterSpec, ctx: RenderContext) -> list[dict[str, Any]]:
        return render(spec, ctx.namespace)

    # -- validation ----------------------------------------------------------------------------
    def validate_credentials(self, spec: ClusterSpec) -> list[Finding]:
        """Every host's private key file is readable and its known-hosts file exists (or
        the host allows first contact); the files' contents are not read."""
        findings: list[Finding] = []
        for host in inventory(spec):
            key = host.private_key_file
            if not key or not os.access(key, os.R_OK):
                findings.append(Finding(
                    path=f"{DATACENTER_PATH}.privateKeyFile",
                    message=f"host {host.name}: the private key file {key or '(none)'} is missing or not readable",
                    remediation="point privateKeyFile at a readable private key (a path; the key never goes into the spec)",
                    check="ssh-credentials",
                ))
            known = host.known_hosts_file
            if not host.first_contact and (not known or not os.path.exists(known)):
                findings.append(Finding(
                    path=f"{DATACENTER_PATH}.knownHostsFile",
                    message=f"host {host.name}: the known-hosts file {known or '(none)'} does not exist, so its host key cannot be verified",
                    remediation="add the host's key to the known-hosts file (ssh-keyscan, checked), or set firstContact: true for that host",
                    check="ssh-credentials",
                ))
        return findings

    def preflight(self, spec: ClusterSpec, options: PreflightOptions) -> list[Finding]:
        """The credentials, the inventory rules, then every host over SSH in parallel
        against the requirements of the node group whose selector it matches."""
        findings = self.validate_credentials(spec) + inventory_rules(spec)
        if findings:
            return findings
        hosts = inventory(spec)
        checked: list[Finding] = check_hosts(hosts, requirements(spec))
        log.info("ssh hosts checked", hosts=len(hosts), findings=len(checked))
        return checked

    def validate_upgrade(self, old_spec: ClusterSpec, new_spec: ClusterSpec) -> list[Finding]:
        """The control-plane endpoint stays; hosts may be added. A node group that rolls
        (its machines change) makes each new machine before it removes an old one, so
        it needs spare hosts: as many matching hosts as its count plus its surge."""
        findings = spare_host_findings(old_spec, new_spec)
        before, after = endpoint(old_spec), endpoint(new_spec)
        if before == after:
            return findings
        path = "spec.controlPlaneConfiguration.endpoint"
        return [Finding(
            path=path,
            message=f"{path} is immutable on an ssh cluster ({before['host']} -> {after['host']})",
            remediation=f"keep {path} as it is; make a new cluster for a different value",
            check="ssh-immutable",
        ), *findings]

    # -- the controller --------------------------------------------------------------------------
    @contextlib.contextmanager
    def infrastructure_controller(self, spec: ClusterSpec, kubeconfig: str) -> Iterator[HostController]:
        """``HostController`` passes against ``kubeconfig``'s cluster every ``interval``
        seconds for the duration of the block."""
        controller = HostController(
            ClusterApi(kube_for(kubeconfig)),
            spec.name,
            RenderContext().namespace,
            inventory(spec),
            self.access(),
            endpoint=endpoint(spec),
        )
        with running(controller, self.interval) as ctl:
            yield ctl


def _rollout(objects: list[dict[str, Any]]) -> dict[str, tuple[Any, int]]:
    """Per rolling unit (the control plane, each MachineDeployment): what its machines are
    made from, and its surge."""
    out: dict[str, tuple[Any, int]] = {}
    for obj in objects:
        spec = obj.get("spec") or {}
        if obj["kind"] == "KubeadmControlPlane":
            made_from = {k: v for k, v in spec.items() if k not in ("replicas", "rolloutStrategy")}
            surge = ((spec.get("rolloutStrategy") or {}).get("rollingUpdate") or {}).get("maxSurge", 1)
            out["control-plane"] = (made_from, int(surge))
        elif obj["kind"] == "MachineDeployment":
            surge = ((spec.get("strategy") or {}).get("rollingUpdate") or {}).get("maxSurge", 1)
            out[obj["metadata"]["name"]] = (spec.get("template"), int(surge))
    return out


def spare_host_findings(old_spec: ClusterSpec, new_spec: ClusterSpec) -> list[Finding]:
    """For each control plane or worker group whose machines roll in this upgrade: enough
    inventory hosts matching its selector for its count plus its surge."""
    before = _rollout(render(old_spec, RenderContext().namespace))
    after = _rollout(render(new_spec, RenderContext().namespace))
    units = ["control-plane", *[f"{new_spec.name}-{g.name}" for g, _ in new_spec.worker_groups]]
    hosts = inventory(new_spec)
    findings: list[Finding] = []
    for unit, (path, selector, count, _) in zip(units, demands(new_spec), strict=True):
        made_from, surge = after.get(unit, (None, 1))
        if unit not in before or before[unit][0] == made_from or surge <= 0:
            continue
        found = sum(1 for h in hosts if matches(h.labels, selector))
        if found < count + surge:
            findings.append(Finding(
                path=path,
                message=(
                    f"the upgrade rolls {unit}: each new machine is made before an old one goes, so {count + surge} "
                    f"hosts matching hostSelector {selector} are needed ({count} + {surge} spare), the inventory has {found}"
                ),
                remediation="add a spare host with those labels to SSHDatacenterConfig.spec.hosts",
                check="ssh-spare-hosts",
            ))
    return findings


def requirements(spec: ClusterSpec) -> dict[str, Any]:
    """Host name -> ``HostRequirements`` from the machine config whose selector the host
    matches (control-plane ports for control-plane hosts); defaults for the others."""
    roles = demands(spec)
    out: dict[str, Any] = {}
    for host in inventory(spec):
        found = next(((i, mc) for i, (_, sel, _, mc) in enumerate(roles) if matches(host.labels, sel)), None)
        values: dict[str, Any] = {"control_plane": found is not None and found[0] == 0}
        mc = found[1] if found is not None else None
        if isinstance(mc, SSHMachineConfig):
            if mc.spec.min_cpus > 0:
                values["cpus"] = mc.spec.min_cpus
            if mc.spec.min_memory_mib > 0:
                values["memory_mib"] = mc.spec.min_memory_mib
        out[host.name] = HostRequirements(**values)
    return out


def make_provider(ctx: ProviderContext) -> SSHProvider:
    """The ``ssh`` entry point: hosts over SSH with paramiko."""
    return SSHProvider()
