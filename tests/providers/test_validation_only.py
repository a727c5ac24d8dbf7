"""A provider that holds spec rules only (``can_create = False``) refuses at preflight,
before any step changes something; every provider found through the entry points
(sim, vsphere, nutanix, cloudstack, snow) creates clusters."""

from __future__ import annotations

from pathlib import Path

from eksa_temporal.providers.base import PreflightOptions, Provider
from eksa_temporal.providers.registry import Registry


class RulesOnly(Provider):
    name = "rules-only"
    datacenter_kinds = ("RulesOnlyDatacenterConfig",)
    can_create = False


def test_a_validation_only_provider_refuses_at_preflight() -> None:
    [finding] = RulesOnly().preflight(None, PreflightOptions())  # type: ignore[arg-type]
    assert finding.check == "rules-only-supported"
    assert "cannot create" in finding.message and finding.remediation


def test_providers_that_create_pass_the_default_preflight(tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    for name in ("sim", "vsphere", "nutanix", "cloudstack", "snow"):
        assert name in registry.available()
        assert registry.provider(name).can_create, name
