"""The Nutanix provider's static spec rules (EKS-A's ``NutanixDatacenterConfig.Validate``,
``validateNutanixMachineConfig``; no infrastructure calls)."""

from __future__ import annotations

from eksa_temporal.providers.nutanix.ccm import excluded_addresses
from eksa_temporal.spec.clusterspec import ClusterSpec
from eksa_temporal.spec.findings import Finding
from eksa_temporal.spec.nutanix import (
    NutanixDatacenterConfig,
    NutanixMachineConfig,
    NutanixResourceIdentifier,
)
from eksa_temporal.spec.provider_checks import (
    ObjectRule,
    check_users,
    object_collector,
    quantity_bytes,
    spec_findings,
)
from eksa_temporal.spec.rules_util import (
    Collector,
    shown,
)


def _nutanix_identifier(
    m: Collector, path: str, what: str, ident: NutanixResourceIdentifier | None, prefix: str
) -> None:
    """EKS-A's ``validateNutanixResourceReference``: type name or uuid, with that value."""
    if ident is None:
        m.error(path, f"{prefix}: missing {what} identifier", f"set {path} (type: name, name: ...)")
    elif ident.type not in ("name", "uuid"):
        m.error(
            f"{path}.type",
            f"{prefix}: invalid identifier type for {what}: {ident.type}"
            if ident.type
            else f"{prefix}: identifier type for {what} is not set",
            "use type: name or type: uuid",
        )
    elif not (ident.name if ident.type == "name" else ident.uuid):
        key = "name" if ident.type == "name" else "UUID"
        m.error(
            f"{path}.{ident.type}",
            f"{prefix}: missing {what} {key}",
            f"set {path}.{ident.type}",
        )


def _nutanix_datacenter(dc: NutanixDatacenterConfig) -> list[Finding]:
    d = object_collector(dc, "nutanix")
    spec = dc.spec
    if not spec.endpoint:
        d.error(
            "spec.endpoint",
            "NutanixDatacenterConfig endpoint is not set or is empty",
            "set Prism Central's address",
        )
    if spec.port == 0:
        d.error("spec.port", "NutanixDatacenterConfig port is not set or is empty", "use 9440")
    elif not 0 < spec.port <= 65535:
        d.error("spec.port", f"NutanixDatacenterConfig port {spec.port} is invalid", "use 9440")
    bundle = spec.additional_trust_bundle
    if bundle and "-----BEGIN CERTIFICATE-----" not in bundle:
        d.error(
            "spec.additionalTrustBundle",
            "NutanixDatacenterConfig additionalTrustBundle is not valid: could not find a PEM block in the certificate",
            "paste PEM-encoded CA certificates",
        )
    ref = spec.credential_ref
    if ref is not None and ref.kind != "Secret":
        d.error(
            "spec.credentialRef.kind",
            f"NutanixDatacenterConfig credentialRef Kind ({shown(ref.kind)}) is not a secret",
            "set kind: Secret",
        )
    elif ref is not None and not ref.name:
        d.error(
            "spec.credentialRef.name",
            "NutanixDatacenterConfig credentialRef name is not set or is empty",
            "name the credentials Secret",
        )
    for i, entry in enumerate(spec.ccm_exclude_node_ips or []):
        try:  # EKS-A's validateCcmExcludeNodeIPs (its preflight; no infrastructure call)
            excluded_addresses(str(entry))
        except ValueError as exc:
            d.error(
                f"spec.ccmExcludeNodeIPs[{i}]",
                f"NutanixDatacenterConfig ccmExcludeNodeIPs: {exc}",
                "use an IP address, a CIDR (10.0.0.0/24) or a range (10.0.0.10-10.0.0.20)",
            )
    for i, fd in enumerate(spec.failure_domains or []):
        path = f"spec.failureDomains[{i}]"
        _nutanix_identifier(
            d,
            f"{path}.cluster",
            "cluster",
            fd.cluster,
            "NutanixDatacenterConfig.Spec.FailureDomains.Cluster",
        )
        for j, subnet in enumerate(fd.subnets or []):
            _nutanix_identifier(
                d,
                f"{path}.subnets[{j}]",
                "subnet",
                subnet,
                "NutanixDatacenterConfig.Spec.FailureDomains.Subnets",
            )
    return d.findings


def _nutanix_machine(mc: NutanixMachineConfig) -> list[Finding]:
    m = object_collector(mc, "nutanix")
    spec = mc.spec
    prefix = "NutanixMachineConfig"
    if not mc.name:  # EKS-A's validateObjectMeta
        m.error("metadata.name", "NutanixMachineConfig: missing name", "set metadata.name")
    for key, ident in (("subnet", spec.subnet), ("cluster", spec.cluster), ("image", spec.image)):
        _nutanix_identifier(m, f"spec.{key}", key, ident, prefix)
    if spec.project is not None:
        _nutanix_identifier(m, "spec.project", "project", spec.project, prefix)
    for i, category in enumerate(spec.additional_categories or []):
        if not category.key:
            m.error(
                f"spec.additionalCategories[{i}].key",
                f"NutanixMachineConfig: missing category key: {shown(mc.name)}",
                "set the category key",
            )
        elif not category.value:
            m.error(
                f"spec.additionalCategories[{i}].value",
                f"NutanixMachineConfig: missing category value for key {category.key}: {shown(mc.name)}",
                "set the category value",
            )
    if spec.vcpu_sockets < 1:
        m.error(
            "spec.vcpuSockets",
            "NutanixMachineConfig: vcpu sockets must be greater than or equal to 1",
            "set vcpuSockets to 1 or more",
        )
    if spec.vcpus_per_socket < 1:
        m.error(
            "spec.vcpusPerSocket",
            "NutanixMachineConfig: vcpu per socket must be greater than or equal to 1",
            "set vcpusPerSocket to 1 or more",
        )
    for key, value, minimum, text in (
        (
            "memorySize",
            spec.memory_size,
            2 * 2**30,
            "memory size must be greater than or equal to 2Gi",
        ),
        (
            "systemDiskSize",
            spec.system_disk_size,
            20 * 2**30,
            "system disk size must be greater than 20Gi",
        ),
    ):
        size = quantity_bytes(value)
        if size is None:
            m.error(
                f"spec.{key}",
                f'{key} "{value}" is not a quantity' if value else f"{key} is not set",
                f"e.g. {key}: 8Gi",
            )
        elif size < minimum:
            m.error(f"spec.{key}", f"NutanixMachineConfig: {text}", f"raise spec.{key}")
    if spec.os_family not in ("ubuntu", "redhat"):
        m.error(
            "spec.osFamily",
            f"NutanixMachineConfig: unsupported spec.osFamily ({spec.os_family}); Please use one of the following: ubuntu, redhat",
            "use ubuntu or redhat",
        )
    if spec.boot_type and spec.boot_type not in ("legacy", "uefi"):
        m.error(
            "spec.bootType",
            f"NutanixMachineConfig: unsupported boot type ({spec.boot_type}); Please use one of the following: legacy, uefi",
            "use legacy or uefi",
        )
    check_users(m, spec.users, spec.os_family)
    return m.findings


# The rules of each Nutanix object (also run on an object on its own).
NUTANIX_OBJECTS = (
    ObjectRule(NutanixDatacenterConfig, _nutanix_datacenter),
    ObjectRule(NutanixMachineConfig, _nutanix_machine),
)


def nutanix_rules(spec: ClusterSpec, c: Collector) -> list[Finding]:
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
    return spec_findings(spec, NUTANIX_OBJECTS)
