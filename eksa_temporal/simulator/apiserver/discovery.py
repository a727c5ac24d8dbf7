"""Discovery and OpenAPI documents of a virtual cluster, computed once per set of
resource types (a CRD change bumps the cluster's epoch) and served as cached bytes.

Legacy discovery (``/api``, ``/api/v1``, ``/apis``, ``/apis/<g>``, ``/apis/<g>/<v>``), aggregated
discovery (``apidiscovery.k8s.io/v2``, asked for by kubectl 1.32), a minimal
``/openapi/v3`` (PATCH operations declaring ``fieldValidation`` so kubectl leaves
validation to the server) and an empty protobuf ``/openapi/v2``. Used by
``apiserver.handlers``.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from typing import Any

from eksa_temporal.simulator.apiserver.resources import ResourceType
from eksa_temporal.simulator.apiserver.state import VirtualCluster

Obj = dict[str, Any]
AGGREGATED_CT = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
K8S_VERSION = {"major": "1", "minor": "32", "gitVersion": "v1.32.0-eksa-sim", "gitCommit": "sim",
               "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.23",
               "compiler": "gc", "platform": "linux/amd64"}
_SUB_VERBS = ["get", "patch", "update"]


def _encode(doc: Obj) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()


def _group_versions(types: list[ResourceType]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for t in types:
        for v in t.versions:
            if v not in groups[t.group]:
                groups[t.group].append(v)
    return groups


def _resource_entries(types: list[ResourceType], group: str, version: str) -> list[Obj]:
    out: list[Obj] = []
    for t in types:
        if t.group != group or version not in t.versions:
            continue
        entry: Obj = {"name": t.plural, "singularName": t.singular, "namespaced": t.namespaced,
                      "kind": t.kind, "verbs": t.verbs()}
        if t.short_names:
            entry["shortNames"] = list(t.short_names)
        if t.categories:
            entry["categories"] = list(t.categories)
        out.append(entry)
        if t.status:
            out.append({"name": f"{t.plural}/status", "singularName": "", "namespaced": t.namespaced,
                        "kind": t.kind, "verbs": _SUB_VERBS})
    return out


def _aggregated(types: list[ResourceType], core: bool) -> Obj:
    items = []
    for group, versions in sorted(_group_versions(types).items(), key=lambda g: (g[0] != "", g[0])):
        if (group == "") != core:
            continue
        vlist = []
        for v in versions:
            resources = []
            for t in types:
                if t.group != group or v not in t.versions:
                    continue
                kind = {"group": group, "version": v, "kind": t.kind}
                r: Obj = {"resource": t.plural, "responseKind": kind, "scope":
                          "Namespaced" if t.namespaced else "Cluster", "singularResource": t.singular,
                          "verbs": t.verbs()}
                if t.short_names:
                    r["shortNames"] = list(t.short_names)
                if t.categories:
                    r["categories"] = list(t.categories)
                if t.status:
                    r["subresources"] = [{"subresource": "status", "responseKind": kind, "verbs": _SUB_VERBS}]
                resources.append(r)
            vlist.append({"version": v, "resources": resources, "freshness": "Current"})
        items.append({"metadata": {"name": group, "creationTimestamp": None}, "versions": vlist})
    return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2",
            "metadata": {}, "items": items}


def _gv_openapi(types: list[ResourceType], group: str, version: str) -> Obj:
    paths: Obj = {}
    gv_prefix = f"/apis/{group}/{version}" if group else f"/api/{version}"
    param = {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": True}}
    for t in types:
        if t.group != group or version not in t.versions:
            continue
        gvk = {"group": group, "version": version, "kind": t.kind}
        ns = "/namespaces/{namespace}" if t.namespaced else ""
        op = {"operationId": f"patch{t.kind}", "parameters": [param],
              "x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "patch"}
        paths[f"{gv_prefix}{ns}/{t.plural}/{{name}}"] = {"patch": op}
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": K8S_VERSION["gitVersion"]},
            "paths": paths, "components": {"schemas": {}}}


class Discovery:
    """Cached discovery responses per virtual cluster and resource-type epoch."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, int, str], bytes | None] = {}

    def document(self, vc: VirtualCluster, path: tuple[str, ...], aggregated: bool,
                 server_address: str) -> bytes | None:
        """Bytes for a discovery/OpenAPI path (parts after the cluster prefix), or None (404)."""
        key = (vc.name, vc.epoch, "/".join(path) + ("#agg" if aggregated else ""))
        if key not in self._cache:
            if len(self._cache) > 2000:
                self._cache.clear()
            doc = self._build(vc.types(), path, aggregated, server_address, vc.name, vc.epoch)
            self._cache[key] = _encode(doc) if doc is not None else None
        return self._cache[key]

    def _build(self, types: list[ResourceType], path: tuple[str, ...], aggregated: bool,
               server_address: str, name: str, epoch: int) -> Obj | None:
        groups = _group_versions(types)
        if path == ("api",):
            if aggregated:
                return _aggregated(types, core=True)
            return {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]}
        if path == ("apis",):
            if aggregated:
                return _aggregated(types, core=False)
            return {"kind": "APIGroupList", "apiVersion": "v1",
                    "groups": [self._group(g, vs) for g, vs in sorted(groups.items()) if g]}
        if len(path) == 2 and path[0] == "apis" and path[1] in groups and path[1]:
            return {"kind": "APIGroup", "apiVersion": "v1", **self._group(path[1], groups[path[1]])}
        gv = _gv_of(path, groups)
        if gv is not None:
            group, version = gv
            return {"kind": "APIResourceList", "apiVersion": "v1",
                    "groupVersion": f"{group}/{version}" if group else version,
                    "resources": _resource_entries(types, group, version)}
        if path == ("openapi", "v3"):
            tag = hashlib.sha256(f"{name}/{epoch}".encode()).hexdigest()[:16].upper()
            out: Obj = {}
            for g, vs in groups.items():
                for v in vs:
                    p = f"apis/{g}/{v}" if g else f"api/{v}"
                    out[p] = {"serverRelativeURL": f"/openapi/v3/{p}?hash={tag}"}
            return {"paths": out}
        if len(path) > 2 and path[:2] == ("openapi", "v3"):
            gv = _gv_of(path[2:], groups)
            if gv is not None:
                return _gv_openapi(types, *gv)
        return None

    @staticmethod
    def _group(group: str, versions: list[str]) -> Obj:
        vs = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
        return {"name": group, "versions": vs, "preferredVersion": vs[0]}


def _gv_of(path: tuple[str, ...], groups: dict[str, list[str]]) -> tuple[str, str] | None:
    if len(path) == 2 and path[0] == "api" and path[1] in groups.get("", []):
        return "", path[1]
    if len(path) == 3 and path[0] == "apis" and path[1] and path[2] in groups.get(path[1], []):
        return path[1], path[2]
    return None
