"""Decoding of the Kubernetes protobuf request bodies kubectl sends for a few built-in
kinds (``kubectl create namespace|configmap|secret|serviceaccount`` use typed clients that
post ``application/vnd.kubernetes.protobuf``). Responses stay JSON, which kubectl accepts.

Only the fields those commands set are decoded (ObjectMeta basics, data maps, type);
any other kind raises ``Unsupported`` (415). Used by ``apiserver.httputil.read_body``.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any

Obj = dict[str, Any]
MAGIC = b"k8s\x00"


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _fields(data: bytes) -> Iterator[tuple[int, int | bytes]]:
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        num, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
            yield num, value
        elif wire == 2:
            size, pos = _varint(data, pos)
            yield num, data[pos:pos + size]
            pos += size
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")


def _str(v: int | bytes) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


def _entry(v: int | bytes) -> tuple[str, bytes]:
    key, value = "", b""
    for num, f in _fields(v if isinstance(v, bytes) else b""):
        if num == 1:
            key = _str(f)
        elif num == 2 and isinstance(f, bytes):
            value = f
    return key, value


def _meta(data: bytes) -> Obj:
    meta: Obj = {}
    names = {1: "name", 2: "generateName", 3: "namespace"}
    for num, v in _fields(data):
        if num in names:
            meta[names[num]] = _str(v)
        elif num in (11, 12):
            k, val = _entry(v)
            meta.setdefault("labels" if num == 11 else "annotations", {})[k] = val.decode()
        elif num == 14:
            meta.setdefault("finalizers", []).append(_str(v))
    return meta


def _configmap(num: int, v: int | bytes, obj: Obj) -> None:
    if num in (2, 3):
        k, val = _entry(v)
        if num == 2:
            obj.setdefault("data", {})[k] = val.decode()
        else:
            obj.setdefault("binaryData", {})[k] = base64.b64encode(val).decode()
    elif num == 4:
        obj["immutable"] = bool(v)


def _secret(num: int, v: int | bytes, obj: Obj) -> None:
    if num in (2, 4):
        k, val = _entry(v)
        if num == 2:
            obj.setdefault("data", {})[k] = base64.b64encode(val).decode()
        else:
            obj.setdefault("stringData", {})[k] = val.decode()
    elif num == 3:
        obj["type"] = _str(v)
    elif num == 5:
        obj["immutable"] = bool(v)


def _namespace(num: int, v: int | bytes, obj: Obj) -> None:
    if num == 2 and isinstance(v, bytes):
        obj["spec"] = {"finalizers": [_str(f) for n, f in _fields(v) if n == 1]}


def _serviceaccount(num: int, v: int | bytes, obj: Obj) -> None:
    if num == 4:
        obj["automountServiceAccountToken"] = bool(v)
    elif num == 3 and isinstance(v, bytes):
        obj.setdefault("imagePullSecrets", []).append({"name": _str(dict(_fields(v)).get(1, b""))})


_KINDS: dict[tuple[str, str], Callable[[int, int | bytes, Obj], None]] = {
    ("v1", "ConfigMap"): _configmap,
    ("v1", "Secret"): _secret,
    ("v1", "Namespace"): _namespace,
    ("v1", "ServiceAccount"): _serviceaccount,
}


def decode(body: bytes) -> Obj | None:
    """The object in a protobuf body, or None when its kind is not supported."""
    if not body.startswith(MAGIC):
        return None
    api_version = kind = ""
    raw = b""
    for num, v in _fields(body[len(MAGIC):]):
        if num == 1 and isinstance(v, bytes):
            tm = {n: _str(f) for n, f in _fields(v)}
            api_version, kind = tm.get(1, ""), tm.get(2, "")
        elif num == 2 and isinstance(v, bytes):
            raw = v
    handler = _KINDS.get((api_version, kind))
    if handler is None:
        return None
    obj: Obj = {"apiVersion": api_version, "kind": kind, "metadata": {}}
    for num, v in _fields(raw):
        if num == 1 and isinstance(v, bytes):
            obj["metadata"] = _meta(v)
        else:
            handler(num, v, obj)
    return obj
