"""The simulator's public API: everything code outside ``eksa_temporal.simulator`` may use.

- ``SimClient`` (admin API client of a running ``sim serve``), ``SimError``,
  ``SimNotRunning``;
- knobs: ``Knobs``, ``KNOB_NAMES``, ``changes_problem``;
- kubeconfigs of virtual clusters: ``build_kubeconfig``, ``write_kubeconfig``;
- the server: ``serve`` (the ``sim serve`` process body), ``REPOSITORY_DIR`` (the clusterctl
  local repository of stand-in components the server writes into its state dir) and
  ``components_repository(state_dir)``;
- what the sim provider renders for the simulated controllers: ``SIM_VERSION``, the
  Cluster API versions and labels they read, ``short_hash`` (template name hashes).

Everything else in the package is private to it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from eksa_temporal.simulator.client import SimClient, SimError, SimNotRunning
from eksa_temporal.simulator.components import REPOSITORY_DIR, SIM_VERSION
from eksa_temporal.simulator.controllers.objects import (
    BOOTSTRAP_V,
    CLUSTER_NAME_LABEL,
    CLUSTER_V,
    CONTROL_PLANE_ROLE,
    CONTROLPLANE_V,
    INFRA_V,
    short_hash,
)
from eksa_temporal.simulator.knobs import KNOB_NAMES, Knobs, changes_problem
from eksa_temporal.simulator.kubeconfig import build_kubeconfig, write_kubeconfig

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Callable

__all__ = [
    "BOOTSTRAP_V",
    "CLUSTER_NAME_LABEL",
    "CLUSTER_V",
    "CONTROLPLANE_V",
    "CONTROL_PLANE_ROLE",
    "INFRA_V",
    "KNOB_NAMES",
    "REPOSITORY_DIR",
    "SIM_VERSION",
    "Knobs",
    "SimClient",
    "SimError",
    "SimNotRunning",
    "build_kubeconfig",
    "changes_problem",
    "components_repository",
    "serve",
    "short_hash",
    "write_kubeconfig",
]

def components_repository(state_dir: Path) -> Path:
    """The clusterctl local repository of stand-in components (e.g. CAPV played by the
    simulator) that the server at ``state_dir`` writes on start; point the installer's
    component source (``EKSA_COMPONENTS_SOURCE``) at it to install them."""
    return state_dir / REPOSITORY_DIR


async def serve(
    state_dir: Path,
    listen: str = "127.0.0.1:0",
    knobs: Knobs | None = None,
    *,
    stop: asyncio.Event | None = None,
    controllers: bool = True,
    bookmark_seconds: float = 1.0,
    watch_window: int = 20_000,
    http: bool = False,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Run the simulated infrastructure server until SIGTERM/SIGINT (or ``stop``); see
    ``eksa-temporal sim serve``. Imported lazily: the server pulls in aiohttp."""
    from eksa_temporal.simulator.server import serve as _serve

    await _serve(state_dir, listen, knobs, stop=stop, controllers=controllers,
                 bookmark_seconds=bookmark_seconds, watch_window=watch_window, http=http,
                 on_ready=on_ready)
