"""``Kube``: one Kubernetes API server reached through a kubeconfig FILE path, with the
official client's ``DynamicClient`` (resources looked up by apiVersion/kind), server-side
apply, and waits that watch.

Activities and the move call ``kube_for(path)``, which caches one client per kubeconfig
file (re-read when the file changes). ``wait_for`` / ``wait_for_all`` list once, then
watch from the list's ``resourceVersion``; every watch request is bounded
(``timeoutSeconds``) and resumes from the last seen ``resourceVersion``; a ``410 Gone``
re-lists. ``on_progress`` is called on every change and at least every
``progress_interval`` seconds, so an activity can heartbeat from it. Credentials stay
inside the ``ApiClient``; nothing here logs or returns them.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from kubernetes import config as _kconfig
from kubernetes.client import ApiClient, Configuration
from kubernetes.client import exceptions as _kexc
from kubernetes.dynamic import client as _kdyn
from kubernetes.dynamic import discovery as _kdisc
from kubernetes.dynamic.exceptions import ResourceNotFoundError

from eksa_temporal.kube.conditions import Obj, condition, condition_true
from eksa_temporal.kube.watch import SetPredicate, WatchState, watch_window

# the kubernetes package is only partly typed: use its untyped parts through ``Any``
kconfig: Any = _kconfig

# Connections kept open per cached client. One client per kubeconfig is shared by every step
# a worker runs (up to 64 at once: 200 workload creates share their management cluster's), and
# each step may hold one for a watch and one for a request; with the client's default (5 per
# CPU) the surplus connections were closed after each request and opened again, TLS included.
POOL_CONNECTIONS = 128
# how long ``Kube.serves`` answers a kind found missing from its memory
MISSING_KIND_SECONDS = 2.0
ApiException: Any = _kexc.ApiException
DynamicClient: Any = _kdyn.DynamicClient

ObjPredicate = Callable[[Obj | None], bool]

FIELD_MANAGER = "eksa-temporal"
# never an existing file: discovery stays in memory, per client (see _MemoryDiscoverer)
_NO_CACHE_FILE = "/nonexistent/eksa-temporal-discovery.json"


class _MemoryDiscoverer(_kdisc.LazyDiscoverer):  # type: ignore[misc]
    """The official lazy discoverer without its shared file cache in /tmp (which other
    processes and other API servers on a reused port would share)."""

    def _write_cache(self) -> None:
        return None


class KubeError(Exception):
    """Base of this module's own errors (API errors surface as ``ApiException``)."""


class UnknownKind(KubeError):
    """The API server does not serve ``apiVersion/kind`` (CRD missing or not yet served)."""


class WaitTimeout(KubeError, TimeoutError):
    """A wait's deadline passed before its predicate held; ``last`` is the last state seen."""

    def __init__(self, message: str, last: Any) -> None:
        super().__init__(message)
        self.last = last


def status_code(exc: BaseException) -> int | None:
    """The HTTP status of an API error, or None for anything else."""
    if isinstance(exc, ApiException):
        return int(exc.status) if exc.status is not None else None
    return None


