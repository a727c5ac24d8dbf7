"""``SnowProvider``: the snow provider (AWS Snow devices). This build holds its spec rules
(``spec_rules``) - a spec selecting it validates - but it cannot create clusters: its
preflight says so before anything is changed."""

from __future__ import annotations

from types import ModuleType
from typing import Any, ClassVar

from eksa_temporal.providers.base import Provider, ProviderContext
from eksa_temporal.providers.snow import spec_example
from eksa_temporal.providers.snow.spec_rules import snow_objects, snow_rules
from eksa_temporal.spec.plugins import ProviderRule
from eksa_temporal.spec.provider_checks import ObjectRule


class SnowProvider(Provider):
    name = "snow"
    datacenter_kinds = ("SnowDatacenterConfig",)
    spec_example: ClassVar[ModuleType | None] = spec_example
    can_create = False

    def static_rule(self) -> ProviderRule | None:
        return snow_rules

    def object_rules(self) -> tuple[ObjectRule[Any], ...]:
        return tuple(snow_objects(None))



def make_provider(ctx: ProviderContext) -> SnowProvider:
    """The ``snow`` entry point."""
    return SnowProvider()
