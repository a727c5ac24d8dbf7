"""The controller process: watches, a work queue, leader election and the reconcile workers.

- One watch thread per EKS-A kind (``Cluster`` and every config kind the API server serves;
  one namespace or all): list, then watch from the list's ``resourceVersion`` in bounded
  windows, resumed from the last seen one; ``410 Gone`` or a lost connection re-lists. A
  Cluster event queues that Cluster; a config event queues every Cluster of its namespace.
- ``WorkQueue``: a key is queued at most once and never handed to two workers at a time;
  a key added while it is worked on is handed out again once that pass ends.
- Every ``resync_seconds`` every known Cluster is queued again (level-triggered: a missed
  event only delays). A reconcile that returns a delay (an operation running) is queued
  again after it.
- Only the Lease holder reconciles (``controller.lease``); a candidate drops what it is
  handed and queues everything again once it wins.

``run(options, stop)`` is called by ``eksa-temporal controller``.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from kubernetes import watch as _kwatch
from kubernetes.client import exceptions as _kexc

from eksa_temporal.controller.lease import LeaderElector
from eksa_temporal.controller.lifecycle import Lifecycle
from eksa_temporal.controller.names import CLUSTER_KIND, EKSA_API
from eksa_temporal.controller.objects import config_kinds
from eksa_temporal.controller.reconcile import Reconciler
from eksa_temporal.kube import Kube, Obj, UnknownKind
from eksa_temporal.logs import get_logger
from eksa_temporal.workflows.models import Timeouts

kwatch: Any = _kwatch
ApiException: Any = _kexc.ApiException
log = get_logger("controller")

Key = tuple[str, str]  # (namespace, name)
WATCH_WINDOW_SECONDS = 30
RECONCILE_TIMEOUT_SECONDS = 300.0


@dataclass(frozen=True)
class Options:
    kubeconfig: Path
    workdir: Path
    identity: str
    namespace: str | None = None  # None: all namespaces
    lease_seconds: int = 15
    resync_seconds: float = 30.0
    poll_seconds: float = 1.0
    workers: int = 4
    timeouts: Timeouts | None = None  # step bounds of the operations started (default: Timeouts())
    task_timeout: float | None = None  # workflow task timeout of the operations started (s)


class WorkQueue:
    """Deduplicating queue of cluster keys (asyncio; ``add`` also from other threads via
    ``add_threadsafe``)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._queue: asyncio.Queue[Key] = asyncio.Queue()
        self._queued: set[Key] = set()
        self._active: set[Key] = set()
        self._dirty: set[Key] = set()
        self._timers: dict[Key, tuple[float, asyncio.TimerHandle]] = {}

    def add(self, key: Key) -> None:
        if key in self._active:
            self._dirty.add(key)
            return
        if key in self._queued:
            return
        self._queued.add(key)
        self._queue.put_nowait(key)

    def add_threadsafe(self, key: Key) -> None:
        self.loop.call_soon_threadsafe(self.add, key)

    def add_after(self, key: Key, delay: float) -> None:
        due = self.loop.time() + delay
        earlier = self._timers.get(key)
        if earlier is not None:
            if earlier[0] <= due:
                return
            earlier[1].cancel()

        def fire() -> None:
            self._timers.pop(key, None)
            self.add(key)

        self._timers[key] = (due, self.loop.call_later(delay, fire))

    async def get(self) -> Key:
        key = await self._queue.get()
        self._queued.discard(key)
        self._active.add(key)
        return key

    def done(self, key: Key) -> None:
        self._active.discard(key)
        if key in self._dirty:
            self._dirty.discard(key)
            self.add(key)


