"""Structural-schema handling of custom resources, as kube-apiserver does it for CRDs:
fields a request sets that the schema does not declare are pruned (or rejected under
``fieldValidation=Strict``), and declared ``default`` values are filled in.

Pruning applies to the request body (object, merge/strategic patch, apply configuration)
before it is merged, so fields already stored are never touched.
``x-kubernetes-preserve-unknown-fields`` keeps unknown fields below it;
``x-kubernetes-embedded-resource`` keeps ``apiVersion``/``kind``/``metadata``; the
top-level ``apiVersion``/``kind``/``metadata`` are never pruned; patch directives
(``$patch``, ``$setElementOrder/...``) are left alone. Used by ``apiserver.handlers``
(pruning) and ``apiserver.store`` (defaults).
"""

from __future__ import annotations

import json
from typing import Any

Obj = dict[str, Any]
_RESOURCE_FIELDS = ("apiVersion", "kind", "metadata")


def prune(obj: Obj, schema: Obj, *, skip: frozenset[str] = frozenset()) -> list[str]:
    """Drop undeclared fields from ``obj`` in place (top-level keys in ``skip`` untouched);
    return their paths."""
    unknown: list[str] = []
    _prune(obj, schema, "", unknown, resource=True, skip=skip)
    return unknown


def prune_and_default(obj: Obj, schema: Obj) -> list[str]:
    """``prune`` then ``fill_defaults``."""
    unknown = prune(obj, schema)
    fill_defaults(obj, schema)
    return unknown


def _prune(value: Any, schema: Any, path: str, unknown: list[str], resource: bool = False,
           skip: frozenset[str] = frozenset()) -> None:
    if not isinstance(schema, dict):
        return
    if isinstance(value, dict):
        props = schema.get("properties")
        keep = resource or schema.get("x-kubernetes-embedded-resource") is True
        if isinstance(props, dict):
            preserve = schema.get("x-kubernetes-preserve-unknown-fields") is True
            for k in list(value):
                sub = f"{path}.{k}" if path else k
                if k.startswith("$") or (resource and k in skip):
                    continue
                if k in props:
                    if not (resource and k == "metadata"):
                        _prune(value[k], props[k], sub, unknown)
                elif keep and k in _RESOURCE_FIELDS:
                    continue
                elif not preserve:
                    unknown.append(sub)
                    del value[k]
        elif isinstance(schema.get("additionalProperties"), dict):
            for k, v in value.items():
                if not k.startswith("$"):
                    _prune(v, schema["additionalProperties"], f"{path}.{k}" if path else k, unknown)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            _prune(item, schema["items"], f"{path}[{i}]", unknown)


def fill_defaults(value: Any, schema: Any, resource: bool = True) -> None:
    """Fill declared ``default`` values of missing fields, recursively, in place."""
    if not isinstance(schema, dict):
        return
    if isinstance(value, dict):
        props = schema.get("properties")
        if isinstance(props, dict):
            for k, sub in props.items():
                if not isinstance(sub, dict) or (resource and k == "metadata"):
                    continue
                if k not in value and "default" in sub:
                    value[k] = json.loads(json.dumps(sub["default"]))
                if k in value:
                    fill_defaults(value[k], sub, False)
        elif isinstance(schema.get("additionalProperties"), dict):
            for v in value.values():
                fill_defaults(v, schema["additionalProperties"], False)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            fill_defaults(item, schema["items"], False)


_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
}
_GO_TYPES = {dict: "object", list: "array", str: "string", int: "integer", float: "number", bool: "boolean"}


def invalid_fields(obj: Obj, schema: Obj, *, skip: frozenset[str] = frozenset()) -> list[str]:
    """What kube-apiserver's validation of a custom resource against its structural schema
    refuses, one message per field in its wording: wrong types, values outside an ``enum``,
    missing ``required`` fields. ``metadata`` (validated as ObjectMeta) and the top-level
    keys in ``skip`` are not checked; null values are not (the server drops them)."""
    out: list[str] = []
    props = schema.get("properties") or {}
    for key, value in obj.items():
        if key in ("apiVersion", "kind", "metadata") or key in skip or key not in props:
            continue
        _check(value, props[key], key, out)
    for name in schema.get("required") or []:
        if name not in obj and name not in skip and name != "metadata":
            out.append(f"{name}: Required value")
    return out


def _check(value: Any, schema: Any, path: str, out: list[str]) -> None:
    if not isinstance(schema, dict) or value is None:
        return
    if schema.get("x-kubernetes-int-or-string"):
        if isinstance(value, bool) or not isinstance(value, int | str):
            out.append(f'{path}: Invalid value: "{_go_type(value)}": {path} in body must be of type integer-or-string')
        return
    kind = schema.get("type")
    if kind in _TYPES and (not isinstance(value, _TYPES[kind]) or (kind in ("integer", "number") and isinstance(value, bool))):
        out.append(f'{path}: Invalid value: "{_go_type(value)}": {path} in body must be of type {kind}: "{_go_type(value)}"')
        return
    enum = schema.get("enum")
    if isinstance(enum, list) and value not in enum:
        supported = ", ".join(json.dumps(v) for v in enum)
        out.append(f"{path}: Unsupported value: {json.dumps(value)}: supported values: {supported}")
    if isinstance(value, dict):
        props = schema.get("properties")
        if isinstance(props, dict):
            for k, v in value.items():
                if k in props:
                    _check(v, props[k], f"{path}.{k}", out)
            for name in schema.get("required") or []:
                if name not in value:
                    out.append(f"{path}.{name}: Required value")
        elif isinstance(schema.get("additionalProperties"), dict):
            for k, v in value.items():
                _check(v, schema["additionalProperties"], f"{path}.{k}", out)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            _check(item, schema["items"], f"{path}[{i}]", out)


def _go_type(value: Any) -> str:
    return _GO_TYPES.get(type(value), type(value).__name__)
