"""Patch formats of the Kubernetes API: JSON merge patch (RFC 7386), JSON patch
(RFC 6902) and an approximation of strategic merge patch.

Strategic merge is a merge patch in which lists of objects merge by their key (``name``,
``mountPath``, ``containerPort``, ``port``, ``uid``), ``metadata.finalizers`` merges as a
set, and kubectl's directives (``$patch``, ``$setElementOrder/``, ``$retainKeys``,
``$deleteFromPrimitiveList/``) are honoured or dropped. Used by ``apiserver.handlers``.
"""

from __future__ import annotations

import copy
from typing import Any

from eksa_temporal.simulator.store_api import StoreError

Obj = dict[str, Any]

MERGE_KEYS = ("name", "mountPath", "containerPort", "port", "uid", "type", "ip", "devicePath")
PRIMITIVE_SET_LISTS = {"finalizers"}


class BadPatch(StoreError):
    code = 400
    reason = "BadRequest"


class PatchTestFailed(StoreError):
    code = 422
    reason = "Invalid"


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: ``null`` removes, objects merge recursively, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _merge_key(items: list[Any]) -> str | None:
    dicts = [i for i in items if isinstance(i, dict)]
    if not dicts or len(dicts) != len(items):
        return None
    for key in MERGE_KEYS:
        if all(key in d for d in dicts):
            return key
    return None


def strategic_merge(target: Any, patch: Any, field: str = "") -> Any:
    """Approximate strategic merge patch (see module docstring)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$setElementOrder/") or key in ("$retainKeys", "$patch"):
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            name = key.split("/", 1)[1]
            current = result.get(name)
            if isinstance(current, list):
                result[name] = [v for v in current if v not in (value or [])]
            continue
        if value is None:
            result.pop(key, None)
        elif isinstance(value, list):
            result[key] = _merge_list(result.get(key), value, key)
        else:
            result[key] = strategic_merge(result.get(key), value, key)
    return result


def _merge_list(current: Any, patch: list[Any], field: str) -> list[Any]:
    if not isinstance(current, list):
        current = []
    if field in PRIMITIVE_SET_LISTS and all(not isinstance(v, dict | list) for v in patch):
        merged = list(current)
        merged.extend(v for v in patch if v not in merged)
        return merged
    key = _merge_key([p for p in patch if not (isinstance(p, dict) and "$patch" in p and len(p) <= 2)] or patch)
    if key is None or not all(isinstance(c, dict) and key in c for c in current):
        return [strip_directives(p) for p in patch if not (isinstance(p, dict) and p.get("$patch"))]
    merged = [dict(c) for c in current]
    index = {c[key]: i for i, c in enumerate(merged)}
    for item in patch:
        k = item.get(key)
        if item.get("$patch") == "delete":
            if k in index:
                merged[index[k]] = {}
            continue
        if k in index:
            merged[index[k]] = strategic_merge(merged[index[k]], item)
        else:
            index[k] = len(merged)
            merged.append(strip_directives(item))
    return [m for m in merged if m]


def strip_directives(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: strip_directives(v) for k, v in value.items() if not k.startswith("$")}
    if isinstance(value, list):
        return [strip_directives(v) for v in value]
    return value


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise BadPatch(f"invalid JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _parent(doc: Any, parts: list[str]) -> tuple[Any, str]:
    cur = doc
    for part in parts[:-1]:
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            raise BadPatch(f"the path {'/'.join(parts)!r} does not exist")
    return cur, parts[-1]


def _get(doc: Any, parts: list[str]) -> Any:
    if not parts:
        return doc
    parent, last = _parent(doc, parts)
    if isinstance(parent, dict) and last in parent:
        return parent[last]
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent[int(last)]
    raise BadPatch(f"the path {'/' + '/'.join(parts)!r} does not exist")


def _add(doc: Any, parts: list[str], value: Any) -> Any:
    if not parts:
        return value
    parent, last = _parent(doc, parts)
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        if last == "-":
            parent.append(value)
        elif last.isdigit() and int(last) <= len(parent):
            parent.insert(int(last), value)
        else:
            raise BadPatch(f"invalid index {last!r}")
    else:
        raise BadPatch("cannot add to a scalar")
    return doc


def _remove(doc: Any, parts: list[str]) -> Any:
    parent, last = _parent(doc, parts)
    if isinstance(parent, dict) and last in parent:
        return parent.pop(last)
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent.pop(int(last))
    raise BadPatch(f"the path {'/' + '/'.join(parts)!r} does not exist")


def json_patch(doc: Obj, ops: Any) -> Obj:
    """RFC 6902 on a copy of ``doc``."""
    if not isinstance(ops, list):
        raise BadPatch("a JSON patch must be a list of operations")
    result: Any = copy.deepcopy(doc)
    for op in ops:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise BadPatch(f"invalid JSON patch operation {op!r}")
        name, parts = op["op"], _pointer(op["path"])
        if name == "add":
            result = _add(result, parts, copy.deepcopy(op.get("value")))
        elif name == "remove":
            _remove(result, parts)
        elif name == "replace":
            _get(result, parts)
            if not parts:
                result = copy.deepcopy(op.get("value"))
            else:
                _remove(result, parts)
                result = _add(result, parts, copy.deepcopy(op.get("value")))
        elif name in ("move", "copy"):
            src = _pointer(op.get("from", ""))
            value = _remove(result, src) if name == "move" else copy.deepcopy(_get(result, src))
            result = _add(result, parts, value)
        elif name == "test":
            if _get(result, parts) != op.get("value"):
                raise PatchTestFailed(f"test operation failed at {op['path']}")
        else:
            raise BadPatch(f"unknown JSON patch operation {name!r}")
    if not isinstance(result, dict):
        raise BadPatch("the patched document is not an object")
    return result