class Watcher(threading.Thread):
    """Watches one kind and reports every object seen (``on_event(type, obj)``)."""

    def __init__(self, kube: Kube, kind: str, namespace: str | None, on_event: Callable[[str, Obj], None], stop: threading.Event) -> None:
        super().__init__(name=f"watch-{kind}", daemon=True)
        self.kube = kube
        self.kind = kind
        self.namespace = namespace
        self.on_event = on_event
        self.stop_event = stop

    def run(self) -> None:
        rv = ""
        backoff = 0.5
        warned = False
        while not self.stop_event.is_set():
            try:
                res = self.kube.resource(EKSA_API, self.kind)
                if not rv:
                    items, rv = self.kube.list_objects(EKSA_API, self.kind, self.namespace)
                    for item in items:
                        self.on_event("LISTED", item)
                rv = self._window(res, rv)
                backoff = 0.5
            except UnknownKind:
                rv = ""
                if self.kind == CLUSTER_KIND and not warned:
                    log.warning(
                        "the management cluster does not serve EKS-A Clusters; looking again every 5 s",
                        fix="install EKS Anywhere's CRDs (a management create with EKS-A's components installs them)",
                    )
                    warned = True
                self.stop_event.wait(5.0)  # not served (yet): look again
            except ApiException as exc:
                if exc.status != 410:
                    log.warning("watch failed; listing again", kind=self.kind, status=exc.status)
                    self.stop_event.wait(backoff)
                    backoff = min(backoff * 2, 10.0)
                rv = ""
            except Exception as exc:  # connection refused/reset, timeouts: list again
                log.warning("watch failed; listing again", kind=self.kind, error=f"{type(exc).__name__}: {exc}")
                rv = ""
                self.stop_event.wait(backoff)
                backoff = min(backoff * 2, 10.0)

    def _window(self, res: Any, rv: str) -> str:
        """One bounded watch request from ``rv``; returns the last seen resourceVersion
        ('' to re-list)."""
        watcher = kwatch.Watch()
        stream = watcher.stream(
            res.get,
            namespace=self.namespace,
            resource_version=rv,
            allow_watch_bookmarks=True,
            timeout_seconds=WATCH_WINDOW_SECONDS,
            serialize=False,
            _request_timeout=(10, WATCH_WINDOW_SECONDS + 15),
        )
        try:
            for event in stream:
                if self.stop_event.is_set():
                    break
                obj = event.get("raw_object") or {}
                if event.get("type") == "ERROR":
                    return ""  # e.g. 410 Gone as an event: list again
                new_rv = (obj.get("metadata") or {}).get("resourceVersion")
                if new_rv:
                    rv = str(new_rv)
                if event.get("type") == "BOOKMARK":
                    continue
                obj.setdefault("kind", self.kind)
                self.on_event(str(event.get("type")), obj)
        finally:
            watcher.stop()
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        return rv


