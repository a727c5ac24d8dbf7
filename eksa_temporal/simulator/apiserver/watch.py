"""Watch streams (``?watch=1``) of the API emulator.

A watch without a resourceVersion (or ``0``) first sends the current objects as
``ADDED``; with one it replays the retained events after it, or sends one ``ERROR`` event
(Status 410 "Expired") when that version is older than the window. Then events follow
live until ``timeoutSeconds``; ``allowWatchBookmarks`` adds periodic ``BOOKMARK`` events
(and the ``k8s.io/initial-events-end`` one for ``sendInitialEvents``). ``kubectl get -w``
asks for Tables (``Accept: ...;as=Table``): each event then carries a one-row ``Table``
(``apiserver.tables``), as kube-apiserver sends. Used by ``apiserver.handlers``.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from eksa_temporal.simulator.apiserver import httputil as h
from eksa_temporal.simulator.apiserver import tables
from eksa_temporal.simulator.apiserver.events import Event, Subscriber
from eksa_temporal.simulator.apiserver.resources import ResourceType
from eksa_temporal.simulator.apiserver.selectors import field_predicate, label_predicate
from eksa_temporal.simulator.apiserver.state import VirtualCluster, dumps
from eksa_temporal.simulator.store_api import Gone

if TYPE_CHECKING:
    from eksa_temporal.simulator.apiserver.store import Store

Obj = dict[str, Any]
MAX_TIMEOUT = 3600.0
STOPPING_KEY = web.AppKey("sim_stopping", asyncio.Event)


def _line(etype: str, raw: str) -> bytes:
    return ('{"type":"' + etype + '","object":' + raw + "}\n").encode()


async def serve_watch(request: web.Request, store: Store, vc: VirtualCluster, rt: ResourceType,
                      ns: str | None, version: str, bookmark_seconds: float) -> web.StreamResponse:
    q = request.query
    label, field = q.get("labelSelector"), q.get("fieldSelector")
    lp, fp = label_predicate(label), field_predicate(field)
    pred = None
    if lp is not None or fp is not None:
        pred = (lambda o: (lp is None or lp(o)) and (fp is None or fp(o)))  # noqa: E731
    timeout = min(float(q.get("timeoutSeconds") or 1800), MAX_TIMEOUT)
    bookmarks = q.get("allowWatchBookmarks") in ("true", "1")
    send_initial = q.get("sendInitialEvents") == "true"
    rv_param = q.get("resourceVersion") or ""
    av = rt.api_version(version)
    as_table = tables.negotiate(request)
    sub = Subscriber(vc.name, rt.gk, ns if rt.namespaced and ns else None, pred)
    first: list[bytes] = []
    try:
        if rv_param in ("", "0") or send_initial:
            entries, _, _ = store.select(vc, rt, ns, label, field)
            store.hub.subscribe(sub, None)
            first = [_encode("ADDED", e.obj, e.raw, av, rt, as_table) for e in entries]
            if send_initial and bookmarks:
                meta = {"resourceVersion": str(store.rv), "annotations": {"k8s.io/initial-events-end": "true"}}
                first.append(_line("BOOKMARK", dumps({"kind": rt.kind, "apiVersion": av, "metadata": meta})))
        else:
            try:
                since = int(rv_param)
            except ValueError:
                return h.status_response(400, "BadRequest", f"invalid resourceVersion {rv_param!r}")
            backlog = store.hub.subscribe(sub, since)
            first = [_encode(ev.type, ev.object, ev.raw, av, rt, as_table) for ev in backlog]
    except Gone as exc:
        resp = web.StreamResponse(headers={"Content-Type": h.JSON_CT})
        await resp.prepare(request)
        await resp.write(_line("ERROR", json.dumps(h.status_doc(410, "Expired", str(exc)))))
        await resp.write_eof()
        return resp
    stopping = request.app.get(STOPPING_KEY)
    resp = web.StreamResponse(headers={"Content-Type": h.JSON_CT})
    try:
        await resp.prepare(request)
        if first:
            await resp.write(b"".join(first))
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or (stopping is not None and stopping.is_set()):
                break
            wait = min(remaining, bookmark_seconds) if bookmarks else min(remaining, 1.0)
            try:
                async with asyncio.timeout(wait):
                    ev: Event = await sub.queue.get()
            except TimeoutError:
                if bookmarks and time.monotonic() < deadline:
                    meta = {"resourceVersion": str(store.rv)}
                    await resp.write(_line("BOOKMARK", dumps({"kind": rt.kind, "apiVersion": av, "metadata": meta})))
                continue
            chunk = [_encode(ev.type, ev.object, ev.raw, av, rt, as_table)]
            while not sub.queue.empty():
                nxt = sub.queue.get_nowait()
                chunk.append(_encode(nxt.type, nxt.object, nxt.raw, av, rt, as_table))
            await resp.write(b"".join(chunk))
        await resp.write_eof()
    except ConnectionResetError:
        pass
    finally:
        store.hub.unsubscribe(sub)
    return resp


def _encode(etype: str, obj: Obj, raw: str, av: str, rt: ResourceType,
            as_table: tables.TableRequest | None) -> bytes:
    if as_table is not None:
        meta = {"resourceVersion": obj["metadata"].get("resourceVersion")}
        version = av.rpartition("/")[2]
        return _line(etype, dumps(tables.render(rt, version, [obj], meta, as_table)))
    if obj.get("apiVersion") != av:
        raw = dumps({**obj, "apiVersion": av})
    return _line(etype, raw)
