"""Provider name -> ``Provider`` instance, and the bootstrap-cluster backend.

Activities resolve the spec's provider (``sim``, ``vsphere``, ...) here, never by importing
a provider module themselves. Providers are built lazily (a provider whose libraries are
missing does not break the others) and once per process. ``Registry`` holds the sim state
directory, so the worker and the tests can point at their own simulated infrastructure.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eksa_temporal import config
from eksa_temporal.providers.base import Provider
from eksa_temporal.providers.bootstrap import Bootstrapper, SimBootstrapper


class UnknownProvider(KeyError):
    """The spec names a provider this build does not support."""


def _sim(reg: Registry) -> Provider:
    from eksa_temporal.providers.sim.provider import SimProvider

    provider: Provider = SimProvider(reg.sim_state_dir)
    return provider


def _vsphere(reg: Registry) -> Provider:
    from eksa_temporal.providers.vsphere.provider import VSphereProvider

    provider: Provider = VSphereProvider()
    return provider


FACTORIES: dict[str, Callable[[Registry], Provider]] = {"sim": _sim, "vsphere": _vsphere}


class Registry:
    """Providers and the bootstrapper for one worker (or one test)."""

    def __init__(
        self,
        sim_state_dir: Path | None = None,
        *,
        providers: dict[str, Provider] | None = None,
        bootstrapper: Bootstrapper | None = None,
    ) -> None:
        self.sim_state_dir = sim_state_dir or config.sim_state_dir()
        self._providers: dict[str, Provider] = dict(providers or {})
        self._bootstrapper = bootstrapper
        self._sim_client: Any = None
        self._lock = threading.Lock()

    def sim_client(self) -> Any:
        """The admin client of the simulated infrastructure (``SimClient``)."""
        with self._lock:
            if self._sim_client is None:
                from eksa_temporal.providers.sim.client import SimClient

                self._sim_client = SimClient(self.sim_state_dir)
            return self._sim_client

    def provider(self, name: str) -> Provider:
        with self._lock:
            found = self._providers.get(name)
        if found is not None:
            return found
        factory = FACTORIES.get(name)
        if factory is None:
            raise UnknownProvider(
                f"provider {name!r} is not supported; supported: {', '.join(sorted(FACTORIES))}"
            )
        built = factory(self)
        with self._lock:
            return self._providers.setdefault(name, built)

    def bootstrapper(self, provider: str = "sim") -> Bootstrapper:
        """The bootstrap ("kind") cluster backend; the sim serves it for every provider."""
        if self._bootstrapper is None:
            self._bootstrapper = SimBootstrapper(self.sim_client())
        return self._bootstrapper
