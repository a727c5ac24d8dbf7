"""vSphere static rules: EKS-A's ``VSphereDatacenterConfig.Validate`` (server, datacenter,
network under ``/<datacenter>/network``, failure domains), ``validateVSphereMachineConfig``
(datastore, resource pool, OS family, Bottlerocket user, host OS settings) and the static
parts of the vSphere provider validator (one osFamily with external etcd, worker failure
domains). Registered with the spec layer by the provider (``spec_plugin``).
"""

from __future__ import annotations

from eksa_temporal.spec.clusterspec import ClusterSpec
from eksa_temporal.spec.findings import Finding
from eksa_temporal.spec.provider_checks import (
    ObjectRule,
    check_users,
    object_collector,
    spec_findings,
)
from eksa_temporal.spec.rules_util import Collector, shown
from eksa_temporal.spec.validate_hostos import host_os_rules
from eksa_temporal.spec.vsphere import VSphereDatacenterConfig, VSphereMachineConfig

OS_FAMILIES = ("bottlerocket", "ubuntu", "redhat")


def full_network_path(network: str, datacenter: str) -> str:
    """EKS-A's defaulting of a relative network name to ``/<datacenter>/network/<name>``."""
    if not network or network.startswith(f"/{datacenter}"):
        return network
    return f"/{datacenter}/network/{network}"


def _network_under(c: Collector, path: str, network: str, datacenter: str) -> None:
    prefix = f"/{datacenter}/network"
    if not network.startswith(prefix):
        c.error(
            path,
            f"invalid path, expected path [{network}] to be under [{prefix}]",
            f"use a network under {prefix}/ (or a name relative to it)",
        )


def _datacenter(dc: VSphereDatacenterConfig) -> list[Finding]:
    d = object_collector(dc, "vsphere")
    spec = dc.spec
    for key, label in (
        ("server", "server"),
        ("datacenter", "datacenter"),
        ("network", "VM network"),
    ):
        if not getattr(spec, key):
            d.error(
                f"spec.{key}",
                f"VSphereDatacenterConfig {label} is not set or is empty",
                f"set spec.{key}",
            )
    if spec.network and spec.datacenter:
        _network_under(
            d, "spec.network", full_network_path(spec.network, spec.datacenter), spec.datacenter
        )
    for i, fd in enumerate(spec.failure_domains or []):
        path = f"spec.failureDomains[{i}]"
        for key in ("name", "compute_cluster", "resource_pool", "datastore", "folder", "network"):
            if not getattr(fd, key):
                wire = {"compute_cluster": "computeCluster", "resource_pool": "resourcePool"}
                field = wire.get(key, key)
                d.error(
                    f"{path}.{field}",
                    f"{field} is not set or is empty in the FailureDomain {shown(fd.name)}",
                    f"set failureDomains[{i}].{field}",
                )
        if fd.network and spec.datacenter:
            _network_under(d, f"{path}.network", fd.network, spec.datacenter)
    return d.findings


def _worker_failure_domains(c: Collector, spec: ClusterSpec, dc: VSphereDatacenterConfig) -> None:
    known = {fd.name for fd in dc.spec.failure_domains or []}
    for i, group in enumerate(spec.cluster.workers):
        domains = group.failure_domains or []
        path = f"spec.workerNodeGroupConfigurations[{i}].failureDomains"
        if len(domains) > 1:
            c.error(
                path,
                f"multiple failure domains provided in the worker node group: {shown(group.name)}. Please provide only one failure domain",
                "keep one failure domain",
            )
        elif domains and domains[0] not in known:
            c.error(
                path,
                f"provided invalid failure domain {shown(domains[0])} in the worker node group {shown(group.name)}",
                f"use a failure domain of {dc.kind}/{shown(dc.name)}",
            )


def _machine(mc: VSphereMachineConfig) -> list[Finding]:
    m = object_collector(mc, "vsphere")
    spec = mc.spec
    if not spec.datastore:
        m.error(
            "spec.datastore",
            f"VSphereMachineConfig {shown(mc.name)} datastore is not set or is empty",
            "set spec.datastore",
        )
    if not spec.resource_pool:
        m.error(
            "spec.resourcePool",
            f"VSphereMachineConfig {shown(mc.name)} VM resourcePool is not set or is empty",
            "set spec.resourcePool",
        )
    if spec.os_family not in OS_FAMILIES:
        m.error(
            "spec.osFamily",
            f"VSphereMachineConfig {shown(mc.name)} osFamily: {spec.os_family} is not supported, please use one of the following: bottlerocket, ubuntu, redhat",
            "use bottlerocket, ubuntu or redhat",
        )
    check_users(m, spec.users, spec.os_family)
    host_os_rules(m, spec.host_os_configuration, spec.os_family)
    if spec.clone_mode not in (None, "", "fullClone", "linkedClone"):
        m.error(
            "spec.cloneMode",
            f"cloneMode {spec.clone_mode} is not supported",
            "use fullClone or linkedClone",
        )
    for key, size in (
        ("numCPUs", spec.num_cpus),
        ("memoryMiB", spec.memory_mib),
        ("diskGiB", spec.disk_gib),
    ):
        if size is not None and size <= 0:
            m.error(f"spec.{key}", f"{key} must be positive", f"set spec.{key}")
    return m.findings


# The rules of each vSphere object (also run on an object on its own).
VSPHERE_OBJECTS = (
    ObjectRule(VSphereDatacenterConfig, _datacenter),
    ObjectRule(VSphereMachineConfig, _machine),
)


def vsphere_rules(spec: ClusterSpec, c: Collector) -> list[Finding]:
    out = spec_findings(spec, VSPHERE_OBJECTS)
    if isinstance(spec.datacenter, VSphereDatacenterConfig):
        _worker_failure_domains(c, spec, spec.datacenter)
    machines = spec.machine_configs_of(VSphereMachineConfig)
    families = {mc.spec.os_family or "" for mc in machines}
    if spec.cluster.spec.external_etcd_configuration is not None and len(families) > 1:
        c.error(
            "spec.externalEtcdConfiguration.machineGroupRef",
            f"all VSphereMachineConfigs must have the same osFamily specified (found {', '.join(sorted(families))})",
            "use one osFamily for every machine config",
        )
    return out
