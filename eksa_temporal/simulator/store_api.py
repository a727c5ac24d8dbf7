"""The in-process object-store interface shared by the API emulator's HTTP layer and the
simulated controllers (which run in the same ``sim serve`` process and act on the store
directly, as controllers act on etcd through the API server).

Objects are plain Kubernetes manifests (``dict``) with full ``metadata``. Every write
assigns a new global ``resourceVersion`` and emits a watch event.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

Obj = dict[str, Any]


class StoreError(Exception):
    """Base: carries the Kubernetes ``Status`` reason and HTTP code."""

    code = 500
    reason = "InternalError"
    # optional ``Status.details`` fields (name, group, kind) and causes, set by the raiser
    details: dict[str, Any] | None = None
    causes: list[dict[str, Any]] | None = None


class NotFound(StoreError):
    code = 404
    reason = "NotFound"


class AlreadyExists(StoreError):
    code = 409
    reason = "AlreadyExists"


class Conflict(StoreError):
    code = 409
    reason = "Conflict"


class Invalid(StoreError):
    code = 422
    reason = "Invalid"


class Gone(StoreError):
    code = 410
    reason = "Expired"


class WatchEvent(Protocol):
    cluster: str
    type: str  # ADDED | MODIFIED | DELETED
    object: Obj


class ObjectStore(Protocol):
    """Kind-addressed access to every virtual cluster's objects."""

    def clusters(self) -> list[str]: ...

    def get(self, cluster: str, api_version: str, kind: str, namespace: str | None, name: str) -> Obj | None: ...

    def list(
        self,
        cluster: str,
        api_version: str,
        kind: str,
        namespace: str | None = None,
        label_selector: str | None = None,
    ) -> list[Obj]: ...

    def create(self, cluster: str, obj: Obj) -> Obj:
        """Raises AlreadyExists; fills uid, creationTimestamp, generation, resourceVersion."""
        ...

    def update(self, cluster: str, obj: Obj, *, subresource: str | None = None) -> Obj:
        """PUT semantics: raises Conflict on a stale ``metadata.resourceVersion`` (when set),
        NotFound when absent. ``subresource="status"`` changes only ``status``."""
        ...

    def patch(
        self,
        cluster: str,
        api_version: str,
        kind: str,
        namespace: str | None,
        name: str,
        merge_patch: Obj,
        *,
        subresource: str | None = None,
    ) -> Obj:
        """JSON merge patch (RFC 7386)."""
        ...

    def delete(self, cluster: str, api_version: str, kind: str, namespace: str | None, name: str) -> Obj | None:
        """Finalizers respected (sets deletionTimestamp); ownerReference GC applies."""
        ...

    def events(self) -> AsyncIterator[WatchEvent]:
        """Every change in every virtual cluster, in resourceVersion order, from now on."""
        ...
