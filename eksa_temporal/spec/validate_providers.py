"""Provider-specific static rules (no infrastructure calls): what each provider's first
checks in EKS-A reject, plus the rules for our ``sim`` provider. Called by
``eksa_temporal.spec.validate.validate_spec``.
"""

from __future__ import annotations

import re

from eksa_temporal.spec.base import KubeObject, UserConfiguration
from eksa_temporal.spec.cloudstack import CloudStackDatacenterConfig, CloudStackMachineConfig
from eksa_temporal.spec.clusterspec import ClusterSpec
from eksa_temporal.spec.docker_sim import SimDatacenterConfig, SimMachineConfig
from eksa_temporal.spec.findings import Finding
from eksa_temporal.spec.nutanix import (
    NutanixDatacenterConfig,
    NutanixMachineConfig,
    NutanixResourceIdentifier,
)
from eksa_temporal.spec.rules_util import Collector, is_ip, is_port, split_host_port
from eksa_temporal.spec.snow import SnowDatacenterConfig, SnowMachineConfig
from eksa_temporal.spec.tinkerbell import TinkerbellDatacenterConfig, TinkerbellMachineConfig
from eksa_temporal.spec.vsphere import VSphereDatacenterConfig, VSphereMachineConfig

OS_FAMILIES = {
    "vsphere": ("ubuntu", "bottlerocket", "redhat"),
    "tinkerbell": ("ubuntu", "bottlerocket", "redhat"),
    "nutanix": ("ubuntu", "redhat"),
    "snow": ("ubuntu", "bottlerocket"),
    "sim": ("ubuntu", "bottlerocket", "redhat"),
}
_QUANTITY = re.compile(r"^(\d+(\.\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$")
_BINARY = {"": 1, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18}


def _c(obj: KubeObject, check: str) -> Collector:
    return Collector(check=check, prefix=f"{obj.kind}/{obj.name}: ")


def _os_family(c: Collector, provider: str, family: str | None) -> None:
    allowed = OS_FAMILIES[provider]
    if family not in allowed:
        c.error(
            "spec.osFamily",
            f'osFamily "{family or ""}" is not supported for {provider}',
            f"use one of {', '.join(allowed)}",
        )


def _users(c: Collector, users: list[UserConfiguration] | None, family: str | None) -> None:
    for i, user in enumerate(users or []):
        if not user.name:
            c.error(
                f"spec.users[{i}].name", "users[].name is not set or is empty", "name the SSH user"
            )
        elif family == "bottlerocket" and user.name != "ec2-user":
            c.error(
                f"spec.users[{i}].name",
                f"users[{i}].name {user.name} is invalid. Please use 'ec2-user' for Bottlerocket",
                "set name: ec2-user",
            )


def _quantity_bytes(value: str) -> float | None:
    match = _QUANTITY.match(value)
    if not match:
        return None
    unit = match.group(3) or ""
    return float(match.group(1)) * (_BINARY.get(unit) or _DECIMAL[unit])


def _endpoint_required(c: Collector, spec: ClusterSpec) -> None:
    endpoint = spec.cluster.spec.control_plane_configuration.endpoint
    if endpoint is None or not endpoint.host:
        c.error(
            "spec.controlPlaneConfiguration.endpoint.host",
            "cluster controlPlaneConfiguration.Endpoint.Host is not set or is empty",
            "set the control plane's virtual IP",
        )


