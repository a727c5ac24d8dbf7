"""Providers this build holds spec rules for but cannot create with (cloudstack,
nutanix, snow) are found through their entry points and refuse at preflight, before any
step changes something."""

from __future__ import annotations

from pathlib import Path

import pytest

from eksa_temporal.providers.base import PreflightOptions
from eksa_temporal.providers.registry import Registry


@pytest.mark.parametrize("name", ["snow"])
def test_a_validation_only_provider_refuses_at_preflight(name: str, tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    assert name in registry.available()
    provider = registry.provider(name)
    assert not provider.can_create
    [finding] = provider.preflight(None, PreflightOptions())  # type: ignore[arg-type]
    assert finding.check == f"{name}-supported"
    assert "cannot create" in finding.message and finding.remediation


def test_providers_that_create_pass_the_default_preflight(tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    for name in ("sim", "vsphere", "nutanix", "cloudstack"):
        assert registry.provider(name).can_create, name
