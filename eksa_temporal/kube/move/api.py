"""The move's REST layer on the official client's ``ApiClient``: JSON requests on
paths derived from CRDs (no discovery round-trips), every request retried on transient
failures (``retry.py``) and counted per verb, so the engine can report API requests per
object.

The engine, discovery and the journal stores call ``MoveApi``; it gets its
``ApiClient`` from ``eksa_temporal.kube.kube_for(kubeconfig_path)``. Request and
response bodies are never logged (Secrets pass through here).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import urllib3

from eksa_temporal.kube.move.retry import (
    READ_BACKOFF,
    TRANSIENT_STATUS,
    WRITE_BACKOFF,
    Backoff,
    TransientError,
    call_with_retry,
)

Obj = dict[str, Any]
T = TypeVar("T")
MERGE_PATCH = "application/merge-patch+json"
AUTH_TTL = 10.0


@dataclass(frozen=True)
class ResourceType:
    """Where objects of one kind live in the REST API."""

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool = True
    status: bool = False
    # the CRD carries clusterctl's ``move`` or ``move-hierarchy`` label: its objects move
    # even when no Cluster owns them (Tinkerbell's Hardware, Rufio's BMC Machines)
    force_move: bool = False

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def collection(self, namespace: str | None) -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            return f"{base}/namespaces/{quote(namespace, safe='')}/{self.plural}"
        return f"{base}/{self.plural}"

    def item(self, namespace: str | None, name: str) -> str:
        return f"{self.collection(namespace)}/{quote(name, safe='')}"


SECRET = ResourceType("", "v1", "Secret", "secrets")
CONFIG_MAP = ResourceType("", "v1", "ConfigMap", "configmaps")
NAMESPACE = ResourceType("", "v1", "Namespace", "namespaces", namespaced=False)
CRD = ResourceType(
    "apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", False
)
PROVIDER = ResourceType("clusterctl.cluster.x-k8s.io", "v1alpha3", "Provider", "providers")


class ApiError(Exception):
    """A request the server answered with a non-2xx status (after retries)."""

    def __init__(self, status: int, reason: str, message: str, what: str) -> None:
        super().__init__(f"{what}: HTTP {status} {reason}: {message}")
        self.status = status
        self.reason = reason

    @property
    def transient(self) -> bool:
        return self.status in TRANSIENT_STATUS

    @property
    def already_exists(self) -> bool:
        return self.status == 409 and self.reason == "AlreadyExists"

    @property
    def conflict(self) -> bool:
        return self.status == 409 and self.reason != "AlreadyExists"


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, ApiError):
        return exc.transient
    return isinstance(exc, urllib3.exceptions.HTTPError | ConnectionError | TimeoutError)


class RequestStats:
    """Thread-safe count of API requests (attempts, retries included) per verb, and per
    object: ``per_object(fn)`` runs one object's operation and records how many requests
    it took (counted per thread, so parallel operations do not mix)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._local = threading.local()
        self.by_verb: Counter[str] = Counter()
        self.object_requests: Counter[int] = Counter()  # requests -> objects (per phase op)
        self.retries = 0

    def add(self, verb: str) -> None:
        self._local.count = getattr(self._local, "count", 0) + 1
        with self._lock:
            self.by_verb[verb] += 1

    def per_object(self, fn: Callable[[], T]) -> T:
        before = getattr(self._local, "count", 0)
        try:
            return fn()
        finally:
            used = getattr(self._local, "count", 0) - before
            with self._lock:
                self.object_requests[used] += 1

    def retried(self) -> None:
        with self._lock:
            self.retries += 1

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.by_verb.values())

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self.by_verb)


