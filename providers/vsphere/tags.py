"""vSphere tags through the vAPI REST endpoints (``/rest/com/vmware/cis/...``).

pyvmomi speaks SOAP only, so tags are read and written with plain HTTPS requests on the
same server and trust decision as the SOAP session: one REST session per use (created with
basic auth, deleted on exit). A vCenter without the endpoint (404) raises
``TaggingUnsupported`` and callers skip tag checks with a warning. Used by preflight
(template tags), prepare (tagging an imported template) and cleanup (VMs tagged for the
cluster). A tag is reported as ``(category name, tag name)``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import urllib.error
import urllib.request
from types import TracebackType
from typing import Any

from eksa_temporal.providers.vsphere.errors import VSphereTransientError
from eksa_temporal.providers.vsphere.session import Session

REST = "/rest/com/vmware/cis"


class TaggingUnsupported(Exception):
    """The server has no vAPI tagging endpoint."""


class TagClient:
    """A REST session on the vCenter of ``session``; use as a context manager."""

    def __init__(self, session: Session, timeout: float = 15.0) -> None:
        self._session = session
        self._timeout = timeout
        self._base = f"https://{session.host}:{session.port}"
        self._token = ""
        self._categories: dict[str, str] = {}  # id -> name

    def __enter__(self) -> TagClient:
        creds = self._session.creds
        basic = f"{creds.username}:{creds.password.get_secret_value()}".encode()
        try:
            self._token = str(
                self._call(
                    "POST",
                    "/session",
                    headers={"Authorization": "Basic " + base64.b64encode(basic).decode()},
                )
            )
        except urllib.error.HTTPError as exc:
            if exc.code in (404, 405):
                raise TaggingUnsupported(f"no vAPI tagging endpoint on {self._base}") from exc
            raise VSphereTransientError(f"vAPI login failed: HTTP {exc.code}") from exc
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._token:
            with contextlib.suppress(urllib.error.URLError, OSError):
                self._call("DELETE", "/session")
            self._token = ""

    def _call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self._base + REST + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if self._token:
            request.add_header("vmware-api-session-id", self._token)
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        try:
            with urllib.request.urlopen(
                request, timeout=self._timeout, context=self._session.ssl_context
            ) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            if method == "POST" and path == "/session":
                raise  # __enter__ tells "no tagging API" (404) from a failed login
            raise VSphereTransientError(
                f"vAPI request {method} {path} failed: HTTP {exc.code}"
            ) from exc
        except OSError as exc:
            raise VSphereTransientError(f"vAPI request {method} {path} failed: {exc}") from exc
        if not raw:
            return None
        return json.loads(raw).get("value")

    # -- reads ------------------------------------------------------------------------
    def _category_name(self, category_id: str) -> str:
        if category_id not in self._categories:
            info = self._call("GET", f"/tagging/category/id:{category_id}")
            self._categories[category_id] = str(info["name"])
        return self._categories[category_id]

    def attached(self, obj: Any) -> list[tuple[str, str]]:
        """(category, tag) names attached to a managed object."""
        ref = {"id": obj._moId, "type": obj._wsdlName}
        ids = (
            self._call(
                "POST", "/tagging/tag-association?~action=list-attached-tags", {"object_id": ref}
            )
            or []
        )
        result = []
        for tag_id in ids:
            tag = self._call("GET", f"/tagging/tag/id:{tag_id}")
            result.append((self._category_name(tag["category_id"]), str(tag["name"])))
        return sorted(result)

    def objects_with_tag(self, category: str, name: str) -> set[str]:
        """Managed object ids (``vm-42``) carrying the tag; empty when it does not exist."""
        tag_id = self._find_tag(category, name)
        if tag_id is None:
            return set()
        objs = (
            self._call(
                "POST", f"/tagging/tag-association/id:{tag_id}?~action=list-attached-objects", {}
            )
            or []
        )
        return {str(o["id"]) for o in objs}

    def _find_category(self, category: str) -> str | None:
        for cid in self._call("GET", "/tagging/category") or []:
            if self._category_name(cid) == category:
                return str(cid)
        return None

    def _find_tag(self, category: str, name: str) -> str | None:
        cid = self._find_category(category)
        if cid is None:
            return None
        for tid in (
            self._call("POST", f"/tagging/tag/id:{cid}?~action=list-tags-for-category", {}) or []
        ):
            if self._call("GET", f"/tagging/tag/id:{tid}")["name"] == name:
                return str(tid)
        return None

    # -- writes (idempotent) ----------------------------------------------------------
    def ensure_tag(self, category: str, name: str) -> str:
        """The tag's id, creating the category and tag when absent."""
        cid = self._find_category(category)
        if cid is None:
            spec = {
                "name": category,
                "description": "",
                "cardinality": "MULTIPLE",
                "associable_types": [],
            }
            cid = str(self._call("POST", "/tagging/category", {"create_spec": spec}))
            self._categories[cid] = category
        tid = self._find_tag(category, name)
        if tid is None:
            spec = {"name": name, "description": "", "category_id": cid}
            tid = str(self._call("POST", "/tagging/tag", {"create_spec": spec}))
        return tid

    def attach(self, obj: Any, category: str, name: str) -> None:
        """Attach the tag (created when absent) to ``obj``; a no-op when attached."""
        if (category, name) in self.attached(obj):
            return
        tid = self.ensure_tag(category, name)
        ref = {"id": obj._moId, "type": obj._wsdlName}
        self._call("POST", f"/tagging/tag-association/id:{tid}?~action=attach", {"object_id": ref})
