"""Field ownership (``metadata.managedFields``) and server-side apply.

A field set is a set of leaf paths; a path is a tuple of FieldsV1 elements (``f:spec``,
``k:{"name":"x"}``). Lists of objects that share a merge key are associative (keyed by
it); other lists are atomic leaves. ``record_update`` gives the fields a write changed to
its manager (operation ``Update``); ``apply`` merges an apply configuration, reports
conflicts with other managers and removes fields the applier stopped declaring. Used by
``apiserver.store``.
"""

from __future__ import annotations

import json
from typing import Any

from eksa_temporal.simulator.apiserver.patch import MERGE_KEYS
from eksa_temporal.simulator.store_api import Conflict

Obj = dict[str, Any]
Path = tuple[str, ...]
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

_META_SKIP = {"name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
              "managedFields", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink",
              "generateName"}


def _list_key(items: list[Any]) -> str | None:
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    for key in MERGE_KEYS:
        if all(key in i for i in items) and len({json.dumps(i[key]) for i in items}) == len(items):
            return key
    return None


def _walk(value: Any, prefix: Path, out: dict[Path, Any]) -> None:
    if isinstance(value, dict) and value:
        for k, v in value.items():
            _walk(v, (*prefix, "f:" + k), out)
    elif isinstance(value, list) and (key := _list_key(value)) is not None:
        for item in value:
            elem = (*prefix, "k:" + json.dumps({key: item[key]}, separators=(",", ":")))
            out[(*elem, ".")] = item[key]
            for k, v in item.items():
                _walk(v, (*elem, "f:" + k), out)
    else:
        out[prefix] = value


def leaves(obj: Obj, *, status: bool | None = None) -> dict[Path, Any]:
    """Leaf paths and values of an object (identity metadata excluded).

    ``status``: None = all fields, True = only ``status``, False = everything but status.
    """
    out: dict[Path, Any] = {}
    for k, v in obj.items():
        if k in ("apiVersion", "kind"):
            continue
        if (status is True and k != "status") or (status is False and k == "status"):
            continue
        if k == "metadata" and isinstance(v, dict):
            for mk, mv in v.items():
                if mk not in _META_SKIP:
                    _walk(mv, ("f:metadata", "f:" + mk), out)
        else:
            _walk(v, ("f:" + k,), out)
    return out


def to_fields_v1(paths: set[Path]) -> Obj:
    root: Obj = {}
    for path in paths:
        node = root
        for part in path:
            node = node.setdefault(part, {})
    return root


def from_fields_v1(tree: Obj, prefix: Path = ()) -> set[Path]:
    out: set[Path] = set()
    for k, v in tree.items():
        path = (*prefix, k)
        if k == "." or not v:
            out.add(path)
        else:
            out |= from_fields_v1(v, path)
    return out


def render(path: Path) -> str:
    text = ""
    for part in path:
        if part == ".":
            continue
        if part.startswith("f:"):
            text += "." + part[2:]
        else:
            kv = json.loads(part[2:])
            text += "[" + ",".join(f"{k}={json.dumps(v)}" for k, v in kv.items()) + "]"
    return text


def _child(node: Any, part: str, create: bool = False) -> Any:
    if part.startswith("f:"):
        if not isinstance(node, dict):
            return None
        if create and not isinstance(node.get(part[2:]), dict | list):
            node[part[2:]] = {}
        return node.get(part[2:])
    if not isinstance(node, list):
        return None
    kv = json.loads(part[2:])
    for item in node:
        if isinstance(item, dict) and all(item.get(k) == v for k, v in kv.items()):
            return item
    return None


