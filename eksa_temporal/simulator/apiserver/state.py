"""In-memory state of the API emulator: virtual clusters, their resource types and the
object index that serves every read.

``Entry`` keeps an object and its JSON text (lists are assembled from the cached text).
``VirtualCluster`` holds one cluster's objects by group-kind, the CRD-registered types,
a uid index and an owner index (for garbage collection). Used by ``apiserver.store``.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eksa_temporal.simulator.apiserver.resources import BUILTIN, BUILTIN_BY_GK, ResourceType

Obj = dict[str, Any]
GK = tuple[str, str]
Key = tuple[str, str]  # (namespace or "", name)


class Entry:
    __slots__ = ("obj", "raw")

    def __init__(self, obj: Obj, raw: str) -> None:
        self.obj = obj
        self.raw = raw

    def copy(self) -> Obj:
        result: Obj = json.loads(self.raw)
        return result


def clone(obj: Obj) -> Obj:
    """A deep copy of a JSON-like object (faster than ``copy.deepcopy``)."""
    result: Obj = json.loads(json.dumps(obj))
    return result


def dumps(obj: Obj) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


@dataclass
class VirtualCluster:
    name: str
    token: str
    objects: dict[GK, dict[Key, Entry]] = field(default_factory=dict)
    crds: dict[GK, ResourceType] = field(default_factory=dict)
    crd_of: dict[str, GK] = field(default_factory=dict)  # CRD name -> gk it registered
    uids: dict[str, tuple[GK, Key]] = field(default_factory=dict)
    dependents: dict[str, set[tuple[GK, Key]]] = field(default_factory=dict)
    sorted_keys: dict[GK, list[Key]] = field(default_factory=dict)
    # set once at creation (e.g. the owner identity of the operation that made it)
    labels: dict[str, str] = field(default_factory=dict)
    epoch: int = 0  # bumped when the set of resource types changes
    _by_path: dict[tuple[str, str, str], ResourceType] | None = None

    def types(self) -> list[ResourceType]:
        return [*BUILTIN, *self.crds.values()]

    def type_for(self, group: str, kind: str) -> ResourceType | None:
        return BUILTIN_BY_GK.get((group, kind)) or self.crds.get((group, kind))

    def type_at(self, group: str, version: str, plural: str) -> ResourceType | None:
        if self._by_path is None:
            self._by_path = {}
            for t in self.types():
                for v in t.versions:
                    self._by_path[(t.group, v, t.plural)] = t
        return self._by_path.get((group, version, plural))

    def register(self, crd_name: str, rtype: ResourceType) -> None:
        old = self.crd_of.get(crd_name)
        if old is not None and old != rtype.gk:
            self.crds.pop(old, None)
        if rtype.gk in BUILTIN_BY_GK or not rtype.kind or not rtype.plural:
            return
        self.crds[rtype.gk] = rtype
        self.crd_of[crd_name] = rtype.gk
        self._by_path = None
        self.epoch += 1

    def unregister(self, crd_name: str) -> GK | None:
        gk = self.crd_of.pop(crd_name, None)
        if gk is not None:
            self.crds.pop(gk, None)
            self._by_path = None
            self.epoch += 1
        return gk

    def bucket(self, gk: GK) -> dict[Key, Entry]:
        b = self.objects.get(gk)
        if b is None:
            b = self.objects[gk] = {}
        return b

    def keys_sorted(self, gk: GK) -> list[Key]:
        keys = self.sorted_keys.get(gk)
        if keys is None:
            keys = self.sorted_keys[gk] = sorted(self.objects.get(gk, {}))
        return keys

    def index(self, gk: GK, key: Key, old: Obj | None, new: Obj | None) -> None:
        """Keep the uid and owner indexes current for one object's change."""
        if old is not None:
            meta = old.get("metadata") or {}
            self.uids.pop(str(meta.get("uid")), None)
            for ref in meta.get("ownerReferences") or []:
                deps = self.dependents.get(str(ref.get("uid")))
                if deps is not None:
                    deps.discard((gk, key))
                    if not deps:
                        del self.dependents[str(ref.get("uid"))]
        if new is not None:
            meta = new.get("metadata") or {}
            self.uids[str(meta.get("uid"))] = (gk, key)
            for ref in meta.get("ownerReferences") or []:
                self.dependents.setdefault(str(ref.get("uid")), set()).add((gk, key))
        if (old is None) != (new is None):
            keys = self.sorted_keys.get(gk)
            if keys is not None:  # keep the cached order current (no re-sort per list)
                i = bisect.bisect_left(keys, key)
                if new is not None:
                    keys.insert(i, key)
                elif i < len(keys) and keys[i] == key:
                    del keys[i]

    def select(self, rt: ResourceType, ns: str | None, lp: Callable[[Obj], bool] | None,
               fp: Callable[[Obj], bool] | None, limit: int = 0, start: Key | None = None,
               ) -> tuple[list[Entry], Key | None, int]:
        """Entries in key order from after ``start``; returns (entries, last key if more, remaining)."""
        bucket = self.objects.get(rt.gk) or {}
        keys = self.keys_sorted(rt.gk)
        lo, hi = 0, len(keys)
        if ns and rt.namespaced:  # keys sort by (namespace, name): one contiguous range
            lo, hi = bisect.bisect_left(keys, (ns, "")), bisect.bisect_left(keys, (ns + "\x00", ""))
        if start is not None:
            lo = max(lo, bisect.bisect_right(keys, start))
        keys = keys[lo:hi]
        out: list[Entry] = []
        for i, key in enumerate(keys):
            e = bucket[key]
            if (lp is None or lp(e.obj)) and (fp is None or fp(e.obj)):
                out.append(e)
                if limit and len(out) >= limit:
                    rest = len(keys) - i - 1
                    return out, (key if rest else None), rest
        return out, None, 0
