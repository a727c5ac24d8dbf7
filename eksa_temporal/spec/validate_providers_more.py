"""Static rules of our ``sim`` provider's kinds (no infrastructure calls). Called by
``eksa_temporal.spec.validate_providers.validate_provider``.
"""

from __future__ import annotations

from eksa_temporal.spec.clusterspec import ClusterSpec
from eksa_temporal.spec.docker_sim import SimDatacenterConfig, SimMachineConfig
from eksa_temporal.spec.findings import Finding
from eksa_temporal.spec.provider_checks import check_os_family, check_users, object_collector
from eksa_temporal.spec.rules_util import Collector, is_port, split_host_port


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
