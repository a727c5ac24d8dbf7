"""Provider name -> ``Provider`` instance, found through entry points, and the
bootstrap-cluster backend of each provider.

Providers are plug-ins: each is an entry point of the group ``eksa_temporal.providers``
whose name is the provider name (what a spec selects through its datacenterRef kind, e.g.
``sim``, ``vsphere``) and whose value is a factory taking a ``ProviderContext``. Activities
resolve the spec's provider here, never by importing a provider module themselves.
Providers are built lazily (a provider whose libraries are missing does not break the
others) and once per ``Registry``. ``Registry`` holds the sim state directory, so the worker
and the tests can point at their own simulated infrastructure.

``load_spec_plugins()`` registers what every discovered provider adds to the spec (its
kinds, defaults and static rules, ``eksa_temporal.spec.plugins``); a ``Registry`` does it
when built, and so does any entry point (CLI, client) that checks specs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

from eksa_temporal import config
from eksa_temporal.logs import get_logger
from eksa_temporal.providers.base import Provider, ProviderContext
from eksa_temporal.providers.bootstrap import Bootstrapper, KindBootstrapper, SimBootstrapper
from eksa_temporal.spec.plugins import SpecPlugin, register

GROUP = "eksa_temporal.providers"
log = get_logger(__name__)
Factory = Callable[[ProviderContext], Provider]


class UnknownProvider(KeyError):
    """The spec names a provider this build does not support."""


def discovered() -> dict[str, EntryPoint]:
    """The provider entry points installed (or on ``sys.path``), by provider name."""
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def spec_plugin(provider: Provider) -> SpecPlugin:
    """What ``provider`` adds to the spec: its kinds, defaults and static rules."""
    return provider.spec_plugin()


_loaded: set[str] = set()
_loaded_lock = threading.Lock()


def load_spec_plugins(registry: Registry | None = None) -> list[str]:
    """Register the spec contributions of every discovered provider (once per provider and
    process); returns the providers registered now. A provider that fails to load is
    skipped with a warning."""
    reg = registry or Registry(register_spec=False)
    done: list[str] = []
    for name in sorted(discovered()):
        with _loaded_lock:
            if name in _loaded:
                continue
        try:
            provider = reg.provider(name)
        except Exception as exc:  # a plug-in's import or construction failed
            log.warning("provider plug-in not loaded", provider=name, error=f"{type(exc).__name__}: {exc}")
            continue
        register(spec_plugin(provider))
        with _loaded_lock:
            _loaded.add(name)
        done.append(name)
    return done


class Registry:
    """Providers and bootstrappers for one worker (or one test)."""

    def __init__(
        self,
        sim_state_dir: Path | None = None,
        *,
        providers: dict[str, Provider] | None = None,
        bootstrapper: Bootstrapper | None = None,
        register_spec: bool = True,
    ) -> None:
        self.sim_state_dir = sim_state_dir or config.sim_state_dir()
        self._providers: dict[str, Provider] = dict(providers or {})
        self._bootstrapper = bootstrapper
        self._bootstrappers: dict[str, Bootstrapper] = {}
        self._sim_client: Any = None
        self._lock = threading.Lock()
        if register_spec:
            load_spec_plugins(self)

    def context(self) -> ProviderContext:
        return ProviderContext(sim_state_dir=self.sim_state_dir, sim_client=self.sim_client)

    def sim_client(self) -> Any:
        """The admin client of the simulated infrastructure (``SimClient``)."""
        with self._lock:
            if self._sim_client is None:
                from eksa_temporal.simulator.api import SimClient

                self._sim_client = SimClient(self.sim_state_dir)
            return self._sim_client

    def available(self) -> list[str]:
        """The provider names this build can resolve."""
        with self._lock:
            given = set(self._providers)
        return sorted(given | set(discovered()))

    def provider(self, name: str) -> Provider:
        with self._lock:
            found = self._providers.get(name)
        if found is not None:
            return found
        entry = discovered().get(name)
        if entry is None:
            raise UnknownProvider(
                f"provider {name!r} is not supported; supported: {', '.join(self.available())}"
            )
        factory: Factory = entry.load()
        built = factory(self.context())
        if not isinstance(built, Provider):
            raise TypeError(f"entry point {entry.value} did not build a Provider")
        with self._lock:
            return self._providers.setdefault(name, built)

    def bootstrapper(self, provider: str = "sim") -> Bootstrapper:
        """The bootstrap ("kind") cluster backend of ``provider``: the provider's own when it
        has one; else virtual clusters of the simulated infrastructure for a provider on it
        (``sim``, and providers built on it: infrastructure component ``sim``); else kind.
        An explicitly given bootstrapper serves every provider."""
        if self._bootstrapper is not None:
            return self._bootstrapper
        with self._lock:
            known = self._bootstrappers.get(provider)
        if known is not None:
            return known
        try:
            found: Provider | None = self.provider(provider)
        except UnknownProvider:
            found = None
        own = found.bootstrapper() if found is not None else None
        boot: Bootstrapper
        if own is not None:
            boot = own
        elif provider == "sim" or _on_sim(found):
            boot = SimBootstrapper(self.sim_client())
        else:
            boot = KindBootstrapper()
        with self._lock:
            return self._bootstrappers.setdefault(provider, boot)


def _on_sim(provider: Provider | None) -> bool:
    """Whether ``provider`` runs on the simulated infrastructure (its CAPI infrastructure
    component is the sim's)."""
    if provider is None:
        return False
    try:
        return provider.infrastructure_component().name == "sim"
    except NotImplementedError:
        return False
