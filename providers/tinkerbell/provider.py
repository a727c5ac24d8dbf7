"""``TinkerbellProvider``: the tinkerbell provider (bare metal through Tinkerbell). This build holds its spec rules
(``spec_rules``) - a spec selecting it validates - but it cannot create clusters: its
preflight says so before anything is changed."""

from __future__ import annotations

from types import ModuleType
from typing import Any, ClassVar

from eksa_temporal.providers.base import Provider, ProviderContext
from eksa_temporal.providers.tinkerbell import spec_example
from eksa_temporal.providers.tinkerbell.spec_defaults import machine_defaults
from eksa_temporal.providers.tinkerbell.spec_rules import tinkerbell_objects, tinkerbell_rules
from eksa_temporal.spec.plugins import KindDefaults, ProviderRule
from eksa_temporal.spec.provider_checks import ObjectRule


class TinkerbellProvider(Provider):
    name = "tinkerbell"
    datacenter_kinds = ("TinkerbellDatacenterConfig",)
    spec_example: ClassVar[ModuleType | None] = spec_example
    can_create = False

    def static_rule(self) -> ProviderRule | None:
        return tinkerbell_rules

    def spec_defaults(self) -> dict[str, KindDefaults]:
        return {"TinkerbellMachineConfig": machine_defaults}

    def object_rules(self) -> tuple[ObjectRule[Any], ...]:
        return tuple(tinkerbell_objects(None))



def make_provider(ctx: ProviderContext) -> TinkerbellProvider:
    """The ``tinkerbell`` entry point."""
    return TinkerbellProvider()
