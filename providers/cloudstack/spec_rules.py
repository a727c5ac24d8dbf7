"""CloudStack static rules: EKS-A's ``CloudStackDatacenterConfig.Validate`` (after its
defaulting of the legacy ``zones`` form into availability zones) and
``validateCloudStackMachineConfig`` (compute offering, template, disk offering, restricted
custom details, symlinks, affinity). Registered with the spec
layer by the provider (``spec_plugin``).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from eksa_temporal.spec.cloudstack import (
    CloudStackAvailabilityZone,
    CloudStackDatacenterConfig,
    CloudStackMachineConfig,
)
from eksa_temporal.spec.clusterspec import ClusterSpec
from eksa_temporal.spec.findings import Finding
from eksa_temporal.spec.provider_checks import (
    ObjectRule,
    check_users,
    object_collector,
    spec_findings,
)
from eksa_temporal.spec.rules_util import Collector, is_label_value, shown

RESTRICTED_DETAILS = (
    "keyboard",
    "cpu.corespersocket",
    "rootdisksize",
    "boot.mode",
    "nameonhypervisor",
    "nicAdapter",
    "rootDiskController",
    "dataDiskController",
    "svga.vramSize",
    "nestedVirtualizationFlag",
    "ramReservation",
    "hypervisortoolsversion",
    "platform",
    "timeoffset",
    "kvm.vnc.port",
    "kvm.vnc.address",
    "video.hardware",
    "video.ram",
    "smc.present",
    "firmware",
    "cpuNumber",
    "cpuSpeed",
    "memory",
    "cpuOvercommitRatio",
    "memoryOvercommitRatio",
    "Message.ReservedCapacityFreed.Flag",
    "deployvm",
    "SSH.PublicKey",
    "SSH.KeyPairNames",
    "password",
    "Encrypted.Password",
    "configDriveLocation",
    "nic",
    "network",
    "ip4Address",
    "ip6Address",
    "disk",
    "diskOffering",
    "configurationId",
    "keypairnames",
    "controlNodeLoginUser",
)
_PORTABLE = re.compile(r"^[a-zA-Z0-9._/-]+$")


def _zone(d: Collector, i: int, az: CloudStackAvailabilityZone, seen: set[str]) -> None:
    path = f"spec.availabilityZones[{i}]"
    if not is_label_value(az.name):
        d.error(
            f"{path}.name",
            f"availabilityZone names must be a valid label value since it is used to label nodes: {az.name}",
            "use at most 63 letters, digits, '-', '_' or '.'",
        )
    elif az.name in seen:
        d.error(
            f"{path}.name",
            f"availabilityZone names must be unique. Duplicate name: {shown(az.name)}",
            "rename the zone",
        )
    seen.add(az.name)
    endpoint = az.management_api_endpoint or ""
    try:
        urlsplit(endpoint)
    except ValueError:
        d.error(
            f"{path}.managementApiEndpoint",
            f"checking management api endpoint: {endpoint} is not a valid url",
            "use https://host:8080/client/api",
        )
    network = az.zone.network if az.zone is not None else None
    if network is None or not (network.id or network.name):
        d.error(
            f"{path}.zone.network",
            "zone network is not set or is empty",
            "set zone.network.name or zone.network.id",
        )


def _datacenter(dc: CloudStackDatacenterConfig) -> list[Finding]:
    d = object_collector(dc, "cloudstack")
    spec = dc.spec
    if spec.availability_zones:
        zones = list(spec.availability_zones)
    else:  # EKS-A turns the legacy zones list into availability zones
        zones = [
            CloudStackAvailabilityZone(
                name=f"default-az-{i}",
                zone=zone,
                management_api_endpoint=spec.management_api_endpoint,
            )
            for i, zone in enumerate(spec.zones or [])
        ]
    if not zones:
        d.error(
            "spec.availabilityZones",
            "availabilityZones must not be empty",
            "add spec.availabilityZones",
        )
    seen: set[str] = set()
    for i, az in enumerate(zones):
        _zone(d, i, az, seen)
    return d.findings


def _disk_offering(m: Collector, mc: CloudStackMachineConfig) -> None:
    offering = mc.spec.disk_offering
    if offering is None:
        return
    path = "spec.diskOffering"
    if offering.id or offering.name:
        checks = (
            (
                "mountPath",
                len(offering.mount_path or "") >= 2 and (offering.mount_path or "").startswith("/"),
                "must be non-empty and start with /",
            ),
            ("filesystem", bool(offering.filesystem), "empty filesystem"),
            ("device", bool(offering.device), "empty device"),
            ("label", bool(offering.label), "empty label"),
        )
        for key, ok, why in checks:
            if not ok:
                m.error(
                    f"{path}.{key}",
                    f"machine config {shown(mc.name)} validation failed: {key} invalid, {why}",
                    f"set diskOffering.{key}",
                )
                return
    elif any((offering.mount_path, offering.filesystem, offering.device, offering.label)):
        m.error(
            path,
            f"machine config {shown(mc.name)} validation failed: id or name invalid, empty id/name",
            "set diskOffering.name or diskOffering.id",
        )


def _machine(mc: CloudStackMachineConfig) -> list[Finding]:
    m = object_collector(mc, "cloudstack")
    spec = mc.spec
    for key, ident in (("computeOffering", spec.compute_offering), ("template", spec.template)):
        if ident is None or not (ident.id or ident.name):
            m.error(
                f"spec.{key}",
                f"{key} is not set for CloudStackMachineConfig {shown(mc.name)}. Default {key} is not supported in CloudStack, please provide a {key} name or ID",
                f"set spec.{key}.name",
            )
    _disk_offering(m, mc)
    for key in spec.user_custom_details or {}:
        if key in RESTRICTED_DETAILS:
            m.error(
                f"spec.userCustomDetails.{key}",
                f"restricted key {key} found in custom user details",
                "remove it",
            )
    for key, target in (spec.symlinks or {}).items():
        for value in (key, target):
            if not value.startswith("/") or value.endswith("/"):
                why = "must start with / and NOT end with /"
            elif not _PORTABLE.match(value):
                why = "has char not in portable file name set"
            else:
                continue
            m.error(
                f"spec.symlinks.{key}",
                f"machine config {shown(mc.name)} validation failed: symlinks: {value} invalid, {why}",
                "use absolute paths such as /var/log: /data/var/log",
            )
            break
    if spec.affinity and spec.affinity_group_ids:
        m.error(
            "spec.affinity",
            f"affinity and affinityGroupIds cannot be set at the same time for CloudStackMachineConfig {shown(mc.name)}. Please provide either one of them or none",
            "keep one of them",
        )
    elif spec.affinity and spec.affinity not in ("pro", "anti", "no"):
        m.error(
            "spec.affinity",
            f'invalid affinity type {spec.affinity} for CloudStackMachineConfig {shown(mc.name)}. Please provide "pro", "anti" or "no"',
            "use pro, anti or no",
        )
    check_users(m, spec.users, None)
    return m.findings


# The rules of each CloudStack object (also run on an object on its own).
CLOUDSTACK_OBJECTS = (
    ObjectRule(CloudStackDatacenterConfig, _datacenter),
    ObjectRule(CloudStackMachineConfig, _machine),
)


def cloudstack_rules(spec: ClusterSpec, c: Collector) -> list[Finding]:
    return spec_findings(spec, CLOUDSTACK_OBJECTS)
