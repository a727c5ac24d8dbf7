"""Test harness for the simulated controllers: the API emulator's real in-process store in a temporary
state dir, the sim components installed into a virtual cluster, the controller manager
running on the test's event loop, and a bounded ``wait_for``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

from eksa_temporal.simulator import components
from eksa_temporal.simulator.apiserver.store import Store
from eksa_temporal.simulator.controllers.manager import Manager
from eksa_temporal.simulator.knobs import Knobs
from eksa_temporal.simulator.store_api import AlreadyExists

T = TypeVar("T")
Obj = dict[str, Any]

CLUSTER_V = "cluster.x-k8s.io/v1beta1"
FAST = Knobs(boot_seconds=0.05, deployment_ready_seconds=0.0)


def open_store(state_dir: Path) -> Store:
    store = Store(state_dir)
    store.base_url = "http://127.0.0.1:6480"
    return store


def install(store: Store, cluster: str, *, crds: list[Obj] | None = None, deployments: bool = True) -> None:
    """Create the virtual cluster and apply the sim components (CRDs, namespaces and -
    unless ``deployments`` is False - the controller Deployments) into it."""
    store.create_virtual_cluster(cluster)
    docs: list[Obj] = [components.inventory_crd()]
    for p in components.PROVIDERS:
        docs += components.manifests(p.name, crds=crds is None)
    if crds is not None:
        docs = crds + docs
    for doc in docs:
        if doc["kind"] == "Deployment" and not deployments:
            continue
        with suppress(AlreadyExists):
            store.create(cluster, doc)


def apply(store: Store, cluster: str, docs: list[Obj]) -> None:
    for doc in docs:
        store.create(cluster, doc)


@asynccontextmanager
async def running(store: Store, state_dir: Path, knobs: Callable[[], Knobs] = lambda: FAST) -> AsyncIterator[Manager]:
    manager = Manager(store, state_dir, knobs)
    stop = asyncio.Event()
    task = asyncio.create_task(manager.run(stop))
    await asyncio.sleep(0.01)
    try:
        yield manager
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)


async def wait_for(fn: Callable[[], T | None], timeout: float = 10.0, what: str = "") -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or fn}")
        await asyncio.sleep(0.02)


async def settle(manager: Manager, quiet_for: float = 0.5, timeout: float = 30.0) -> None:
    """Wait until nothing is queued or running and no reconcile ran for ``quiet_for`` seconds.

    Store events reach the manager's watch a moment after the write, so one empty look at
    the queues can fall between a status write and the event it causes."""
    deadline = time.monotonic() + timeout
    seen, since = -1, time.monotonic()
    while True:
        now = time.monotonic()
        if manager.pending() or manager.active or manager.reconciles != seen:
            seen, since = manager.reconciles, now
        elif now - since >= quiet_for:
            return
        if now > deadline:
            raise AssertionError(f"the controllers did not settle within {timeout}s")
        await asyncio.sleep(0.02)


def get(store: Store, cluster: str, kind: str, name: str, ns: str = "eksa-system", av: str = CLUSTER_V) -> Obj | None:
    return store.get(cluster, av, kind, ns, name)


def cond(obj: Obj | None, type_: str, *, v2: bool = False) -> bool:
    if obj is None:
        return False
    st = obj.get("status") or {}
    conds = (st.get("v1beta2") or {}).get("conditions") if v2 else st.get("conditions")
    return any(c.get("type") == type_ and c.get("status") == "True" for c in conds or [])