class Controller:
    """Ties the watches, the queue, the Lease and the reconciler together."""

    def __init__(self, options: Options, reconciler: Reconciler, elector: LeaderElector, watch_kube: Kube) -> None:
        self.options = options
        self.reconciler = reconciler
        self.elector = elector
        self.watch_kube = watch_kube
        self.known: dict[str, set[str]] = {}  # namespace -> Cluster names seen
        self._known_lock = threading.Lock()
        self._stop_threads = threading.Event()
        self.queue: WorkQueue | None = None

    # -- events (watch threads) ----------------------------------------------------------
    def _on_cluster(self, kind: str, obj: Obj) -> None:
        meta = obj.get("metadata") or {}
        key = (str(meta.get("namespace") or "default"), str(meta.get("name")))
        with self._known_lock:
            if kind == "DELETED":
                self.known.get(key[0], set()).discard(key[1])
            else:
                self.known.setdefault(key[0], set()).add(key[1])
        if self.queue is not None and kind != "DELETED":
            self.queue.add_threadsafe(key)

    def _on_config(self, kind: str, obj: Obj) -> None:
        namespace = str((obj.get("metadata") or {}).get("namespace") or "default")
        if kind == "LISTED":
            return  # the Cluster list queues every Cluster anyway
        for key in self._keys(namespace):
            if self.queue is not None:
                self.queue.add_threadsafe(key)

    def _keys(self, namespace: str | None = None) -> list[Key]:
        with self._known_lock:
            return [(ns, n) for ns, names in self.known.items() if namespace in (None, ns) for n in names]

    # -- tasks ---------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        self.queue = WorkQueue(loop)
        try:
            await asyncio.to_thread(self.elector.ensure_namespace)
        except Exception as exc:  # the API server is away: the Lease rounds keep trying
            log.warning("lease namespace not checked", namespace=self.elector.namespace, error=f"{type(exc).__name__}: {exc}")
        threads = [Watcher(self.watch_kube, CLUSTER_KIND, self.options.namespace, self._on_cluster, self._stop_threads)]
        threads += [
            Watcher(self.watch_kube, kind, self.options.namespace, self._on_config, self._stop_threads)
            for kind in config_kinds()
        ]
        for t in threads:
            t.start()
        tasks = [asyncio.create_task(self._lead(stop)), asyncio.create_task(self._resync(stop))]
        tasks += [asyncio.create_task(self._work()) for _ in range(self.options.workers)]
        log.info(
            "controller running",
            identity=self.options.identity,
            namespace=self.options.namespace or "all",
            kubeconfig=str(self.options.kubeconfig),
        )
        try:
            await stop.wait()
        finally:
            self._stop_threads.set()
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await asyncio.to_thread(self.elector.release)
            log.info("controller stopped", identity=self.options.identity)

    async def _lead(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            was = self.elector.leader
            held = await asyncio.to_thread(self.elector.step)
            if held and not was and self.queue is not None:
                for key in self._keys():
                    self.queue.add(key)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.elector.renew_interval)

    async def _resync(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.options.resync_seconds)
            if self.queue is not None and self.elector.holds():
                for key in self._keys():
                    self.queue.add(key)

    async def _work(self) -> None:
        assert self.queue is not None
        while True:
            key = await self.queue.get()
            after: float | None = None
            try:
                if self.elector.holds():
                    started = time.monotonic()
                    after = await asyncio.wait_for(self.reconciler.reconcile(*key), timeout=RECONCILE_TIMEOUT_SECONDS)
                    log.debug("reconciled", cluster=f"{key[0]}/{key[1]}", seconds=round(time.monotonic() - started, 3), again=after)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a bug or an unexpected API answer: look again later
                log.warning("reconcile failed", cluster=f"{key[0]}/{key[1]}", error=f"{type(exc).__name__}: {exc}", exc_info=True)
                after = self.reconciler.retry_seconds
            finally:
                self.queue.done(key)
            if after is not None:
                self.queue.add_after(key, after)


def build(options: Options, lifecycle: Lifecycle) -> Controller:
    """The controller for ``options`` talking to Temporal through ``lifecycle``."""
    kube = Kube.from_kubeconfig(options.kubeconfig)
    reconciler = Reconciler(
        kube,
        lifecycle,
        workdir=options.workdir,
        management_kubeconfig=options.kubeconfig,
        poll_seconds=options.poll_seconds,
        timeouts=options.timeouts,
        identity=options.identity,
    )
    elector = LeaderElector(Kube.from_kubeconfig(options.kubeconfig), options.identity, options.lease_seconds)
    return Controller(options, reconciler, elector, Kube.from_kubeconfig(options.kubeconfig, connections=len(config_kinds()) + 4))


async def run(options: Options, stop: asyncio.Event) -> None:
    """Connect to Temporal (the standard env/profile settings) and run until ``stop``."""
    from eksa_temporal.client import LifecycleClient
    from eksa_temporal.controller.lifecycle import TemporalLifecycle
    from eksa_temporal.providers.registry import load_spec_plugins

    load_spec_plugins()  # every installed provider's kinds and rules, as `validate` has them
    Kube.from_kubeconfig(options.kubeconfig)  # a broken kubeconfig fails before Temporal is asked
    lc = await LifecycleClient.connect()
    if options.task_timeout is not None:
        lc.task_timeout = timedelta(seconds=options.task_timeout)
    await build(options, TemporalLifecycle(lc)).run(stop)
