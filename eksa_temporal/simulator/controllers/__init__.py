"""Simulated Cluster API controllers for every virtual cluster of the sim: core (Cluster,
MachineDeployment, MachineSet, Machine), kubeadm bootstrap and control plane, the sim
infrastructure provider (SimCluster, SimMachine), a stand-in for CAPV (VSphereCluster,
VSphereMachine) and a Deployment controller, plus the SQLite machine inventory
(``inventory.Inventory``).

``sim serve`` (``simulator/server.py``) runs ``run_controllers`` beside the HTTP layer
on one asyncio loop; they act on the in-process store directly. A kind is reconciled in a
virtual cluster only once its provider's controller Deployment (names in
``simulator.components``) is Available there, as if the real controllers ran in it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from eksa_temporal.simulator.knobs import Knobs
from eksa_temporal.simulator.store_api import ObjectStore


async def run_controllers(
    store: ObjectStore, state_dir: Path, knobs: Callable[[], Knobs], stop: asyncio.Event
) -> None:
    """Reconcile until ``stop`` is set: every watched object once at start (resume after a
    crash), then on store events. ``knobs`` is read at each use (run-time changes apply)."""
    from eksa_temporal.simulator.controllers.manager import Manager

    await Manager(store, state_dir, knobs).run(stop)