def _vsphere(spec: ClusterSpec, c: Collector) -> list[Finding]:
    out: list[Finding] = []
    dc = spec.datacenter
    if isinstance(dc, VSphereDatacenterConfig):
        d = _c(dc, "vsphere")
        for key, value in (
            ("datacenter", dc.spec.datacenter),
            ("network", dc.spec.network),
            ("server", dc.spec.server),
        ):
            if not value:
                d.error(
                    f"spec.{key}",
                    f"VSphereDatacenterConfig {key} is not set or is empty",
                    f"set spec.{key}",
                )
        out += d.findings
    families: set[str] = set()
    for mc in spec.machine_configs.values():
        if not isinstance(mc, VSphereMachineConfig):
            continue
        m = _c(mc, "vsphere")
        _os_family(m, "vsphere", mc.spec.os_family)
        _users(m, mc.spec.users, mc.spec.os_family)
        families.add(mc.spec.os_family or "")
        if not mc.spec.datastore:
            m.error(
                "spec.datastore",
                "VSphereMachineConfig datastore is not set or is empty",
                "set spec.datastore",
            )
        if not mc.spec.resource_pool:
            m.error(
                "spec.resourcePool",
                "VSphereMachineConfig resourcePool is not set or is empty",
                "set spec.resourcePool",
            )
        if mc.spec.clone_mode not in (None, "", "fullClone", "linkedClone"):
            m.error(
                "spec.cloneMode",
                f"cloneMode {mc.spec.clone_mode} is not supported",
                "use fullClone or linkedClone",
            )
        sizes: tuple[tuple[str, int | None], ...] = (
            ("numCPUs", mc.spec.num_cpus),
            ("memoryMiB", mc.spec.memory_mib),
            ("diskGiB", mc.spec.disk_gib),
        )
        for key, size in sizes:
            if size is not None and size <= 0:
                m.error(f"spec.{key}", f"{key} must be positive", f"set spec.{key}")
        out += m.findings
    if len(families) > 1:
        c.error(
            "spec.controlPlaneConfiguration.machineGroupRef",
            f"all VSphereMachineConfigs must have the same osFamily (found {', '.join(sorted(families))})",
            "use one osFamily for every machine config",
        )
    return out


def _tinkerbell(spec: ClusterSpec, c: Collector) -> list[Finding]:
    out: list[Finding] = []
    dc = spec.datacenter
    if isinstance(dc, TinkerbellDatacenterConfig):
        d = _c(dc, "tinkerbell")
        if not dc.spec.tinkerbell_ip:
            d.error(
                "spec.tinkerbellIP", "tinkerbellIP is required", "set the Tinkerbell stack's IP"
            )
        elif not is_ip(dc.spec.tinkerbell_ip):
            d.error(
                "spec.tinkerbellIP",
                f"tinkerbellIP {dc.spec.tinkerbell_ip} is not a valid IP",
                "use an IPv4 address",
            )
        out += d.findings
    for mc in spec.machine_configs.values():
        if not isinstance(mc, TinkerbellMachineConfig):
            continue
        m = _c(mc, "tinkerbell")
        if not mc.spec.hardware_selector:
            m.error(
                "spec.hardwareSelector",
                "TinkerbellMachineConfig: missing spec.hardwareSelector",
                "add a label selector, e.g. type: cp",
            )
        _os_family(m, "tinkerbell", mc.spec.os_family)
        _users(m, mc.spec.users, mc.spec.os_family)
        ref = mc.spec.template_ref
        if ref is not None and (ref.kind or ref.name):
            if ref.kind != "TinkerbellTemplateConfig":
                m.error(
                    "spec.templateRef.kind",
                    f"templateRef kind {ref.kind} is not supported",
                    "use TinkerbellTemplateConfig",
                )
            elif ref.name not in spec.tinkerbell_templates:
                m.error(
                    "spec.templateRef.name",
                    f"TinkerbellTemplateConfig {ref.name} not found",
                    f"add a TinkerbellTemplateConfig named {ref.name}",
                )
        out += m.findings
    return out


def _cloudstack(spec: ClusterSpec, c: Collector) -> list[Finding]:
    out: list[Finding] = []
    dc = spec.datacenter
    if isinstance(dc, CloudStackDatacenterConfig):
        d = _c(dc, "cloudstack")
        if not dc.spec.availability_zones and not dc.spec.zones:
            d.error(
                "spec.availabilityZones",
                "CloudStackDatacenterConfig must have at least one availability zone",
                "add spec.availabilityZones",
            )
        names: set[str] = set()
        for i, az in enumerate(dc.spec.availability_zones or []):
            if not az.name or az.name in names:
                d.error(
                    f"spec.availabilityZones[{i}].name",
                    "availability zone names must be set and unique",
                    "name each zone",
                )
            names.add(az.name)
            if az.zone is None or not (az.zone.name or az.zone.id):
                d.error(
                    f"spec.availabilityZones[{i}].zone",
                    "zone name or id is required",
                    "set zone.name",
                )
            if not az.management_api_endpoint:
                d.error(
                    f"spec.availabilityZones[{i}].managementApiEndpoint",
                    "managementApiEndpoint is required",
                    "set the CloudStack API URL",
                )
        out += d.findings
    for mc in spec.machine_configs.values():
        if not isinstance(mc, CloudStackMachineConfig):
            continue
        m = _c(mc, "cloudstack")
        for key, ident in (
            ("template", mc.spec.template),
            ("computeOffering", mc.spec.compute_offering),
        ):
            if ident is None or not (ident.id or ident.name):
                m.error(f"spec.{key}", f"{key} is not set or is empty", f"set spec.{key}.name")
        if mc.spec.affinity not in (None, "", "pro", "anti", "no"):
            m.error(
                "spec.affinity",
                f"affinity {mc.spec.affinity} is not supported",
                "use pro, anti or no",
            )
        _users(m, mc.spec.users, None)
        out += m.findings
    return out


