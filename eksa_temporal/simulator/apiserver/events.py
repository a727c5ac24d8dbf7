"""Watch events of the API emulator: a bounded log for resuming watches and fan-out to
subscribers (HTTP watch streams and in-process controllers).

Every committed write appends one ``Event`` (global resourceVersion order). A watch that
starts from a resourceVersion older than the retained window gets ``Gone`` (410
"Expired"), as a real API server does after etcd compaction. Used by ``apiserver.store``
(publishing) and ``apiserver.watch`` (streaming).
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from eksa_temporal.simulator.store_api import Gone

Obj = dict[str, Any]
GK = tuple[str, str]


@dataclass(slots=True)
class Event:
    """One change; ``object`` is shared with the store's memory: never mutate it."""

    cluster: str
    type: str  # ADDED | MODIFIED | DELETED
    object: Obj
    rv: int
    gk: GK
    namespace: str
    raw: str  # the object as JSON
    prev: Obj | None = None  # the object before this change (selector transitions)


@dataclass(slots=True)
class CopiedEvent:
    """What in-process subscribers receive: their own copy of the object."""

    cluster: str
    type: str
    object: Obj
    resource_version: int


@dataclass(eq=False)
class Subscriber:
    cluster: str
    gk: GK
    namespace: str | None
    predicate: Callable[[Obj], bool] | None
    queue: asyncio.Queue[Event] = field(default_factory=asyncio.Queue)


class EventHub:
    """The retained window of events plus the live subscribers."""

    def __init__(self, window: int, start_rv: int) -> None:
        self.log: deque[Event] = deque(maxlen=window)
        self.compacted = start_rv  # events at or below this rv are no longer retained
        self.subs: dict[tuple[str, GK], set[Subscriber]] = {}
        self.inproc: list[asyncio.Queue[CopiedEvent]] = []

    def publish(self, ev: Event) -> None:
        if len(self.log) == self.log.maxlen:
            self.compacted = self.log[0].rv
        self.log.append(ev)
        for sub in self.subs.get((ev.cluster, ev.gk), ()):
            if sub.namespace is not None and sub.namespace != ev.namespace:
                continue
            out = ev
            if sub.predicate is not None:
                seen = sub.predicate(ev.object)
                was = ev.prev is not None and sub.predicate(ev.prev)
                if ev.type == "MODIFIED" and seen != was:
                    # leaving or entering the selected set is DELETED / ADDED for this watcher
                    out = Event(ev.cluster, "ADDED" if seen else "DELETED", ev.object, ev.rv, ev.gk,
                                ev.namespace, ev.raw, ev.prev)
                elif not seen and not (ev.type == "DELETED" and was):
                    continue
            sub.queue.put_nowait(out)
        for q in self.inproc:
            q.put_nowait(CopiedEvent(ev.cluster, ev.type, json.loads(ev.raw), ev.rv))

    def subscribe(self, sub: Subscriber, since: int | None) -> list[Event]:
        """Register ``sub``; return the retained events after ``since`` it must see first."""
        backlog: list[Event] = []
        if since is not None:
            if since < self.compacted:
                raise Gone(f"too old resource version: {since} ({self.compacted + 1})")
            newer: list[Event] = []  # the log is in resourceVersion order: read back to ``since``
            for ev in reversed(self.log):
                if ev.rv <= since:
                    break
                newer.append(ev)
            for ev in reversed(newer):
                if ev.cluster != sub.cluster or ev.gk != sub.gk:
                    continue
                if sub.namespace is not None and sub.namespace != ev.namespace:
                    continue
                if sub.predicate is not None and not sub.predicate(ev.object):
                    continue  # (replays do not synthesise selector transitions)
                backlog.append(ev)
        self.subs.setdefault((sub.cluster, sub.gk), set()).add(sub)
        return backlog

    def unsubscribe(self, sub: Subscriber) -> None:
        subs = self.subs.get((sub.cluster, sub.gk))
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self.subs[(sub.cluster, sub.gk)]

    async def stream(self) -> AsyncIterator[CopiedEvent]:
        q: asyncio.Queue[CopiedEvent] = asyncio.Queue()
        self.inproc.append(q)
        try:
            while True:
                yield await q.get()
        finally:
            self.inproc.remove(q)
