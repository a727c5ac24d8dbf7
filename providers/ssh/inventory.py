"""The host inventory of an SSH-hosts cluster: the ``SSHDatacenterConfig``'s hosts as
``SSHHost`` values (paths to the private key and known-hosts file, never a key), which
hosts a machine config's ``hostSelector`` matches, and the static rules over it: unique
names and addresses, every host with a key and a known-hosts file, each host matched by at
most one selector, and enough matching hosts for each node group's count.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from eksa_temporal.providers.ssh.hosts import SSHHost
from eksa_temporal.providers.ssh.spec_kinds import SSHDatacenterConfig, SSHMachineConfig
from eksa_temporal.spec.clusterspec import ClusterSpec
from eksa_temporal.spec.findings import Finding

DATACENTER_PATH = "SSHDatacenterConfig.spec.hosts"


def _path(value: str | None) -> str:
    return os.path.expanduser(str(value)) if value else ""


def inventory(spec: ClusterSpec) -> list[SSHHost]:
    """The spec's hosts, in the order the datacenter config lists them."""
    dc = spec.datacenter
    if not isinstance(dc, SSHDatacenterConfig):
        return []
    d = dc.spec
    return [
        SSHHost(
            name=str(h.name),
            address=str(h.address),
            port=int(h.port),
            user=str(h.user),
            private_key_file=_path(h.private_key_file or d.private_key_file),
            known_hosts_file=_path(h.known_hosts_file or d.known_hosts_file),
            first_contact=bool(h.first_contact),
            labels={str(k): str(v) for k, v in h.labels.items()},
        )
        for h in d.hosts
    ]


def matches(labels: Mapping[str, str], selector: Mapping[str, str]) -> bool:
    """Whether a host with ``labels`` is taken by ``selector`` (every pair present)."""
    return all(labels.get(k) == v for k, v in selector.items())


def selector_of(machine_config: Any) -> dict[str, str]:
    if not isinstance(machine_config, SSHMachineConfig):
        return {}
    return {str(k): str(v) for k, v in machine_config.spec.host_selector.items()}


def free_host(
    hosts: Iterable[SSHHost], selector: Mapping[str, str], held: Iterable[str]
) -> SSHHost | None:
    """The first host matching ``selector`` whose name is not in ``held``."""
    taken = set(held)
    return next((h for h in hosts if h.name not in taken and matches(h.labels, selector)), None)


def demands(spec: ClusterSpec) -> list[tuple[str, dict[str, str], int, Any]]:
    """``(path, selector, count, machine config)`` per role: control plane, then each
    worker group."""
    conf = spec.cluster.spec.control_plane_configuration
    out = [
        (
            "spec.controlPlaneConfiguration",
            selector_of(spec.control_plane_machine_config),
            int(conf.count or 1),
            spec.control_plane_machine_config,
        )
    ]
    for i, (group, machine_config) in enumerate(spec.worker_groups):
        count = group.count if group.count is not None else (
            group.autoscaling_configuration.min_count if group.autoscaling_configuration else 1
        )
        out.append(
            (f"spec.workerNodeGroupConfigurations[{i}]", selector_of(machine_config), int(count), machine_config)
        )
    return out


def inventory_rules(spec: ClusterSpec) -> list[Finding]:
    """The static rules of the inventory against the spec (no host contacted)."""
    hosts = inventory(spec)
    if not isinstance(spec.datacenter, SSHDatacenterConfig):
        return []
    findings: list[Finding] = []

    def error(path: str, message: str, remediation: str, check: str) -> None:
        findings.append(Finding(path=path, message=message, remediation=remediation, check=check))

    if not hosts:
        error(DATACENTER_PATH, "the inventory lists no hosts", "list the hosts under spec.hosts", "ssh-inventory")
    seen: dict[str, str] = {}
    for i, h in enumerate(hosts):
        path = f"{DATACENTER_PATH}[{i}]"
        for what, value in (("name", h.name), ("address", f"{h.address}:{h.port}")):
            if value in seen:
                error(f"{path}.{what}", f"host {h.name}: {what} {value} is also used by {seen[value]}", f"give each host its own {what}", "ssh-inventory")
            seen.setdefault(value, h.name)
        if not h.private_key_file:
            error(f"{path}.privateKeyFile", f"host {h.name} has no private key file", "set spec.privateKeyFile (a path; the key never goes into the spec)", "ssh-inventory")
        if not h.known_hosts_file:
            error(f"{path}.knownHostsFile", f"host {h.name} has no known-hosts file", "set spec.knownHostsFile (host keys are pinned)", "ssh-inventory")
    wanted = demands(spec)
    selectors = {tuple(sorted(sel.items())) for _, sel, _, _ in wanted}
    for h in hosts:
        matching = [dict(s) for s in selectors if matches(h.labels, dict(s))]
        if len(matching) > 1:
            error(DATACENTER_PATH, f"host {h.name} matches more than one hostSelector: {matching}", "give each node group's hostSelector labels no other group's hosts carry", "ssh-selectors")
    for path, selector, count, _ in wanted:
        found = [h.name for h in hosts if matches(h.labels, selector)]
        if len(found) < count:
            error(
                path,
                f"{count} machine(s) need hosts matching hostSelector {selector}, the inventory has {len(found)}",
                "add hosts with those labels to SSHDatacenterConfig.spec.hosts or lower the count",
                "ssh-selectors",
            )
    return findings