def _nutanix_identifier(m: Collector, key: str, ident: NutanixResourceIdentifier | None) -> None:
    if ident is None:
        m.error(
            f"spec.{key}",
            f"NutanixMachineConfig {key} is required",
            f"set spec.{key} (type: name, name: ...)",
        )
    elif ident.type not in ("name", "uuid"):
        m.error(f"spec.{key}.type", f'{key} type "{ident.type}" is invalid', "use name or uuid")
    elif not (ident.name if ident.type == "name" else ident.uuid):
        m.error(
            f"spec.{key}.{ident.type}",
            f"{key} {ident.type} is not set",
            f"set spec.{key}.{ident.type}",
        )


def _nutanix(spec: ClusterSpec, c: Collector) -> list[Finding]:
    out: list[Finding] = []
    cp = spec.cluster.spec.control_plane_configuration
    if cp.upgrade_rollout_strategy is not None:
        c.error(
            "spec.controlPlaneConfiguration.upgradeRolloutStrategy",
            "upgrade rollout strategy customization is not supported for nutanix provider",
            "remove upgradeRolloutStrategy",
        )
    for i, group in enumerate(spec.cluster.workers):
        if group.upgrade_rollout_strategy is not None:
            c.error(
                f"spec.workerNodeGroupConfigurations[{i}].upgradeRolloutStrategy",
                "upgrade rollout strategy customization is not supported for nutanix provider",
                "remove upgradeRolloutStrategy",
            )
    dc = spec.datacenter
    if isinstance(dc, NutanixDatacenterConfig):
        d = _c(dc, "nutanix")
        if not dc.spec.endpoint:
            d.error(
                "spec.endpoint",
                "NutanixDatacenterConfig endpoint is not set or is empty",
                "set Prism Central's address",
            )
        if not 0 < dc.spec.port <= 65535:
            d.error(
                "spec.port", f"NutanixDatacenterConfig port {dc.spec.port} is invalid", "use 9440"
            )
        ref = dc.spec.credential_ref
        if ref is not None and ref.kind != "Secret":
            d.error(
                "spec.credentialRef.kind", "credentialRef kind must be Secret", "set kind: Secret"
            )
        out += d.findings
    for mc in spec.machine_configs.values():
        if not isinstance(mc, NutanixMachineConfig):
            continue
        m = _c(mc, "nutanix")
        if mc.spec.vcpus_per_socket < 1 or mc.spec.vcpu_sockets < 1:
            m.error(
                "spec.vcpuSockets",
                "vcpusPerSocket and vcpuSockets must be at least 1",
                "set both to 1 or more",
            )
        for key, value, minimum in (
            ("memorySize", mc.spec.memory_size, 2 * 2**30),
            ("systemDiskSize", mc.spec.system_disk_size, 20 * 2**30),
        ):
            size = _quantity_bytes(value)
            if size is None:
                m.error(f"spec.{key}", f'{key} "{value}" is not a quantity', f"e.g. {key}: 8Gi")
            elif size < minimum:
                m.error(
                    f"spec.{key}",
                    f"{key} must be at least {minimum // 2**30}Gi",
                    f"raise spec.{key}",
                )
        for key, ident in (
            ("image", mc.spec.image),
            ("cluster", mc.spec.cluster),
            ("subnet", mc.spec.subnet),
        ):
            _nutanix_identifier(m, key, ident)
        for i, category in enumerate(mc.spec.additional_categories or []):
            if not category.key:
                m.error(
                    f"spec.additionalCategories[{i}].key",
                    "NutanixMachineConfig: missing category key",
                    "set the category key",
                )
            if not category.value:
                m.error(
                    f"spec.additionalCategories[{i}].value",
                    "NutanixMachineConfig: missing category value",
                    "set the category value",
                )
        _os_family(m, "nutanix", mc.spec.os_family)
        _users(m, mc.spec.users, mc.spec.os_family)
        out += m.findings
    return out


