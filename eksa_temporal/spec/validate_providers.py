"""Provider-specific static rules (no infrastructure calls): what each provider's first
checks in EKS-A reject. Each provider's own rules live in its folder
(``eksa_temporal.providers.<p>.spec_rules``) and reach this module through
``eksa_temporal.spec.plugins`` (registered by whoever discovers the providers); our ``sim``
kinds' rules are in ``validate_providers_more``. This module holds the cross-provider rules
(control-plane endpoint, InPlace upgrades, registry mirror and Bottlerocket). Called by
``eksa_temporal.spec.validate.validate_spec``.
"""

from __future__ import annotations

from eksa_temporal.spec.clusterspec import ClusterSpec
from eksa_temporal.spec.findings import Finding
from eksa_temporal.spec.plugins import ProviderRule, plugin
from eksa_temporal.spec.rules_util import Collector, shown
from eksa_temporal.spec.validate_providers_more import sim_rules


def _endpoint_required(c: Collector, spec: ClusterSpec) -> None:
    endpoint = spec.cluster.spec.control_plane_configuration.endpoint
    if endpoint is None or not endpoint.host:
        c.error(
            "spec.controlPlaneConfiguration.endpoint.host",
            "cluster controlPlaneConfiguration.Endpoint.Host is not set or is empty",
            "set the control plane's virtual IP",
        )


def _registry_mirror_os(spec: ClusterSpec, c: Collector) -> None:
    """EKS-A's ``ValidateOSForRegistryMirror``: insecureSkipVerify is not for Bottlerocket."""
    mirror = spec.cluster.spec.registry_mirror_configuration
    if mirror is None or not mirror.insecure_skip_verify:
        return
    for mc in spec.machine_configs.values():
        if getattr(mc.spec, "os_family", None) == "bottlerocket":
            c.error(
                "spec.registryMirrorConfiguration.insecureSkipVerify",
                f"InsecureSkipVerify is not supported for bottlerocket ({mc.kind}/{shown(mc.name)})",
                "remove insecureSkipVerify and set caCertContent, or use another osFamily",
            )
            return


def validate_provider(spec: ClusterSpec) -> list[Finding]:
    c = Collector(check=f"{spec.provider or 'provider'}-static")
    rules: dict[str, ProviderRule] = {"sim": sim_rules}
    rule = rules.get(spec.provider)
    contributed = None if rule is not None else plugin(spec.provider)
    if contributed is not None:
        rule = contributed.rules
    if contributed.endpoint_required if contributed else spec.provider not in ("", "docker", "sim"):
        _endpoint_required(c, spec)
    if (
        spec.provider == "docker"
        and spec.cluster.spec.control_plane_configuration.endpoint is not None
    ):
        c.error(  # EKS-A's docker ValidateControlPlaneEndpoint
            "spec.controlPlaneConfiguration.endpoint",
            "specifying endpoint host configuration in Cluster is not supported",
            "remove controlPlaneConfiguration.endpoint (docker picks the address)",
        )
    out = rule(spec, c) if rule else []
    _registry_mirror_os(spec, c)
    if spec.provider != "tinkerbell":
        for path, _kind in _in_place(spec):
            c.error(
                path,
                "'InPlace' upgrade rollout strategy type is only supported on Bare Metal",
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
