"""``generate_cluster_config`` gives a valid spec with EKS-A-like defaults for every provider."""

from __future__ import annotations

import pytest

from eksa_temporal.spec import PROVIDERS, check_spec_text, errors, generate_cluster_config


@pytest.mark.parametrize("provider", PROVIDERS)
def test_generated_spec_is_valid_for_every_provider(provider: str) -> None:
    spec, findings = check_spec_text(generate_cluster_config("demo", provider))
    assert not errors(findings), [f.line() for f in findings]
    assert spec is not None and spec.provider == provider
    assert spec.kubernetes_version == "1.31"
    [(group, _)] = spec.worker_groups
    assert (group.name, group.count) == ("md-0", 1)
    net = spec.cluster.spec.cluster_network
    assert net.cni_config is not None and net.cni_config.cilium is not None
    assert net.pods is not None and net.pods.cidr_blocks == ["192.168.0.0/16"]
    assert net.services is not None and net.services.cidr_blocks == ["10.96.0.0/12"]


def test_sim_spec_uses_sim_kinds() -> None:
    spec, _ = check_spec_text(generate_cluster_config("lab", "sim"))
    assert spec is not None
    assert spec.datacenter is not None and spec.datacenter.kind == "SimDatacenterConfig"
    assert {m.kind for m in spec.machine_configs.values()} == {"SimMachineConfig"}


def test_unknown_provider_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown provider"):
        generate_cluster_config("demo", "mars")