def _snow(spec: ClusterSpec, c: Collector) -> list[Finding]:
    out: list[Finding] = []
    dc = spec.datacenter
    if isinstance(dc, SnowDatacenterConfig):
        d = _c(dc, "snow")
        ref = dc.spec.identity_ref
        if ref is None or not ref.name:
            d.error(
                "spec.identityRef",
                "SnowDatacenterConfig identityRef name is required",
                "reference the credentials Secret",
            )
        elif ref.kind != "Secret":
            d.error("spec.identityRef.kind", "identityRef kind must be Secret", "set kind: Secret")
        out += d.findings
    for mc in spec.machine_configs.values():
        if not isinstance(mc, SnowMachineConfig):
            continue
        m = _c(mc, "snow")
        if not mc.spec.devices:
            m.error(
                "spec.devices",
                "devices must contain at least one device IP",
                "list the Snow devices",
            )
        if mc.spec.containers_volume is not None and mc.spec.containers_volume.size < 8:
            m.error(
                "spec.containersVolume.size",
                "containersVolume size must be at least 8 GiB",
                "raise it",
            )
        _os_family(m, "snow", mc.spec.os_family or "ubuntu")
        interfaces = mc.spec.network.direct_network_interfaces if mc.spec.network else None
        if interfaces:
            if sum(1 for i in interfaces if i.primary) != 1:
                m.error(
                    "spec.network.directNetworkInterfaces",
                    "exactly one direct network interface must be primary",
                    "mark one primary: true",
                )
            for i, dni in enumerate(interfaces):
                if bool(dni.dhcp) == (dni.ip_pool_ref is not None):
                    m.error(
                        f"spec.network.directNetworkInterfaces[{i}]",
                        "use either dhcp or ipPoolRef",
                        "set exactly one of them",
                    )
        out += m.findings
    return out


def _sim(spec: ClusterSpec, c: Collector) -> list[Finding]:
    out: list[Finding] = []
    dc = spec.datacenter
    if isinstance(dc, SimDatacenterConfig) and dc.spec.endpoint:
        d = _c(dc, "sim")
        endpoint = dc.spec.endpoint.split("://", 1)[-1].rstrip("/")
        split = split_host_port(endpoint)
        if split is None or not split[0] or not is_port(split[1]):
            d.error(
                "spec.endpoint",
                f"sim endpoint {dc.spec.endpoint} is not host:port",
                "e.g. 127.0.0.1:7443",
            )
        out += d.findings
    for mc in spec.machine_configs.values():
        if not isinstance(mc, SimMachineConfig):
            continue
        m = _c(mc, "sim")
        if mc.spec.cpus < 1:
            m.error("spec.cpus", "cpus must be at least 1", "set spec.cpus")
        if mc.spec.memory_mib < 512:
            m.error("spec.memoryMiB", "memoryMiB must be at least 512", "set spec.memoryMiB")
        _os_family(m, "sim", mc.spec.os_family)
        _users(m, mc.spec.users, mc.spec.os_family)
        out += m.findings
    return out


def validate_provider(spec: ClusterSpec) -> list[Finding]:
    c = Collector(check=f"{spec.provider or 'provider'}-static")
    rules = {
        "vsphere": _vsphere,
        "tinkerbell": _tinkerbell,
        "cloudstack": _cloudstack,
        "nutanix": _nutanix,
        "snow": _snow,
        "sim": _sim,
    }
    rule = rules.get(spec.provider)
    if spec.provider not in ("", "docker", "sim"):
        _endpoint_required(c, spec)
    out = rule(spec, c) if rule else []
    if spec.provider != "tinkerbell":
        for path, _kind in _in_place(spec):
            c.error(
                path,
                "InPlace upgrades are only supported on the Tinkerbell provider",
                "use RollingUpdate",
            )
    return c.findings + out


def _in_place(spec: ClusterSpec) -> list[tuple[str, str]]:
    found = []
    cp = spec.cluster.spec.control_plane_configuration.upgrade_rollout_strategy
    if cp is not None and cp.type == "InPlace":
        found.append(("spec.controlPlaneConfiguration.upgradeRolloutStrategy.type", "InPlace"))
    for i, g in enumerate(spec.cluster.workers):
        if g.upgrade_rollout_strategy is not None and g.upgrade_rollout_strategy.type == "InPlace":
            found.append(
                (f"spec.workerNodeGroupConfigurations[{i}].upgradeRolloutStrategy.type", "InPlace")
            )
    return found
