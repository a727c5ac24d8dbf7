"""Server-side printing: ``meta.k8s.io/v1`` ``Table`` responses, as kube-apiserver returns
them to ``kubectl get`` (which sends ``Accept: application/json;as=Table;v=v1;g=meta.k8s.io,
application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json``).

``negotiate`` picks the first acceptable media range: a Table (v1 or v1beta1) or plain
JSON; a request that does not ask for a Table gets the objects unchanged. ``render`` builds
the Table of a get, a list or one watch event: built-in kinds use ``apiserver.printers``;
custom resources use the served version's ``additionalPrinterColumns`` (JSONPath via
``apiserver.jsonpath``; ``date`` cells become ages server-side, as
``apiextensions-apiserver``'s table convertor does, and an empty column list means ``Age``).
``rows[].object`` follows ``?includeObject=``: ``Metadata`` (default,
``PartialObjectMetadata``), ``Object`` (the full object, e.g. for ``--sort-by``) or
``None``. Used by ``apiserver.handlers`` and ``apiserver.watch``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from aiohttp import web

from eksa_temporal.simulator.apiserver import jsonpath, printers
from eksa_temporal.simulator.apiserver.resources import ResourceType
from eksa_temporal.simulator.store_api import StoreError

Obj = dict[str, Any]
GROUP = "meta.k8s.io"
_JSON_TYPES = ("application/json", "application/*", "*/*")
_INCLUDE = ("Metadata", "Object", "None")


class BadTableRequest(StoreError):
    code = 400
    reason = "BadRequest"


@dataclass(frozen=True)
class TableRequest:
    """A request for a Table: its ``meta.k8s.io`` version and ``includeObject`` policy."""

    version: str = "v1"
    include: str = "Metadata"


def negotiate(request: web.Request) -> TableRequest | None:
    """The Table a request asks for, or None for plain objects."""
    for media_range in request.headers.get("Accept", "").split(","):
        mtype, *raw = (p.strip() for p in media_range.split(";"))
        params = {k.strip(): v.strip() for k, _, v in (p.partition("=") for p in raw)}
        if mtype.lower() not in _JSON_TYPES:
            continue
        as_kind = params.get("as")
        if as_kind is None:
            return None
        if as_kind == "Table" and params.get("g") == GROUP and params.get("v") in ("v1", "v1beta1"):
            include = request.query.get("includeObject") or "Metadata"
            if include not in _INCLUDE:
                raise BadTableRequest(f'unrecognized includeObject value: "{include}"')
            return TableRequest(params["v"], include)
    return None


@lru_cache(maxsize=512)
def _compiled(expr: str) -> tuple[Any, ...] | None:
    try:
        return jsonpath.parse(expr)
    except jsonpath.JSONPathError:
        return None


def _text(value: Any) -> str:
    """A JSONPath result printed as text (``PrintResults``): scalars bare, the rest JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    return str(value)


def _typed_cell(col_type: str, value: Any) -> Any:
    """``cellForJSONValue``: a value of the column's type, or None."""
    if value is None:
        return None
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if col_type == "integer" and number:
        return int(value)
    if col_type == "number" and number:
        return float(value)
    if col_type == "boolean" and isinstance(value, bool):
        return value
    if col_type == "date" and isinstance(value, str):
        if value in ("", "null"):
            return "<unknown>"
        return printers.since(value) if printers.parse_time(value) else "<invalid>"
    return None


def crd_columns(rt: ResourceType, version: str) -> list[Obj]:
    """The served version's printer columns (``Age`` when it declares none)."""
    cols = list(rt.printer_columns.get(version) or ())
    if not cols:
        cols = [{"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp",
                 "description": printers.AGE_DOC}]
    return [c for c in cols if isinstance(c, dict) and _compiled(str(c.get("jsonPath", ""))) is not None]


def _crd_printer(rt: ResourceType, version: str) -> printers.Printer:
    cols = crd_columns(rt, version)
    defs = [printers.NAME_COL] + [
        printers.col(str(c.get("name", "")), str(c.get("description") or
                     f"Custom resource definition column (in JSONPath format): {c.get('jsonPath')}"),
                     str(c.get("type", "string")), int(c.get("priority") or 0), str(c.get("format") or ""))
        for c in cols]
    paths = [(_compiled(str(c.get("jsonPath", ""))) or (), str(c.get("type", "string"))) for c in cols]

    def cells(o: Obj) -> list[Any]:
        out: list[Any] = [str((o.get("metadata") or {}).get("name", ""))]
        for steps, col_type in paths:
            found = jsonpath.evaluate(steps, o)
            if not found:
                out.append(None)
            elif col_type == "string":
                out.append(_text(found[0]))
            else:
                out.append(_typed_cell(col_type, found[0]))
        return out

    return defs, cells


def printer_for(rt: ResourceType, version: str) -> printers.Printer:
    """Column definitions and the row function for a resource type and version."""
    if rt.builtin:
        return printers.BUILTIN.get(rt.gk, printers.DEFAULT)
    return _crd_printer(rt, version)


def _row_object(obj: Obj, req: TableRequest, api_version: str) -> Obj | None:
    if req.include == "None":
        return None
    if req.include == "Object":
        return obj if obj.get("apiVersion") == api_version else {**obj, "apiVersion": api_version}
    return {"kind": "PartialObjectMetadata", "apiVersion": f"{GROUP}/{req.version}",
            "metadata": obj.get("metadata") or {}}


def render(rt: ResourceType, version: str, objs: list[Obj], list_meta: Obj, req: TableRequest) -> Obj:
    """The Table of ``objs`` (a list, one object, or one watch event's object)."""
    cols, cells = printer_for(rt, version)
    av = rt.api_version(version)
    rows = [{"cells": cells(o), "object": _row_object(o, req, av)} for o in objs]
    return {"kind": "Table", "apiVersion": f"{GROUP}/{req.version}", "metadata": list_meta,
            "columnDefinitions": cols, "rows": rows}
