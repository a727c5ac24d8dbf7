"""``CloudStackProvider``: the cloudstack provider (Apache CloudStack). This build holds its spec rules
(``spec_rules``) - a spec selecting it validates - but it cannot create clusters: its
preflight says so before anything is changed."""

from __future__ import annotations

from types import ModuleType
from typing import Any, ClassVar

from eksa_temporal.providers.base import Provider, ProviderContext
from eksa_temporal.providers.cloudstack import spec_example
from eksa_temporal.providers.cloudstack.spec_defaults import machine_defaults
from eksa_temporal.providers.cloudstack.spec_rules import CLOUDSTACK_OBJECTS, cloudstack_rules
from eksa_temporal.spec.plugins import KindDefaults, ProviderRule
from eksa_temporal.spec.provider_checks import ObjectRule


class CloudStackProvider(Provider):
    name = "cloudstack"
    datacenter_kinds = ("CloudStackDatacenterConfig",)
    spec_example: ClassVar[ModuleType | None] = spec_example
    can_create = False

    def static_rule(self) -> ProviderRule | None:
        return cloudstack_rules

    def spec_defaults(self) -> dict[str, KindDefaults]:
        return {"CloudStackMachineConfig": machine_defaults}

    def object_rules(self) -> tuple[ObjectRule[Any], ...]:
        return tuple(CLOUDSTACK_OBJECTS)



def make_provider(ctx: ProviderContext) -> CloudStackProvider:
    """The ``cloudstack`` entry point."""
    return CloudStackProvider()
