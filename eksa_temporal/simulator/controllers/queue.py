"""A rate-friendly work queue keyed by object, like client-go's workqueue: a key waiting
in the queue is never queued twice, delayed keys (``add_after``) wait in a heap, and a key
being processed that is added again is processed once more afterwards.

The controller manager puts keys in from watch events and reconcile results and takes
them out one at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import time
from collections import deque
from typing import Generic, TypeVar

K = TypeVar("K")


class WorkQueue(Generic[K]):
    def __init__(self) -> None:
        self._ready: deque[K] = deque()
        self._queued: set[K] = set()
        self._delayed: list[tuple[float, int, K]] = []
        self._due: dict[K, float] = {}
        self._counter = itertools.count()
        self._wake = asyncio.Event()

    def __len__(self) -> int:
        return len(self._queued) + len(self._due)

    def add(self, key: K) -> None:
        self._due.pop(key, None)  # an immediate add supersedes a pending delayed one
        if key not in self._queued:
            self._queued.add(key)
            self._ready.append(key)
            self._wake.set()

    def add_after(self, key: K, delay: float) -> None:
        if delay <= 0:
            self.add(key)
            return
        if key in self._queued:
            return
        due = time.monotonic() + delay
        if key in self._due and self._due[key] <= due:
            return
        self._due[key] = due
        heapq.heappush(self._delayed, (due, next(self._counter), key))
        self._wake.set()

    def _promote(self) -> float | None:
        """Move due delayed keys to the ready list; return seconds until the next one."""
        now = time.monotonic()
        while self._delayed:
            due, _, key = self._delayed[0]
            if self._due.get(key) != due:  # superseded entry
                heapq.heappop(self._delayed)
                continue
            if due > now:
                return due - now
            heapq.heappop(self._delayed)
            del self._due[key]
            if key not in self._queued:
                self._queued.add(key)
                self._ready.append(key)
        return None

    async def get(self) -> K:
        """The next ready key (waits for one)."""
        while True:
            wait = self._promote()
            if self._ready:
                key = self._ready.popleft()
                self._queued.discard(key)
                return key
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)
