"""``NutanixProvider``: the nutanix provider (Nutanix Prism Central). This build holds its spec rules
(``spec_rules``) - a spec selecting it validates - but it cannot create clusters: its
preflight says so before anything is changed."""

from __future__ import annotations

from types import ModuleType
from typing import Any, ClassVar

from eksa_temporal.providers.base import Provider, ProviderContext
from eksa_temporal.providers.nutanix import spec_example
from eksa_temporal.providers.nutanix.spec_defaults import machine_defaults
from eksa_temporal.providers.nutanix.spec_rules import NUTANIX_OBJECTS, nutanix_rules
from eksa_temporal.spec.plugins import KindDefaults, ProviderRule
from eksa_temporal.spec.provider_checks import ObjectRule


class NutanixProvider(Provider):
    name = "nutanix"
    datacenter_kinds = ("NutanixDatacenterConfig",)
    spec_example: ClassVar[ModuleType | None] = spec_example
    can_create = False

    def static_rule(self) -> ProviderRule | None:
        return nutanix_rules

    def spec_defaults(self) -> dict[str, KindDefaults]:
        return {"NutanixMachineConfig": machine_defaults}

    def object_rules(self) -> tuple[ObjectRule[Any], ...]:
        return tuple(NUTANIX_OBJECTS)



def make_provider(ctx: ProviderContext) -> NutanixProvider:
    """The ``nutanix`` entry point."""
    return NutanixProvider()
