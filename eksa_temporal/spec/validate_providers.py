"""Provider-specific static rules (no infrastructure calls): what each provider's first
checks in EKS-A reject. vSphere, Tinkerbell and CloudStack live here; Nutanix, Snow and our
``sim`` provider in ``validate_providers_more``. Called by
``eksa_temporal.spec.validate.validate_spec``.
"""

from __future__ import annotations

from eksa_temporal.spec.cloudstack import CloudStackDatacenterConfig, CloudStackMachineConfig
from eksa_temporal.spec.clusterspec import ClusterSpec
from eksa_temporal.spec.findings import Finding
from eksa_temporal.spec.provider_checks import check_os_family, check_users, object_collector
from eksa_temporal.spec.rules_util import Collector, is_ip
from eksa_temporal.spec.tinkerbell import TinkerbellDatacenterConfig, TinkerbellMachineConfig
from eksa_temporal.spec.validate_providers_more import nutanix_rules, sim_rules, snow_rules
from eksa_temporal.spec.vsphere import VSphereDatacenterConfig, VSphereMachineConfig


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
        d = object_collector(dc, "vsphere")
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
    for mc in spec.machine_configs_of(VSphereMachineConfig):
        m = object_collector(mc, "vsphere")
        check_os_family(m, "vsphere", mc.spec.os_family)
        check_users(m, mc.spec.users, mc.spec.os_family)
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
        d = object_collector(dc, "tinkerbell")
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
    for mc in spec.machine_configs_of(TinkerbellMachineConfig):
        m = object_collector(mc, "tinkerbell")
        if not mc.spec.hardware_selector:
            m.error(
                "spec.hardwareSelector",
                "TinkerbellMachineConfig: missing spec.hardwareSelector",
                "add a label selector, e.g. type: cp",
            )
        check_os_family(m, "tinkerbell", mc.spec.os_family)
        check_users(m, mc.spec.users, mc.spec.os_family)
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
        d = object_collector(dc, "cloudstack")
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
    for mc in spec.machine_configs_of(CloudStackMachineConfig):
        m = object_collector(mc, "cloudstack")
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
        check_users(m, mc.spec.users, None)
        out += m.findings
    return out


def validate_provider(spec: ClusterSpec) -> list[Finding]:
    c = Collector(check=f"{spec.provider or 'provider'}-static")
    rules = {
        "vsphere": _vsphere,
        "tinkerbell": _tinkerbell,
        "cloudstack": _cloudstack,
        "nutanix": nutanix_rules,
        "snow": snow_rules,
        "sim": sim_rules,
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