def remove_path(obj: Obj, path: Path) -> None:
    """Delete the field at ``path`` (a keyed element when the path ends with ``.``)."""
    if path and path[-1] == ".":
        path = path[:-1]
    chain: list[Any] = [obj]
    for part in path[:-1]:
        nxt = _child(chain[-1], part)
        if nxt is None:
            return
        chain.append(nxt)
    parent, last = chain[-1], path[-1]
    if last.startswith("f:") and isinstance(parent, dict):
        parent.pop(last[2:], None)
    elif isinstance(parent, list):
        item = _child(parent, last)
        if item is not None:
            parent.remove(item)
    # prune containers that became empty because of the removal
    for i in range(len(chain) - 1, 0, -1):
        if chain[i] in ({}, []):
            remove_path(obj, path[:i])
            break


def deep_apply(current: Any, applied: Any) -> Any:
    """Merge an apply configuration into the live value (maps and keyed lists merge)."""
    if isinstance(applied, dict) and isinstance(current, dict):
        result = dict(current)
        for k, v in applied.items():
            result[k] = deep_apply(current.get(k), v)
        return result
    if isinstance(applied, list) and isinstance(current, list):
        key = _list_key(applied)
        if key is not None and _list_key(current) == key:
            merged = [json.loads(json.dumps(c)) for c in current]
            index = {json.dumps(c[key]): i for i, c in enumerate(merged)}
            for item in applied:
                k = json.dumps(item[key])
                if k in index:
                    merged[index[k]] = deep_apply(merged[index[k]], item)
                else:
                    index[k] = len(merged)
                    merged.append(json.loads(json.dumps(item)))
            return merged
    return json.loads(json.dumps(applied))


def _entries(obj: Obj) -> list[Obj]:
    return list((obj.get("metadata") or {}).get("managedFields") or [])


def _entry(manager: str, operation: str, api_version: str, now: str, paths: set[Path],
           subresource: str | None) -> Obj:
    entry: Obj = {"manager": manager, "operation": operation, "apiVersion": api_version,
                  "time": now, "fieldsType": "FieldsV1", "fieldsV1": to_fields_v1(paths)}
    if subresource:
        entry["subresource"] = subresource
    return entry


def _same_owner(e: Obj, manager: str, operation: str, subresource: str | None) -> bool:
    return bool(e.get("manager") == manager and e.get("operation") == operation
                and e.get("subresource") == subresource)


def _tree(value: Any) -> Obj:
    """The FieldsV1 tree of every leaf under ``value`` (same shape as ``leaves``)."""
    if isinstance(value, dict) and value:
        return {"f:" + k: _tree(v) for k, v in value.items()}
    if isinstance(value, list) and (key := _list_key(value)) is not None:
        out: Obj = {}
        for item in value:
            elem: Obj = {".": {}}
            elem.update({"f:" + k: _tree(v) for k, v in item.items()})
            out["k:" + json.dumps({key: item[key]}, separators=(",", ":"))] = elem
        return out
    return {}


