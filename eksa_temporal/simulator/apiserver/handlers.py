"""HTTP handlers of a virtual cluster's Kubernetes API (``/clusters/<name>/...``).

Parses the resource path (core ``/api/v1`` and ``/apis/<g>/<v>``, namespaced or not,
``/status`` subresource), authenticates the cluster's bearer token, and maps verbs onto
``apiserver.store``: get, list (selectors, ``limit``/``continue``, Table output), watch
(``apiserver.watch``), create, replace, patch (merge, JSON, strategic, apply), delete and
deletecollection. Discovery and OpenAPI come from ``apiserver.discovery``.
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from eksa_temporal.simulator.apiserver import httputil as h
from eksa_temporal.simulator.apiserver import tables
from eksa_temporal.simulator.apiserver.common import WriteOpts, not_found, prune_request
from eksa_temporal.simulator.apiserver.deletion import delete_typed
from eksa_temporal.simulator.apiserver.discovery import AGGREGATED_CT, K8S_VERSION, Discovery
from eksa_temporal.simulator.apiserver.patch import json_patch, merge_patch, strategic_merge
from eksa_temporal.simulator.apiserver.resources import ResourceType
from eksa_temporal.simulator.apiserver.state import Entry, VirtualCluster, dumps
from eksa_temporal.simulator.apiserver.store import Store
from eksa_temporal.simulator.apiserver.watch import serve_watch
from eksa_temporal.simulator.store_api import Gone, StoreError

log = logging.getLogger(__name__)
Obj = dict[str, Any]
_TRUE = ("true", "1", "True")


@dataclass
class Target:
    """A parsed resource path."""

    rt: ResourceType
    version: str
    namespace: str | None
    name: str | None
    sub: str | None


class BadPath(StoreError):
    code = 404
    reason = "NotFound"


def _parse(vc: VirtualCluster, parts: list[str]) -> Target | None:
    if len(parts) >= 3 and parts[0] == "api" and parts[1] == "v1":
        group, version, rest = "", "v1", parts[2:]
    elif len(parts) >= 4 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    ns: str | None = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        rt_ns = vc.type_at(group, version, rest[2])
        if rt_ns is not None and rt_ns.namespaced:
            ns, rest = rest[1], rest[2:]
    rt = vc.type_at(group, version, rest[0])
    if rt is None or len(rest) > 3 or (ns is not None and not rt.namespaced):
        raise BadPath("the server could not find the requested resource")
    name = rest[1] if len(rest) > 1 else None
    sub = rest[2] if len(rest) > 2 else None
    if sub is not None and (sub != "status" or not rt.status):
        raise BadPath("the server could not find the requested resource")
    return Target(rt, version, ns, name, sub)


def _versioned(entry: Entry, av: str) -> str:
    if entry.obj.get("apiVersion") == av:
        return entry.raw
    return dumps({**entry.obj, "apiVersion": av})


def _out(obj: Obj, av: str) -> str:
    return dumps(obj if obj.get("apiVersion") == av else {**obj, "apiVersion": av})


def encode_continue(key: tuple[str, str], rv: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([key[0], key[1], rv]).encode()).decode()


def decode_continue(token: str) -> tuple[tuple[str, str], int]:
    try:
        ns, name, rv = json.loads(base64.urlsafe_b64decode(token.encode()))
        return (str(ns), str(name)), int(rv)
    except (ValueError, TypeError):
        raise h.BadBody("invalid continue token") from None


class ClusterAPI:
    """The ``/clusters/{cluster}/{tail}`` handler."""

    def __init__(self, store: Store, discovery: Discovery, server_address: Callable[[], str],
                 bookmark_seconds: float = 1.0) -> None:
        self.store = store
        self.discovery = discovery
        self.server_address = server_address
        self.bookmark_seconds = bookmark_seconds

    async def handle(self, request: web.Request) -> web.StreamResponse:
        vc = self.store.vcs.get(request.match_info["cluster"])
        if vc is None:
            return h.status_response(404, "NotFound", "virtual cluster not found")
        auth = request.headers.get("Authorization", "")
        if not hmac.compare_digest(auth.encode(), f"Bearer {vc.token}".encode()):
            return h.status_response(401, "Unauthorized", "Unauthorized")
        parts = [p for p in request.match_info["tail"].split("/") if p]
        try:
            return await self._dispatch(request, vc, parts)
        except StoreError as exc:
            return h.error_response(exc)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            log.warning("bad request %s %s: %r", request.method, request.path, exc, exc_info=True)
            return h.status_response(400, "BadRequest", f"the request could not be processed: {exc!r}")

    async def _dispatch(self, request: web.Request, vc: VirtualCluster, parts: list[str]) -> web.StreamResponse:
        if len(parts) == 1 and parts[0] in ("healthz", "readyz", "livez"):
            return web.Response(text="ok")
        if parts == ["version"]:
            return web.json_response(K8S_VERSION)
        if parts == ["openapi", "v2"]:
            return web.Response(body=b"", content_type="application/com.github.proto-openapi.spec.v2.v1.0+protobuf")
        target = _parse(vc, parts)
        if target is None:
            aggregated = "as=APIGroupDiscoveryList" in request.headers.get("Accept", "")
            if aggregated and tuple(parts) not in (("api",), ("apis",)):
                aggregated = False
            doc = self.discovery.document(vc, tuple(parts), aggregated, self.server_address())
            if doc is None or request.method != "GET":
                return h.status_response(404, "NotFound", "the server could not find the requested resource")
            return h.raw_response(doc, content_type=AGGREGATED_CT if aggregated else h.JSON_CT)
        q = request.query
        method = request.method
        if target.name is None:
            if method == "GET":
                if q.get("watch") in _TRUE:
                    return await serve_watch(request, self.store, vc, target.rt, target.namespace,
                                             target.version, self.bookmark_seconds)
                return self._list(request, vc, target)
            if method == "POST":
                return await self._create(request, vc, target)
            if method == "DELETE":
                return await self._delete_collection(request, vc, target)
            return h.status_response(405, "MethodNotAllowed", f"{method} is not allowed here")
        if method == "GET":
            treq = tables.negotiate(request)
            entry = self.store.entry(vc, target.rt, target.namespace, target.name)
            if entry is None:
                raise not_found(target.rt, target.name)
            if treq is not None:
                meta = {"resourceVersion": str(entry.obj["metadata"].get("resourceVersion", ""))}
                return h.raw_response(dumps(tables.render(target.rt, target.version, [entry.obj], meta, treq)))
            return h.raw_response(_versioned(entry, target.rt.api_version(target.version)))
        if method == "PUT":
            return await self._replace(request, vc, target)
        if method == "PATCH":
            return await self._patch(request, vc, target)
        if method == "DELETE":
            return await self._delete(request, vc, target)
        return h.status_response(405, "MethodNotAllowed", f"{method} is not allowed here")

    # ---- reads ------------------------------------------------------------------------
    def _list(self, request: web.Request, vc: VirtualCluster, t: Target) -> web.StreamResponse:
        q = request.query
        treq = tables.negotiate(request)
        limit = int(q.get("limit") or 0)
        start = None
        if q.get("continue"):
            start, rv = decode_continue(q["continue"])
            if rv < self.store.hub.compacted:
                raise Gone("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.")
        entries, last, remaining = self.store.select(vc, t.rt, t.namespace, q.get("labelSelector"),
                                                     q.get("fieldSelector"), limit, start)
        av = t.rt.api_version(t.version)
        meta: Obj = {"resourceVersion": str(self.store.rv)}
        if last is not None:
            meta["continue"] = encode_continue(last, self.store.rv)
            meta["remainingItemCount"] = remaining
        if treq is not None:
            return h.raw_response(dumps(tables.render(t.rt, t.version, [e.obj for e in entries], meta, treq)))
        head = dumps({"kind": t.rt.list_kind, "apiVersion": av, "metadata": meta})
        body = head[:-1] + ',"items":[' + ",".join(_versioned(e, av) for e in entries) + "]}"
        return h.raw_response(body)

    # ---- writes -----------------------------------------------------------------------
    def _opts(self, request: web.Request, t: Target) -> WriteOpts:
        q = request.query
        manager = q.get("fieldManager") or request.headers.get("User-Agent", "unknown").split("/")[0] or "unknown"
        return WriteOpts(manager=manager, dry_run=q.get("dryRun") == "All",
                         strict=q.get("fieldValidation") == "Strict", subresource=t.sub, structural=True)

    async def _object_body(self, request: web.Request, t: Target) -> Obj:
        body = await h.read_body(request)
        prune_request(t.rt, t.version, body, self._opts(request, t))
        if not isinstance(body, dict):
            raise h.BadBody("the request body must be a JSON object")
        kind = body.get("kind")
        if kind not in (None, t.rt.kind):
            raise h.BadBody(f"the kind {kind!r} does not match the resource {t.rt.plural!r}")
        body["apiVersion"] = t.rt.api_version(t.version)
        body["kind"] = t.rt.kind
        return body

    async def _create(self, request: web.Request, vc: VirtualCluster, t: Target) -> web.StreamResponse:
        body = await self._object_body(request, t)
        meta = body.setdefault("metadata", {})
        if t.namespace and meta.get("namespace") not in (None, "", t.namespace):
            raise h.BadBody("the namespace of the provided object does not match the namespace sent on the request")
        obj = self.store.create_typed(vc, t.rt, t.namespace or meta.get("namespace"), body, self._opts(request, t))
        return h.raw_response(_out(obj, t.rt.api_version(t.version)), status=201)

    async def _replace(self, request: web.Request, vc: VirtualCluster, t: Target) -> web.StreamResponse:
        assert t.name is not None
        body = await self._object_body(request, t)
        obj = self.store.update_typed(vc, t.rt, t.namespace, t.name, body, self._opts(request, t))
        return h.raw_response(_out(obj, t.rt.api_version(t.version)))

    async def _patch(self, request: web.Request, vc: VirtualCluster, t: Target) -> web.StreamResponse:
        assert t.name is not None
        ctype = request.headers.get("Content-Type", "").split(";")[0].strip()
        opts = self._opts(request, t)
        av = t.rt.api_version(t.version)
        if ctype == "application/apply-patch+yaml":
            if not request.query.get("fieldManager"):
                raise h.BadBody("PATCH requests with apply content type must have fieldManager set")
            config = await h.read_body(request, yaml_ok=True)
            if not isinstance(config, dict):
                raise h.BadBody("the apply configuration must be an object")
            if opts.strict and t.rt.top_fields is not None and set(config) - t.rt.top_fields:
                unknown = ", ".join(f'unknown field "{u}"' for u in sorted(set(config) - t.rt.top_fields))
                raise h.BadBody(f"strict decoding error: {unknown}")
            config["apiVersion"], config["kind"] = av, t.rt.kind
            prune_request(t.rt, t.version, config, opts)
            obj, created = self.store.apply_typed(vc, t.rt, t.namespace, t.name, config, opts,
                                                  force=request.query.get("force") in _TRUE)
            return h.raw_response(_out(obj, av), status=201 if created else 200)
        body = await h.read_body(request)
        if ctype != "application/json-patch+json":
            prune_request(t.rt, t.version, body, opts)
        fn: Callable[[Obj], Obj]
        if ctype == "application/json-patch+json":
            fn = lambda o: json_patch(o, body)  # noqa: E731
        elif ctype == "application/merge-patch+json":
            if not isinstance(body, dict):
                raise h.BadBody("a merge patch must be a JSON object")
            fn = lambda o: dict(merge_patch(o, body))  # noqa: E731
        elif ctype == "application/strategic-merge-patch+json":
            if not t.rt.builtin:
                raise h.Unsupported("the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")
            if not isinstance(body, dict):
                raise h.BadBody("a strategic merge patch must be a JSON object")
            fn = lambda o: dict(strategic_merge(o, body))  # noqa: E731
        else:
            raise h.Unsupported(f"the body of the request was in an unknown format: {ctype}")
        if opts.strict and isinstance(body, dict) and t.rt.top_fields is not None:
            unknown_fields = sorted(set(body) - t.rt.top_fields - {"$setElementOrder/metadata"})
            unknown_fields = [u for u in unknown_fields if not u.startswith("$")]
            if unknown_fields:
                raise h.BadBody("strict decoding error: " + ", ".join(f'unknown field "{u}"' for u in unknown_fields))
        obj = self.store.patch_typed(vc, t.rt, t.namespace, t.name, fn, opts)
        return h.raw_response(_out(obj, av))

    async def _delete_options(self, request: web.Request) -> Obj:
        body = await h.read_body(request)
        opts = dict(body) if isinstance(body, dict) else {}
        q = request.query
        if q.get("propagationPolicy"):
            opts["propagationPolicy"] = q["propagationPolicy"]
        if q.get("dryRun") == "All":
            opts["dryRun"] = ["All"]
        if opts.get("orphanDependents") is True and not opts.get("propagationPolicy"):
            opts["propagationPolicy"] = "Orphan"
        return opts

    async def _delete(self, request: web.Request, vc: VirtualCluster, t: Target) -> web.StreamResponse:
        assert t.name is not None
        dopts = await self._delete_options(request)
        opts = WriteOpts(manager="unknown", dry_run="All" in (dopts.get("dryRun") or []))
        obj, done = delete_typed(self.store, vc, t.rt, t.namespace, t.name, opts,
                                 propagation=dopts.get("propagationPolicy"),
                                 preconditions=dopts.get("preconditions"))
        av = t.rt.api_version(t.version)
        if done and t.rt.builtin:
            doc = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                   "details": {"name": t.name, "group": t.rt.group, "kind": t.rt.plural,
                               "uid": obj["metadata"].get("uid")}}
            return h.raw_response(dumps(doc))
        return h.raw_response(_out(obj, av))  # 200 with the object, pending or not (as kube-apiserver)

    async def _delete_collection(self, request: web.Request, vc: VirtualCluster, t: Target) -> web.StreamResponse:
        dopts = await self._delete_options(request)
        opts = WriteOpts(manager="unknown", dry_run="All" in (dopts.get("dryRun") or []))
        entries, _, _ = self.store.select(vc, t.rt, t.namespace, request.query.get("labelSelector"),
                                          request.query.get("fieldSelector"))
        names = [(e.obj["metadata"].get("namespace"), e.obj["metadata"]["name"]) for e in entries]
        for ns, name in names:
            if self.store.entry(vc, t.rt, ns, name) is not None:
                delete_typed(self.store, vc, t.rt, ns, name, opts, propagation=dopts.get("propagationPolicy"))
        meta = {"resourceVersion": str(self.store.rv)}
        return h.raw_response(dumps({"kind": t.rt.list_kind, "apiVersion": t.rt.api_version(t.version),
                                     "metadata": meta, "items": []}))
