"""Provider static rules for Nutanix, Snow and our ``sim`` provider (no infrastructure
calls). Called by ``eksa_temporal.spec.validate_providers.validate_provider``.
"""

from __future__ import annotations

from eksa_temporal.spec.clusterspec import ClusterSpec
from eksa_temporal.spec.docker_sim import SimDatacenterConfig, SimMachineConfig
from eksa_temporal.spec.findings import Finding
from eksa_temporal.spec.nutanix import (
    NutanixDatacenterConfig,
    NutanixMachineConfig,
    NutanixResourceIdentifier,
)
from eksa_temporal.spec.provider_checks import (
    check_os_family,
    check_users,
    object_collector,
    quantity_bytes,
)
from eksa_temporal.spec.rules_util import Collector, is_port, split_host_port
from eksa_temporal.spec.snow import SnowDatacenterConfig, SnowMachineConfig


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


def nutanix_rules(spec: ClusterSpec, c: Collector) -> list[Finding]:
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
        d = object_collector(dc, "nutanix")
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
    for mc in spec.machine_configs_of(NutanixMachineConfig):
        m = object_collector(mc, "nutanix")
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
            size = quantity_bytes(value)
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
        check_os_family(m, "nutanix", mc.spec.os_family)
        check_users(m, mc.spec.users, mc.spec.os_family)
        out += m.findings
    return out


def snow_rules(spec: ClusterSpec, c: Collector) -> list[Finding]:
    out: list[Finding] = []
    dc = spec.datacenter
    if isinstance(dc, SnowDatacenterConfig):
        d = object_collector(dc, "snow")
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
    for mc in spec.machine_configs_of(SnowMachineConfig):
        m = object_collector(mc, "snow")
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
        check_os_family(m, "snow", mc.spec.os_family or "ubuntu")
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


def sim_rules(spec: ClusterSpec, c: Collector) -> list[Finding]:
    out: list[Finding] = []
    dc = spec.datacenter
    if isinstance(dc, SimDatacenterConfig) and dc.spec.endpoint:
        d = object_collector(dc, "sim")
        endpoint = dc.spec.endpoint.split("://", 1)[-1].rstrip("/")
        split = split_host_port(endpoint)
        if split is None or not split[0] or not is_port(split[1]):
            d.error(
                "spec.endpoint",
                f"sim endpoint {dc.spec.endpoint} is not host:port",
                "e.g. 127.0.0.1:7443",
            )
        out += d.findings
    for mc in spec.machine_configs_of(SimMachineConfig):
        m = object_collector(mc, "sim")
        if mc.spec.cpus < 1:
            m.error("spec.cpus", "cpus must be at least 1", "set spec.cpus")
        if mc.spec.memory_mib < 512:
            m.error("spec.memoryMiB", "memoryMiB must be at least 512", "set spec.memoryMiB")
        check_os_family(m, "sim", mc.spec.os_family)
        check_users(m, mc.spec.users, mc.spec.os_family)
        out += m.findings
    return out