def last_applied_paths(live: Obj) -> set[Path]:
    """Fields of the client-side-apply annotation (kubectl's upgrade to server-side apply)."""
    text = ((live.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
    try:
        return set(leaves(json.loads(text))) if text else set()
    except ValueError:
        return set()


def record_update(old: Obj | None, new: Obj, manager: str, api_version: str, now: str,
                  subresource: str | None = None, entries: list[Obj] | None = None) -> None:
    """Set ``new``'s managedFields: ``manager`` owns what this write changed.

    ``entries``: the ownership to start from when the request set managedFields itself
    (default: the live object's)."""
    if old is None:
        tree: Obj = {"f:" + k: _tree(v) for k, v in new.items() if k not in ("apiVersion", "kind", "metadata")}
        meta = {"f:" + k: _tree(v) for k, v in (new.get("metadata") or {}).items() if k not in _META_SKIP}
        if meta:
            tree["f:metadata"] = meta
        entry: Obj = {"manager": manager, "operation": "Update", "apiVersion": api_version,
                      "time": now, "fieldsType": "FieldsV1", "fieldsV1": tree}
        new.setdefault("metadata", {})["managedFields"] = [entry] if tree else []
        return
    before = leaves(old) if old is not None else {}
    after = leaves(new)
    changed = {p for p, v in after.items() if p not in before or before[p] != v}
    present = set(after)
    if entries is None:
        entries = _entries(old) if old is not None else []
    out: list[Obj] = []
    mine: set[Path] = set(changed)
    for e in entries:
        paths = from_fields_v1(e.get("fieldsV1") or {}) & present
        if _same_owner(e, manager, "Update", subresource):
            mine |= paths
            continue
        paths -= changed
        if paths:
            out.append({**e, "fieldsV1": to_fields_v1(paths)})
    if mine:
        out.append(_entry(manager, "Update", api_version, now, mine, subresource))
    new.setdefault("metadata", {})["managedFields"] = out


def apply(live: Obj | None, config: Obj, manager: str, api_version: str, now: str, *,
          force: bool, subresource: str | None = None, status_separate: bool = False) -> Obj:
    """Server-side apply of ``config`` over ``live``; raises Conflict (409) on conflicts."""
    scope: bool | None = None
    if status_separate:
        scope = subresource == "status"
        config = {k: v for k, v in config.items() if (k == "status") == scope or k in ("apiVersion", "kind", "metadata")}
        if scope:
            config = {k: v for k, v in config.items() if k != "metadata"} | {
                "metadata": {k: v for k, v in (config.get("metadata") or {}).items() if k in ("name", "namespace")}}
    base = json.loads(json.dumps(live)) if live is not None else {}
    wanted = leaves(config, status=scope)
    current = leaves(base) if live is not None else {}
    entries = _entries(base)
    conflicts: list[tuple[str, Path]] = []
    for e in entries:
        if _same_owner(e, manager, "Apply", subresource):
            continue
        owned = from_fields_v1(e.get("fieldsV1") or {})
        for p in owned & set(wanted):
            if p in current and current[p] != wanted[p]:
                conflicts.append((str(e.get("manager")), p))
    if conflicts and not force:
        msg = "; ".join(f'conflict with "{m}": {render(p)}' for m, p in conflicts)
        err = Conflict(f"Apply failed with {len(conflicts)} conflict{'s' if len(conflicts) > 1 else ''}: {msg}")
        err.causes = [{"type": "FieldManagerConflict", "message": f'conflict with "{m}"',
                       "field": render(p)} for m, p in conflicts]
        err.paths = {p for _, p in conflicts}  # type: ignore[attr-defined]
        raise err
    taken = {p for _, p in conflicts}
    previous: set[Path] = set()
    others: set[Path] = set()
    out: list[Obj] = []
    for e in entries:
        owned = from_fields_v1(e.get("fieldsV1") or {})
        if _same_owner(e, manager, "Apply", subresource):
            previous = owned
            continue
        owned -= taken
        others |= owned
        if owned:
            out.append({**e, "fieldsV1": to_fields_v1(owned)})
    meta_cfg = {k: v for k, v in (config.get("metadata") or {}).items() if k not in _META_SKIP}
    body = {k: v for k, v in config.items() if k not in ("apiVersion", "kind", "metadata")}
    result = deep_apply(base, body)
    meta = dict(result.get("metadata") or {})
    result["metadata"] = deep_apply(meta, meta_cfg)
    for p in sorted(previous - set(wanted) - others, key=len, reverse=True):
        remove_path(result, p)
    if wanted:
        out.append(_entry(manager, "Apply", api_version, now, set(wanted), subresource))
    result["metadata"]["managedFields"] = out
    return dict(result)


def same_but_times(new: Obj, old: Obj) -> bool:
    """Equal objects whose managedFields differ at most in their ``time`` stamps."""
    def strip(o: Obj) -> Obj:
        meta = dict(o.get("metadata") or {})
        meta["managedFields"] = [{k: v for k, v in e.items() if k != "time"} for e in meta.get("managedFields") or []]
        return {**o, "metadata": meta}

    return strip(new) == strip(old)