class MoveApi:
    """JSON requests against one API server, retried and counted."""

    def __init__(
        self,
        api_client: Any,
        stats: RequestStats | None = None,
        *,
        label: str = "",
        timeout: tuple[float, float] = (5.0, 30.0),
        read_backoff: Backoff = READ_BACKOFF,
        write_backoff: Backoff = WRITE_BACKOFF,
    ) -> None:
        self._api = api_client
        self.stats = stats or RequestStats()
        self.label = label or str(api_client.configuration.host)
        self.host = str(api_client.configuration.host)
        self._timeout = urllib3.Timeout(connect=timeout[0], read=timeout[1])
        self._pool = api_client.rest_client.pool_manager
        self._auth_lock = threading.Lock()
        self._auth_at = 0.0
        self._auth_headers: dict[str, str] = {}
        self._read_backoff = read_backoff
        self._write_backoff = write_backoff

    # ---- transport ---------------------------------------------------------------------

    def _once(
        self, method: str, path: str, query: list[tuple[str, str]], body: Any, ctype: str
    ) -> Obj:
        """One HTTP exchange on the client's urllib3 pool: auth headers come from the
        ``ApiClient`` configuration (token refresh hooks included), TLS and client certs
        from its pool; the client's model (de)serialization is skipped - it costs more
        CPU than the request itself."""
        self.stats.add(method)
        headers = {"Accept": "application/json", "Content-Type": ctype, **self._auth()}
        url = self.host + path
        if query:
            url += "?" + urlencode(query)
        payload = json.dumps(body).encode() if body is not None else None
        resp = self._pool.request(
            method,
            url,
            body=payload,
            headers=headers,
            timeout=self._timeout,
            preload_content=True,
            retries=False,
        )
        raw = resp.data
        if 200 <= resp.status <= 299:
            return json.loads(raw) if raw else {}
        reason, message = str(resp.reason or ""), ""
        try:
            status_body = json.loads(raw)
            reason = str(status_body.get("reason") or reason)
            message = str(status_body.get("message") or "")
        except (ValueError, AttributeError):
            message = raw[:200].decode("utf-8", "replace") if raw else ""
        if resp.status == 401 and self._auth_at:  # maybe an expired token: refresh once
            self._auth_at = 0.0
            return self._once(method, path, query, body, ctype)
        raise ApiError(int(resp.status), reason, message, f"{self.label} {method} {path}")

    def _auth(self) -> dict[str, str]:
        """The Authorization header, refreshed (the kubeconfig loader's hook re-reads
        credentials, which costs more than a request) at most every ``AUTH_TTL`` s."""
        now = time.monotonic()
        with self._auth_lock:
            if self._auth_at == 0.0 or now - self._auth_at > AUTH_TTL:
                cfg = self._api.configuration
                token = cfg.get_api_key_with_prefix("BearerToken", alias="authorization")
                self._auth_headers = {"authorization": token} if token else {}
                self._auth_at = now
            return self._auth_headers

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        query: list[tuple[str, str]] | None = None,
        ctype: str = "application/json",
    ) -> Obj:
        backoff = self._read_backoff if method == "GET" else self._write_backoff

        def on_retry(_: BaseException, __: float) -> None:
            self.stats.retried()

        try:
            return call_with_retry(
                lambda: self._once(method, path, query or [], body, ctype),
                is_transient,
                backoff,
                on_retry=on_retry,
            )
        except Exception as exc:
            if is_transient(exc):
                raise TransientError(f"{self.label} {method} {path}: {exc}") from exc
            raise

    # ---- verbs -------------------------------------------------------------------------

    def get(self, rt: ResourceType, namespace: str | None, name: str) -> Obj | None:
        try:
            return self.request("GET", rt.item(namespace, name))
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    def list(
        self,
        rt: ResourceType,
        namespace: str | None,
        *,
        label_selector: str | None = None,
        page: int = 2000,
    ) -> list[Obj]:
        """All items (apiVersion/kind filled in), following ``continue`` tokens."""
        items: list[Obj] = []
        token = ""
        for _ in range(100_000):
            query = [("limit", str(page))]
            if label_selector:
                query.append(("labelSelector", label_selector))
            if token:
                query.append(("continue", token))
            out = self.request("GET", rt.collection(namespace), query=query)
            for item in out.get("items") or []:
                item.setdefault("apiVersion", rt.api_version)
                item.setdefault("kind", rt.kind)
                items.append(item)
            token = str((out.get("metadata") or {}).get("continue") or "")
            if not token:
                break
        return items

    def create(self, rt: ResourceType, obj: Obj) -> Obj:
        ns = (obj.get("metadata") or {}).get("namespace")
        return self.request("POST", rt.collection(ns), body=obj)

    def replace(self, rt: ResourceType, obj: Obj, *, subresource: str = "") -> Obj:
        meta = obj["metadata"]
        path = rt.item(meta.get("namespace"), meta["name"])
        return self.request("PUT", f"{path}/{subresource}" if subresource else path, body=obj)

    def merge_patch(
        self, rt: ResourceType, namespace: str | None, name: str, patch: Obj
    ) -> Obj | None:
        """The patched object, or None when it does not exist."""
        try:
            return self.request("PATCH", rt.item(namespace, name), body=patch, ctype=MERGE_PATCH)
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    def delete(
        self, rt: ResourceType, namespace: str | None, name: str, uid: str | None = None
    ) -> bool:
        """Request deletion (of exactly ``uid`` when given); False when already gone."""
        body: Obj = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"}
        if uid:
            body["preconditions"] = {"uid": uid}
        try:
            self.request("DELETE", rt.item(namespace, name), body=body)
        except ApiError as exc:
            if exc.status == 404:
                return False
            if exc.conflict and uid:  # a different object now holds the name: ours is gone
                return False
            raise
        return True


def api_for(kubeconfig: str, stats: RequestStats | None = None, **kwargs: Any) -> MoveApi:
    """A ``MoveApi`` for a kubeconfig FILE path (client cached by ``kube_for``)."""
    from eksa_temporal.kube import kube_for

    kube = kube_for(kubeconfig)
    return MoveApi(kube.api_client, stats, label=str(kubeconfig), **kwargs)