class Kube:
    """A client for one API server. Thread-safe for use from activity threads."""

    def __init__(self, api_client: ApiClient, *, label: str = "") -> None:
        self.api_client = api_client
        self.label = label or str(api_client.configuration.host)
        self._lock = threading.Lock()
        self._dynamic: Any = None
        self._missing: dict[tuple[str, str], float] = {}  # (apiVersion, kind) -> when found missing

    @classmethod
    def from_kubeconfig(
        cls, path: str | os.PathLike[str], context: str | None = None, *, connections: int = POOL_CONNECTIONS
    ) -> Kube:
        """Build from a kubeconfig file (never from its contents passed around), keeping up
        to ``connections`` connections to the API server open for reuse."""
        cfg = Configuration()
        kconfig.load_kube_config(config_file=str(path), context=context, client_configuration=cfg)
        cfg.connection_pool_maxsize = connections
        return cls(ApiClient(cfg), label=str(path))

    # ---- discovery -------------------------------------------------------------------

    @property
    def dynamic(self) -> Any:
        with self._lock:
            if self._dynamic is None:
                self._dynamic = DynamicClient(
                    self.api_client, cache_file=_NO_CACHE_FILE, discoverer=_MemoryDiscoverer
                )
            return self._dynamic

    def resource(self, api_version: str, kind: str) -> Any:
        """The dynamic ``Resource`` for ``apiVersion/kind`` (discovery refreshed on a miss)."""
        dyn = self.dynamic
        with self._lock:
            try:
                return dyn.resources.get(api_version=api_version, kind=kind)
            except ResourceNotFoundError as exc:
                raise UnknownKind(f"{self.label}: {api_version} {kind} is not served") from exc

    def serves(self, api_version: str, kind: str, *, fresh: bool = False) -> bool:
        """Whether the API server serves ``apiVersion/kind``. A kind found missing is
        answered missing for ``MISSING_KIND_SECONDS`` without asking again: each miss
        re-reads every API group, under the client's lock, and steps that share a client
        ask the same question (200 workload creates asking whether their management
        cluster serves EKS-A's kinds queued behind one re-discovery after another).
        ``fresh``: ask the server even then (a refusal must not rest on a CRD installed
        within those seconds)."""
        key = (api_version, kind)
        with self._lock:
            since = self._missing.get(key)
        if not fresh and since is not None and time.monotonic() - since < MISSING_KIND_SECONDS:
            return False
        try:
            self.resource(api_version, kind)
        except UnknownKind:
            with self._lock:
                self._missing[key] = time.monotonic()
            return False
        with self._lock:
            self._missing.pop(key, None)
        return True

    def _ns(self, res: Any, namespace: str | None) -> str | None:
        if not res.namespaced:
            return None
        return namespace or "default"

    # ---- reads -----------------------------------------------------------------------

    def get(
        self, api_version: str, kind: str, name: str, namespace: str | None = None
    ) -> Obj | None:
        """The object, or None when it does not exist."""
        res = self.resource(api_version, kind)
        try:
            found = self.dynamic.get(res, name=name, namespace=self._ns(res, namespace))
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise
        return dict(found.to_dict())

    def list_objects(
        self,
        api_version: str,
        kind: str,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> tuple[list[Obj], str]:
        """Items (each with apiVersion/kind filled in) and the list's resourceVersion."""
        res = self.resource(api_version, kind)
        ns = namespace if res.namespaced else None
        found = self.dynamic.get(
            res, namespace=ns, label_selector=label_selector, field_selector=field_selector
        ).to_dict()
        items = []
        for item in found.get("items") or []:
            item.setdefault("apiVersion", api_version)
            item.setdefault("kind", kind)
            items.append(item)
        return items, str((found.get("metadata") or {}).get("resourceVersion") or "")

    # ---- writes ----------------------------------------------------------------------

    def apply(
        self,
        objects: Iterable[Obj],
        field_manager: str = FIELD_MANAGER,
        force: bool = True,
    ) -> list[Obj]:
        """Server-side apply each object in order (PATCH application/apply-patch+yaml);
        returns the objects as the server stored them."""
        applied: list[Obj] = []
        for obj in objects:
            res = self.resource(obj["apiVersion"], obj["kind"])
            meta = obj.get("metadata") or {}
            body = {k: v for k, v in obj.items() if k != "status"}
            if res.namespaced:
                body["metadata"] = {**meta, "namespace": meta.get("namespace") or "default"}
            out = self.dynamic.server_side_apply(
                res,
                body=body,
                name=meta["name"],
                namespace=self._ns(res, meta.get("namespace")),
                field_manager=field_manager,
                force_conflicts=force,
            )
            applied.append(dict(out.to_dict()))
        return applied

    def create(self, obj: Obj) -> Obj | None:
        """Create; returns None when it already exists (caller decides what that means)."""
        res = self.resource(obj["apiVersion"], obj["kind"])
        ns = self._ns(res, (obj.get("metadata") or {}).get("namespace"))
        try:
            return dict(self.dynamic.create(res, body=obj, namespace=ns).to_dict())
        except ApiException as exc:
            if exc.status == 409:
                return None
            raise

    def merge_patch(
        self, api_version: str, kind: str, name: str, namespace: str | None, patch: Obj
    ) -> Obj:
        res = self.resource(api_version, kind)
        out = self.dynamic.patch(
            res,
            body=patch,
            name=name,
            namespace=self._ns(res, namespace),
            content_type="application/merge-patch+json",
        )
        return dict(out.to_dict())

    def delete(
        self,
        api_version: str,
        kind: str,
        name: str,
        namespace: str | None = None,
        *,
        propagation: str = "Background",
    ) -> bool:
        """Request deletion; False when the object was already gone."""
        res = self.resource(api_version, kind)
        try:
            self.dynamic.delete(
                res,
                name=name,
                namespace=self._ns(res, namespace),
                body={
                    "kind": "DeleteOptions",
                    "apiVersion": "v1",
                    "propagationPolicy": propagation,
                },
            )
        except ApiException as exc:
            if exc.status == 404:
                return False
            raise
        return True

    # ---- waits (watch) ---------------------------------------------------------------

    def wait_for(
        self,
        api_version: str,
        kind: str,
        name: str,
        namespace: str | None,
        predicate: ObjPredicate,
        *,
        timeout: float,
        on_progress: Callable[[Obj | None], None] | None = None,
        progress_interval: float = 5.0,
        description: str = "",
    ) -> Obj | None:
        """Watch one object until ``predicate(obj)`` holds (``obj`` None = absent);
        returns the object (None when absence was awaited). Raises ``WaitTimeout``."""
        res = self.resource(api_version, kind)
        ns = self._ns(res, namespace)

        def done(objs: dict[str, Obj]) -> bool:
            return predicate(objs.get(name))

        progress = (lambda objs: on_progress(objs.get(name))) if on_progress else None
        final = self.wait_for_all(
            api_version,
            kind,
            ns,
            done,
            field_selector=f"metadata.name={name}",
            timeout=timeout,
            on_progress=progress,
            progress_interval=progress_interval,
            description=description or f"{kind} {ns + '/' if ns else ''}{name}",
        )
        return final.get(name)

    def wait_for_all(
        self,
        api_version: str,
        kind: str,
        namespace: str | None,
        predicate: SetPredicate,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        timeout: float,
        on_progress: Callable[[dict[str, Obj]], None] | None = None,
        progress_interval: float = 5.0,
        description: str = "",
    ) -> dict[str, Obj]:
        """Watch a collection (name -> object) until ``predicate(objects)`` holds."""
        res = self.resource(api_version, kind)
        ns = namespace if res.namespaced else None
        deadline = time.monotonic() + timeout
        what = description or f"{kind} in {ns or 'cluster scope'}"

        def relist() -> tuple[dict[str, Obj], str]:
            items, rv = self.list_objects(
                api_version, kind, ns, label_selector=label_selector, field_selector=field_selector
            )
            return {i["metadata"]["name"]: i for i in items}, rv

        state = WatchState(*relist())
        while True:
            if on_progress is not None:
                on_progress(state.objs)
            if predicate(state.objs):
                return state.objs
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WaitTimeout(f"timed out after {timeout:.0f}s waiting for {what}", state.objs)
            window = max(1, int(min(remaining, progress_interval) + 0.999))
            selectors = {"label_selector": label_selector, "field_selector": field_selector}
            try:
                if watch_window(res, ns, selectors, state, window, predicate, on_progress):
                    return state.objs
            except ApiException as exc:
                if exc.status != 410:
                    raise
                state = WatchState(*relist())  # our resourceVersion is too old: start from now


_CACHE: dict[tuple[str, int, int, str | None], Kube] = {}
_CACHE_LOCK = threading.Lock()


def kube_for(kubeconfig: str | os.PathLike[str], context: str | None = None) -> Kube:
    """The cached ``Kube`` for a kubeconfig file; a rewritten file gets a new client."""
    path = Path(kubeconfig).resolve()
    st = path.stat()
    key = (str(path), st.st_mtime_ns, st.st_size, context)
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
        if cached is None:
            for old in [k for k in _CACHE if k[0] == key[0] and k[3] == context]:
                del _CACHE[old]
            cached = Kube.from_kubeconfig(path, context)
            _CACHE[key] = cached
        return cached


__all__ = [
    "FIELD_MANAGER",
    "Kube",
    "KubeError",
    "Obj",
    "UnknownKind",
    "WaitTimeout",
    "condition",
    "condition_true",
    "kube_for",
    "status_code",
]
