"""The controller manager: one asyncio task turns store watch events into work-queue keys;
every kind has its own queue and a pool of workers (controller-runtime's
``MaxConcurrentReconciles``): one object is never reconciled by two workers at once, and a
key added while it waits or is being reconciled is reconciled once more, not twice.
Reconcilers are synchronous calls on the in-process store, so the pools interleave on the
one event loop, one reconcile per loop turn with the workers of every kind taking turns: a
busy kind (a flood of Machines) does not hold back the others, and the API server answers
between two reconciles.

On start it enqueues every watched object of every virtual cluster (level-triggered
resume after a crash), then follows ``store.events()``. An event enqueues the object, its
owners, and - only when a gate flips - the objects waiting on that gate: a Cluster's
``paused`` / infrastructure-ready / control-plane-initialized / deleting state, or a
provider controller Deployment becoming Available. A reconciler returns ``requeue_after``
seconds (time-based waits: boots, Deployment readiness) or None; store errors back off per
key. Nothing re-lists the world per event: the objects of each Cluster are indexed from
the events themselves, so a gate flip re-queues only that Cluster's objects.

Pool size: ``workers`` (``eksa-temporal sim serve --reconcile-workers``) or
``EKSA_SIM_RECONCILE_WORKERS``, else ``DEFAULT_WORKERS``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eksa_temporal.simulator.components import CONTROLLERS, KIND_PROVIDER
from eksa_temporal.simulator.controllers import objects as o
from eksa_temporal.simulator.controllers.context import Ctx
from eksa_temporal.simulator.controllers.inventory import Inventory
from eksa_temporal.simulator.controllers.queue import WorkQueue
from eksa_temporal.simulator.controllers.reconcilers import RECONCILERS, WATCHED
from eksa_temporal.simulator.knobs import Knobs
from eksa_temporal.simulator.store_api import ObjectStore, StoreError, WatchEvent

log = logging.getLogger(__name__)

MAX_BACKOFF = 5.0
DEFAULT_WORKERS = 2  # per kind; see docs/benchmarks.md (measured: 1, 2 and 8 equal within noise)
WORKERS_ENV = "EKSA_SIM_RECONCILE_WORKERS"

_GROUP_KIND_VERSION = {(av.rpartition("/")[0], kind): av for kind, av in WATCHED.items()}
_PROVIDER_OF_DEPLOYMENT = {
    (p.namespace, d): p.name for p in CONTROLLERS.values() for d in p.deployments
}


def _canonical(cluster: str, api_version: str, kind: str, ns: str | None, name: str) -> o.Key | None:
    group = api_version.rpartition("/")[0]
    version = _GROUP_KIND_VERSION.get((group, kind))
    return o.Key(cluster, version, kind, ns, name) if version else None


def _gate(cluster: o.Obj) -> tuple[bool, ...]:
    """What the dependants of a Cluster wait on; a change re-queues them."""
    st, sp = o.status(cluster), o.spec(cluster)
    return (
        bool(sp.get("paused")),
        o.PAUSED_ANNOTATION in o.annots(cluster),
        bool(st.get("infrastructureReady")),
        bool(st.get("controlPlaneReady")),
        o.is_true(cluster, "ControlPlaneInitialized"),
        bool((sp.get("controlPlaneEndpoint") or {}).get("host")),
        o.deleting(cluster),
    )


def pool_size(workers: int | None = None) -> int:
    """Workers per kind: ``workers``, else ``$EKSA_SIM_RECONCILE_WORKERS``, else the default."""
    if workers is None:
        raw = os.environ.get(WORKERS_ENV, "").strip()
        try:
            workers = int(raw) if raw else DEFAULT_WORKERS
        except ValueError:
            raise ValueError(f"{WORKERS_ENV} must be a whole number, not {raw!r}") from None
    if workers < 1:
        raise ValueError(f"reconcile workers per kind must be at least 1, not {workers}")
    return workers


ClusterRef = tuple[str, str | None, str]  # (virtual cluster, namespace, CAPI Cluster name)


class Manager:
    """Runs the simulated controllers of every virtual cluster in ``store``."""

    def __init__(
        self, store: ObjectStore, state_dir: Path, knobs: Callable[[], Knobs], *, workers: int | None = None
    ) -> None:
        self.store = store
        self.knobs = knobs
        self.state_dir = state_dir
        self.inventory = Inventory(state_dir)
        self.workers = pool_size(workers)
        self.queues: dict[str, WorkQueue[o.Key]] = {kind: WorkQueue() for kind in WATCHED}
        self._failures: dict[o.Key, int] = {}
        self._cluster_gates: dict[ClusterRef, tuple[bool, ...]] = {}
        self._controller_gates: dict[tuple[str, str], bool] = {}
        # the watched objects of each CAPI Cluster (by label / spec.clusterName / owner), from events
        self._members: dict[ClusterRef, set[o.Key]] = {}
        self._member_of: dict[o.Key, tuple[ClusterRef, ...]] = {}
        self.reconciles = 0  # for tests and metrics
        self._turn = asyncio.Lock()
        self.active = 0  # reconciles running now (a Key is never in two at once)
        self.max_active = 0

    def add(self, key: o.Key) -> None:
        self.queues[key.kind].add(key)

    def add_after(self, key: o.Key, delay: float) -> None:
        self.queues[key.kind].add_after(key, delay)

    def pending(self) -> int:
        """Keys waiting (ready or delayed) over every kind."""
        return sum(len(q) for q in self.queues.values())

    # lifecycle ---------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        events = self.store.events()
        watcher = asyncio.create_task(self._watch(events), name="sim-controllers-watch")
        await asyncio.sleep(0)  # let the watch subscribe before the initial listing
        self.resync()
        workers = [
            asyncio.create_task(self._work(queue), name=f"sim-controllers-{kind}-{i}")
            for kind, queue in self.queues.items()
            for i in range(self.workers)
        ]
        stopper = asyncio.create_task(stop.wait())
        tasks = {watcher, stopper, *workers}
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task is not stopper and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            aclose = getattr(events, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(Exception):  # already closed by cancellation
                    await aclose()
            self.inventory.close()

    def resync(self) -> None:
        """Enqueue every watched object of every virtual cluster (start-up)."""
        for cluster in self.store.clusters():
            for kind, api_version in WATCHED.items():
                for obj in self._list(cluster, api_version, kind):
                    key = o.key_of(cluster, {**obj, "apiVersion": api_version})
                    self.add(key)
                    self._index(key, obj)
                    if kind == "Cluster":  # prime the gates: later flips fan out
                        self._cluster_gates[(cluster, o.namespace(obj), o.name(obj))] = _gate(obj)
                    elif kind == "Deployment":
                        provider = _PROVIDER_OF_DEPLOYMENT.get((o.namespace(obj) or "", o.name(obj)))
                        if provider is not None:
                            self._controller_gates[(cluster, provider)] = o.is_true(obj, "Available")

    def _list(self, cluster: str, api_version: str, kind: str, ns: str | None = None) -> list[o.Obj]:
        try:
            return self.store.list(cluster, api_version, kind, ns)
        except StoreError:  # kind not served in this virtual cluster (no CRD)
            return []

    # events ------------------------------------------------------------------------
    async def _watch(self, events: Any) -> None:
        async for event in events:
            try:
                self.on_event(event)
            except Exception:  # a malformed object must not stop the controllers
                log.exception("sim controllers: cannot route event")

    def on_event(self, event: WatchEvent) -> None:
        obj = event.object
        meta = obj.get("metadata") or {}
        api_version, kind = obj.get("apiVersion", ""), obj.get("kind", "")
        ns, name = meta.get("namespace"), meta.get("name", "")
        key = _canonical(event.cluster, api_version, kind, ns, name)
        if key is not None:
            if event.type == "DELETED":
                self._unindex(key)
            else:
                self.add(key)
                self._index(key, obj)
        for ref in meta.get("ownerReferences") or []:
            owner = _canonical(event.cluster, ref.get("apiVersion", ""), ref.get("kind", ""), ns, ref.get("name", ""))
            if owner is not None:
                self.add(owner)
        if key is None and not (api_version == "apps/v1" and kind == "Deployment"):
            return
        if kind == "Machine" and key is not None:  # infrastructure/bootstrap watch their Machine
            sp = obj.get("spec") or {}
            for ref in (sp.get("infrastructureRef"), (sp.get("bootstrap") or {}).get("configRef")):
                if ref:
                    child = _canonical(event.cluster, ref.get("apiVersion", ""), ref.get("kind", ""), ns, ref.get("name", ""))
                    if child is not None:
                        self.add(child)
        cname = o.cluster_name_of(obj)
        if event.type == "DELETED" and cname and kind != "Cluster":
            self.add(o.Key(event.cluster, o.CLUSTER_V, "Cluster", ns, cname))
        if kind == "Cluster" and key is not None:
            self._cluster_gate(event, obj)
        elif kind == "Deployment":
            self._controller_gate(event, obj)

    def _cluster_gate(self, event: WatchEvent, cluster: o.Obj) -> None:
        gk = (event.cluster, o.namespace(cluster), o.name(cluster))
        if event.type == "DELETED":
            self._cluster_gates.pop(gk, None)
            return
        gate = _gate(cluster)
        before = self._cluster_gates.get(gk)
        self._cluster_gates[gk] = gate
        if before is None or before == gate:
            return  # a new Cluster's dependants get their own ADDED events
        for member in self._members.get(gk, ()):
            self.add(member)

    def _index(self, key: o.Key, obj: o.Obj) -> None:
        """Remember which Cluster(s) ``obj`` belongs to, for the gate fan-out."""
        if key.kind in ("Deployment", "Cluster"):
            return
        names = {o.cluster_name_of(obj)}
        owner = o.owner_of_kind(obj, "Cluster")
        if owner is not None:
            names.add(str(owner.get("name", "")))
        refs = tuple((key.cluster, key.namespace, n) for n in sorted(n for n in names if n))
        before = self._member_of.get(key, ())
        if before == refs:
            return
        self._unindex(key)
        if refs:
            self._member_of[key] = refs
            for ref in refs:
                self._members.setdefault(ref, set()).add(key)

    def _unindex(self, key: o.Key) -> None:
        for ref in self._member_of.pop(key, ()):
            members = self._members.get(ref)
            if members is not None:
                members.discard(key)
                if not members:
                    del self._members[ref]

    def _controller_gate(self, event: WatchEvent, dep: o.Obj) -> None:
        provider = _PROVIDER_OF_DEPLOYMENT.get((o.namespace(dep) or "", o.name(dep)))
        if provider is None:
            return
        available = event.type != "DELETED" and o.is_true(dep, "Available")
        gk = (event.cluster, provider)
        before = self._controller_gates.get(gk)
        self._controller_gates[gk] = available
        if before == available or not available:
            return
        for kind, prov in KIND_PROVIDER.items():
            if prov == provider:
                for obj in self._list(event.cluster, WATCHED[kind], kind):
                    self.add(o.key_of(event.cluster, {**obj, "apiVersion": WATCHED[kind]}))

    # work --------------------------------------------------------------------------
    async def _work(self, queue: WorkQueue[o.Key]) -> None:
        while True:
            key = await queue.get()
            try:
                # one (synchronous) reconcile per loop turn, the workers of every kind taking
                # turns in order: between two reconciles the HTTP layer and the watcher run,
                # so the API server stays responsive however many workers are ready
                async with self._turn:
                    self.active += 1
                    self.max_active = max(self.max_active, self.active)
                    try:
                        self.process(key)
                    finally:
                        self.active -= 1
                    await asyncio.sleep(0)
            finally:
                queue.done(key)

    def process(self, key: o.Key) -> None:
        """Reconcile one key now (synchronously; the store is in-process)."""
        ctx = Ctx(self.store, key.cluster, self.knobs, self.inventory, self.state_dir)
        obj = ctx.get(key.api_version, key.kind, key.namespace, key.name)
        if obj is None:
            self._failures.pop(key, None)
            return
        provider = KIND_PROVIDER.get(key.kind)
        if provider is not None and not ctx.controller_running(provider):
            return  # reconciled when the controller's Deployment becomes Available
        self.reconciles += 1
        try:
            requeue = RECONCILERS[key.kind](ctx, obj)
        except StoreError as exc:
            self._backoff(key, f"{type(exc).__name__}: {exc}")
            return
        except Exception as exc:
            log.exception("sim controllers: reconcile %s failed", key)
            self._backoff(key, repr(exc))
            return
        self._failures.pop(key, None)
        if requeue is not None:
            self.add_after(key, requeue)

    def _backoff(self, key: o.Key, why: str) -> None:
        n = self._failures.get(key, 0) + 1
        self._failures[key] = n
        delay = min(MAX_BACKOFF, 0.05 * 2**n)
        log.debug("sim controllers: retry %s in %.2fs (%s)", key, delay, why)
        self.add_after(key, delay)

