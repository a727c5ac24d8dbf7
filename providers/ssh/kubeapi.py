"""The slice of the Kubernetes API the SSH hosts controller uses (``KubeApi``), over
``eksa_temporal.kube.client.Kube`` (``ClusterApi``): reads, merge patches of an object and
of its status subresource; a write whose ``metadata.resourceVersion`` is stale is a
``Conflict`` (HTTP 409), which the controller answers by reading again."""

from __future__ import annotations

from typing import Any, Protocol

Obj = dict[str, Any]
MERGE_PATCH = "application/merge-patch+json"


class KubeApi(Protocol):
    """The slice of ``eksa_temporal.kube.client.Kube`` the controller uses."""

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> Obj | None: ...

    def list_objects(
        self, api_version: str, kind: str, namespace: str | None = None, *, label_selector: str | None = None, field_selector: str | None = None
    ) -> tuple[list[Obj], str]: ...

    def merge_patch(self, api_version: str, kind: str, name: str, namespace: str | None, patch: Obj) -> Obj: ...

    def patch_status(self, api_version: str, kind: str, name: str, namespace: str | None, patch: Obj) -> Obj: ...


class Conflict(Exception):
    """The object changed since it was read (HTTP 409); re-read on the next pass."""


class ClusterApi:
    """``KubeApi`` over ``eksa_temporal.kube.client.Kube``: merge patches of the object and
    of its status subresource; an HTTP 409 is raised as ``Conflict``."""

    def __init__(self, kube: Any) -> None:
        self._kube = kube

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> Obj | None:
        found: Obj | None = self._kube.get(api_version, kind, name, namespace)
        return found

    def list_objects(
        self, api_version: str, kind: str, namespace: str | None = None, *, label_selector: str | None = None, field_selector: str | None = None
    ) -> tuple[list[Obj], str]:
        if not self._kube.serves(api_version, kind):
            return [], ""
        items, rv = self._kube.list_objects(api_version, kind, namespace, label_selector=label_selector, field_selector=field_selector)
        return list(items), str(rv)

    def merge_patch(self, api_version: str, kind: str, name: str, namespace: str | None, patch: Obj) -> Obj:
        try:
            out: Obj = self._kube.merge_patch(api_version, kind, name, namespace, patch)
        except Exception as exc:
            if getattr(exc, "status", None) == 409:
                raise Conflict(f"{kind} {name} changed since it was read") from None
            raise
        return out

    def patch_status(self, api_version: str, kind: str, name: str, namespace: str | None, patch: Obj) -> Obj:
        res = self._kube.resource(api_version, kind)
        group_version = f"/apis/{api_version}" if "/" in api_version else f"/api/{api_version}"
        path = f"{group_version}/namespaces/{namespace or 'default'}/{res.name}/{name}/status"
        try:
            out = self._kube.dynamic.request("patch", path, body=patch, content_type=MERGE_PATCH)
        except Exception as exc:
            if getattr(exc, "status", None) == 409:
                raise Conflict(f"{kind} {name} changed since it was read") from None
            raise
        return dict(out.to_dict())
