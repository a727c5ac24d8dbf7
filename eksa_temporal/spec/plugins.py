"""Spec contributions of provider plug-ins: the kinds a provider adds (its datacenter and
machine-config models), the defaults of those kinds, and the provider's static rules.

The spec layer knows no provider package: whoever discovers providers (the provider
registry, from the ``eksa_temporal.providers`` entry points) calls ``register`` with what
each provider contributes. Loading then decodes the contributed kinds, selects the
provider by its datacenterRef kind, and ``validate_spec`` runs the provider's rules.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eksa_temporal.spec.base import KubeObject
from eksa_temporal.spec.clusterspec import ClusterSpec
from eksa_temporal.spec.findings import Finding
from eksa_temporal.spec.kinds import (
    DATACENTER_KIND,
    MACHINE_KIND,
    MACHINE_KINDS,
    MODEL_BY_KIND,
    PLUGIN_KINDS,
    PROVIDER_BY_DATACENTER_KIND,
)
from eksa_temporal.spec.provider_checks import ObjectRule
from eksa_temporal.spec.rules_util import Collector

# a provider's rules over a whole spec: findings returned or added to the collector
ProviderRule = Callable[[ClusterSpec, Collector], list[Finding]]
# defaults for one document of a contributed kind, applied in place before decoding
KindDefaults = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class SpecPlugin:
    """What one provider adds to the spec."""

    provider: str
    datacenter: type[KubeObject] | None = None
    machine: type[KubeObject] | None = None
    # rules over the whole spec when ``spec.provider == provider``
    rules: ProviderRule | None = None
    # rules of single objects (also run for a manifest without a Cluster)
    object_rules: tuple[ObjectRule[Any], ...] = ()
    # kind -> defaults of a document of that kind
    defaults: dict[str, KindDefaults] = field(default_factory=dict)
    # whether the Cluster must set controlPlaneConfiguration.endpoint.host
    endpoint_required: bool = True
    # ``generate clusterconfig``: the datacenter config's spec (None: the provider has no
    # example), each machine config's spec by role ("cp", "worker"), control-plane nodes
    example_datacenter: dict[str, Any] | None = None
    example_machine: Callable[[str], dict[str, Any]] | None = None
    example_control_plane_count: int = 1


_lock = threading.Lock()
_PLUGINS: dict[str, SpecPlugin] = {}


def _kind(model: type[KubeObject]) -> str:
    return str(model.model_fields["kind"].default)


def register(plugin: SpecPlugin) -> None:
    """Add ``plugin``'s kinds, defaults and rules (idempotent; a later registration of the
    same provider replaces the earlier one)."""
    with _lock:
        _PLUGINS[plugin.provider] = plugin
        if plugin.datacenter is not None:
            kind = _kind(plugin.datacenter)
            MODEL_BY_KIND[kind] = plugin.datacenter
            PLUGIN_KINDS.add(kind)
            DATACENTER_KIND[plugin.provider] = kind  # type: ignore[index]
            PROVIDER_BY_DATACENTER_KIND[kind] = plugin.provider  # type: ignore[assignment]
        if plugin.machine is not None:
            kind = _kind(plugin.machine)
            MODEL_BY_KIND[kind] = plugin.machine
            PLUGIN_KINDS.add(kind)
            MACHINE_KIND[plugin.provider] = kind  # type: ignore[index]
            MACHINE_KINDS.add(kind)


def plugin(provider: str) -> SpecPlugin | None:
    """The registered contribution of ``provider``, if any."""
    with _lock:
        return _PLUGINS.get(provider)


def plugins() -> list[SpecPlugin]:
    with _lock:
        return list(_PLUGINS.values())


def kind_defaults(kind: str) -> list[KindDefaults]:
    return [p.defaults[kind] for p in plugins() if kind in p.defaults]
