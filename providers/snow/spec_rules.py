"""Snow static rules: EKS-A's ``SnowDatacenterConfig.Validate``,
``validateSnowMachineConfig`` (instance type, network connector, devices, OS family, direct
network interfaces, volumes, host OS settings) and ``validateSnowIPPool``. Registered with the spec
layer by the provider (``spec_plugin``).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Collection
from functools import partial
from typing import Any

from eksa_temporal.spec.clusterspec import ClusterSpec
from eksa_temporal.spec.findings import Finding
from eksa_temporal.spec.provider_checks import ObjectRule, object_collector, spec_findings
from eksa_temporal.spec.rules_util import Collector, is_ip, parse_cidr, shown
from eksa_temporal.spec.snow import SnowDatacenterConfig, SnowIPPool, SnowMachineConfig
from eksa_temporal.spec.validate_hostos import host_os_rules

SNOW_INSTANCE = re.compile(r"^sbe-[cg]\.\d*x?large$")
SNOW_MIN_CONTAINERS_UBUNTU = 8
SNOW_MIN_CONTAINERS_BOTTLEROCKET = 25
SNOW_MIN_NON_ROOT = 8
# an IPPool field's Go name -> its YAML name
WIRE = {"IPStart": "ipStart", "IPEnd": "ipEnd", "Gateway": "gateway"}


def _snow_volumes(m: Collector, mc: SnowMachineConfig) -> None:
    spec = mc.spec
    volume = spec.containers_volume
    if spec.os_family == "bottlerocket":
        if volume is None:
            m.error(
                "spec.containersVolume",
                "SnowMachineConfig ContainersVolume must be specified for Bottlerocket OS",
                "add containersVolume: {size: 25}",
            )
        elif volume.size < SNOW_MIN_CONTAINERS_BOTTLEROCKET:
            m.error(
                "spec.containersVolume.size",
                f"SnowMachineConfig ContainersVolume.Size must be no smaller than {SNOW_MIN_CONTAINERS_BOTTLEROCKET} Gi for Bottlerocket OS",
                "raise it",
            )
    elif volume is not None and volume.size < SNOW_MIN_CONTAINERS_UBUNTU:
        m.error(
            "spec.containersVolume.size",
            f"SnowMachineConfig ContainersVolume.Size must be no smaller than {SNOW_MIN_CONTAINERS_UBUNTU} Gi for Ubuntu OS",
            "raise it",
        )
    for i, v in enumerate(spec.non_root_volumes or []):
        path = f"spec.nonRootVolumes[{i}]"
        if not v.device_name:
            m.error(
                f"{path}.deviceName",
                f"SnowMachineConfig NonRootVolumes[{i}].DeviceName must be specified",
                "e.g. /dev/sdc",
            )
        elif v.device_name.startswith("/dev/sda"):
            m.error(
                f"{path}.deviceName",
                f"SnowMachineConfig NonRootVolumes[{i}].DeviceName [{v.device_name}] is invalid. Device name with prefix /dev/sda* is reserved for root volume and containers volume, please use another name",
                "e.g. /dev/sdc",
            )
        if v.size < SNOW_MIN_NON_ROOT:
            m.error(
                f"{path}.size",
                f"SnowMachineConfig NonRootVolumes[{i}].Size must be no smaller than {SNOW_MIN_NON_ROOT} Gi",
                "raise it",
            )


def _snow_machine(mc: SnowMachineConfig, pools: Collection[str] | None) -> list[Finding]:
    m = object_collector(mc, "snow")
    s = mc.spec
    instance = s.instance_type or "sbe-c.large"
    if not SNOW_INSTANCE.match(instance):
        m.error(
            "spec.instanceType",
            f"SnowMachineConfig InstanceType {instance} is not supported",
            "e.g. sbe-c.large or sbe-c.xlarge",
        )
    connector = s.physical_network_connector or "SFP_PLUS"
    if connector not in ("SFP_PLUS", "QSFP", "RJ45"):
        m.error(
            "spec.physicalNetworkConnector",
            f"SnowMachineConfig PhysicalNetworkConnector {connector} is not supported, please use one of the following: SFP_PLUS, QSFP, RJ45",
            "use SFP_PLUS, QSFP or RJ45",
        )
    if not s.devices:
        m.error(
            "spec.devices",
            "SnowMachineConfig Devices must contain at least one device IP",
            "list the Snow devices",
        )
    if not s.os_family:
        m.error("spec.osFamily", "SnowMachineConfig OSFamily must be specified", "set osFamily")
    elif s.os_family not in ("bottlerocket", "ubuntu"):
        m.error(
            "spec.osFamily",
            f"SnowMachineConfig OSFamily {s.os_family} is not supported, please use one of the following: bottlerocket, ubuntu",
            "use bottlerocket or ubuntu",
        )
    interfaces = (s.network.direct_network_interfaces if s.network else None) or []
    if not interfaces:
        m.error(
            "spec.network.directNetworkInterfaces",
            "SnowMachineConfig Network.DirectNetworkInterfaces length must be no smaller than 1",
            "add a direct network interface (primary: true, dhcp: true)",
        )
    elif sum(1 for i in interfaces if i.primary) != 1:
        m.error(
            "spec.network.directNetworkInterfaces",
            "SnowMachineConfig Network.DirectNetworkInterfaces list must contain one and only one primary DNI",
            "mark one primary: true",
        )
    for i, dni in enumerate(interfaces):
        path = f"spec.network.directNetworkInterfaces[{i}]"
        if bool(dni.dhcp) == (dni.ip_pool_ref is not None):
            m.error(path, "use either dhcp or ipPoolRef", "set exactly one of them")
        elif (
            pools is not None and dni.ip_pool_ref is not None and dni.ip_pool_ref.name not in pools
        ):
            m.error(
                f"{path}.ipPoolRef.name",
                f"SnowIPPool {shown(dni.ip_pool_ref.name)} not found",
                "add the SnowIPPool or fix ipPoolRef.name",
            )
    _snow_volumes(m, mc)
    host_os_rules(m, s.host_os_configuration, s.os_family)
    return m.findings


def _ip_before(start: str, end: str) -> bool:
    """``start < end`` comparing the 16-byte forms, as EKS-A does (IPv4 maps into IPv6)."""

    def wide(value: str) -> int:
        address = ipaddress.ip_address(value)
        return int(address) + (0xFFFF << 32) if address.version == 4 else int(address)

    return wide(start) < wide(end)


def _snow_pool(pool: SnowIPPool) -> list[Finding]:
    p = object_collector(pool, "snow")
    for i, entry in enumerate(pool.spec.pools or []):
        path, label = f"spec.pools[{i}]", f"SnowIPPool Pools[{i}]"
        values: dict[str, str] = {}
        for key, value in (
            ("IPStart", entry.ip_start),
            ("IPEnd", entry.ip_end),
            ("Gateway", entry.gateway),
        ):
            wire = WIRE[key]
            if not value:
                p.error(f"{path}.{wire}", f"{label}.{key} can not be empty", f"set {wire}")
            elif not is_ip(value):
                p.error(f"{path}.{wire}", f"{label}.{key} is invalid", "use an IP address")
            else:
                values[key] = value
        start, end = values.get("IPStart"), values.get("IPEnd")
        if start and end and not _ip_before(start, end):
            p.error(f"{path}.ipStart", f"{label}.IPStart should be smaller than IPEnd", "swap them")
        net = parse_cidr(entry.subnet) if entry.subnet else None
        if not entry.subnet:
            p.error(f"{path}.subnet", f"{label}.Subnet can not be empty", "set subnet (a CIDR)")
        elif net is None:
            p.error(f"{path}.subnet", f"{label}.Subnet is invalid: {entry.subnet}", "use a CIDR")
        else:
            for key, bound in (("IPStart", start), ("IPEnd", end)):
                address = ipaddress.ip_address(bound) if bound else None
                if address is not None and (address.version != net.version or address not in net):
                    p.error(
                        f"{path}.{WIRE[key]}",
                        f"{label}.{key} should be within the subnet range {entry.subnet}",
                        "use an address inside the subnet",
                    )
    return p.findings


def _snow_datacenter(dc: SnowDatacenterConfig) -> list[Finding]:
    d = object_collector(dc, "snow")
    ref = dc.spec.identity_ref
    if ref is None or not ref.name:
        d.error(
            "spec.identityRef.name",
            "SnowDatacenterConfig IdentityRef name must not be empty",
            "reference the credentials Secret",
        )
    elif not ref.kind:
        d.error(
            "spec.identityRef.kind",
            "SnowDatacenterConfig IdentityRef kind must not be empty",
            "set kind: Secret",
        )
    elif ref.kind != "Secret":
        d.error(
            "spec.identityRef.kind",
            f"SnowDatacenterConfig IdentityRef kind {ref.kind} is invalid, the only supported kind is Secret",
            "set kind: Secret",
        )
    return d.findings


def snow_objects(pools: Collection[str] | None) -> tuple[ObjectRule[Any], ...]:
    """The rules of each Snow object; ``pools`` are the spec's SnowIPPool names (None for an
    object on its own)."""
    return (
        ObjectRule(SnowDatacenterConfig, _snow_datacenter),
        ObjectRule(SnowMachineConfig, partial(_snow_machine, pools=pools)),
        ObjectRule(SnowIPPool, _snow_pool),
    )


def snow_rules(spec: ClusterSpec, c: Collector) -> list[Finding]:
    return spec_findings(spec, snow_objects(spec.snow_ip_pools.keys()))
