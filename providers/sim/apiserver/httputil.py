"""HTTP helpers of the API emulator: Kubernetes ``Status`` error bodies, JSON responses,
request-body parsing (JSON, or YAML for server-side apply) and server-side ``Table``
rendering for ``kubectl get``. Used by ``apiserver.handlers`` and ``apiserver.watch``.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import yaml
from aiohttp import web

from providers.sim.apiserver import protobuf
from providers.sim.apiserver.resources import ResourceType
from providers.sim.store_api import StoreError

Obj = dict[str, Any]
JSON_CT = "application/json"


def status_doc(code: int, reason: str, message: str, details: Obj | None = None,
               causes: list[Obj] | None = None) -> Obj:
    doc: Obj = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": message, "reason": reason, "code": code}
    if details or causes:
        doc["details"] = dict(details or {})
        if causes:
            doc["details"]["causes"] = causes
    return doc


def status_response(code: int, reason: str, message: str, details: Obj | None = None,
                    causes: list[Obj] | None = None, headers: dict[str, str] | None = None) -> web.Response:
    body = json.dumps(status_doc(code, reason, message, details, causes)).encode()
    return web.Response(body=body, status=code, content_type=JSON_CT, headers=headers)


def error_response(exc: StoreError) -> web.Response:
    return status_response(exc.code, exc.reason, str(exc), exc.details, exc.causes)


def raw_response(body: bytes | str, status: int = 200, content_type: str = JSON_CT) -> web.Response:
    data = body.encode() if isinstance(body, str) else body
    return web.Response(body=data, status=status, headers={"Content-Type": content_type})


class BadBody(StoreError):
    code = 400
    reason = "BadRequest"


class Unsupported(StoreError):
    code = 415
    reason = "UnsupportedMediaType"


async def read_body(request: web.Request, *, yaml_ok: bool = False) -> Any:
    data = await request.read()
    if "protobuf" in request.headers.get("Content-Type", ""):
        try:
            obj = protobuf.decode(data)
        except (ValueError, IndexError, UnicodeDecodeError):
            obj = None
        if obj is None:
            raise Unsupported("the emulator decodes protobuf bodies of Namespace, ConfigMap, Secret and "
                              "ServiceAccount only; send JSON (e.g. kubectl create -f / apply -f)")
        return obj
    if not data:
        return None
    try:
        return json.loads(data)
    except ValueError:
        if not yaml_ok:
            raise BadBody("the request body is not valid JSON") from None
    try:
        return yaml.safe_load(data)
    except yaml.YAMLError as exc:
        raise BadBody(f"the request body is not valid YAML: {exc}") from None


def wants_table(request: web.Request) -> bool:
    return "as=Table" in request.headers.get("Accept", "")


def _age(ts: str | None) -> str:
    if not ts:
        return "<unknown>"
    try:
        then = dt.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return "<invalid>"
    s = max(0, int((dt.datetime.now(dt.UTC) - then).total_seconds()))
    if s < 120:
        return f"{s}s"
    if s < 3 * 3600:
        return f"{s // 60}m"
    if s < 2 * 86400:
        return f"{s // 3600}h"
    return f"{s // 86400}d"


def _path_value(obj: Obj, path: str) -> Any:
    cur: Any = obj
    for part in path.strip().lstrip(".").split("."):
        if not part:
            continue
        if isinstance(cur, dict):
            cur = cur.get(part)
        else:
            return None
    return cur


def table(rt: ResourceType, objs: list[Obj], list_meta: Obj) -> Obj:
    """A meta.k8s.io/v1 Table: Name, the CRD's printer columns, Age (unless a column is)."""
    cols: list[Obj] = [{"name": "Name", "type": "string", "format": "name", "description": "Name", "priority": 0}]
    extra = list(rt.printer_columns)
    for c in extra:
        cols.append({"name": c.get("name"), "type": c.get("type", "string"), "format": c.get("format", ""),
                     "description": c.get("description", ""), "priority": c.get("priority", 0)})
    with_age = not any(c.get("name") == "Age" for c in extra)
    if with_age:
        cols.append({"name": "Age", "type": "string", "format": "", "description": "Age", "priority": 0})
    rows = []
    for o in objs:
        meta = o.get("metadata") or {}
        cells: list[Any] = [meta.get("name")]
        for c in extra:
            v = _path_value(o, str(c.get("jsonPath", "")))
            if c.get("type") == "date" and isinstance(v, str):
                v = _age(v)
            cells.append(v if v is not None else "")
        if with_age:
            cells.append(_age(meta.get("creationTimestamp")))
        slim = {k: v for k, v in meta.items() if k != "managedFields"}
        rows.append({"cells": cells, "object": {"kind": "PartialObjectMetadata",
                                                "apiVersion": "meta.k8s.io/v1", "metadata": slim}})
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": list_meta,
            "columnDefinitions": cols, "rows": rows}
