"""A rate-friendly work queue keyed by object, like client-go's workqueue: a key waiting
in the queue is never queued twice, delayed keys (``add_after``) wait in a heap, and a key
is handed to one worker at a time - added again while a worker holds it, it waits until
that worker calls ``done`` and is then processed once more.

The controller manager keeps one queue per kind, puts keys in from watch events and
reconcile results, and runs a pool of workers on each (``get`` ... ``done``).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections import deque
from typing import Generic, TypeVar

K = TypeVar("K")


class WorkQueue(Generic[K]):
    def __init__(self) -> None:
        self._ready: deque[K] = deque()
        self._queued: set[K] = set()  # waiting to be handed out (in _ready, or held back)
        self._processing: set[K] = set()  # handed to a worker, not yet done
        self._delayed: list[tuple[float, int, K]] = []
        self._due: dict[K, float] = {}
        self._counter = itertools.count()
        self._wake = asyncio.Event()

    def __len__(self) -> int:
        return len(self._queued) + len(self._due)

    @property
    def processing(self) -> int:
        """How many keys workers hold now."""
        return len(self._processing)

    def add(self, key: K) -> None:
        self._due.pop(key, None)  # an immediate add supersedes a pending delayed one
        if key in self._queued:
            return
        self._queued.add(key)
        if key not in self._processing:  # else ``done`` puts it on the ready list
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

    def done(self, key: K) -> None:
        """A worker finished ``key``; when it was added meanwhile it is ready again."""
        self._processing.discard(key)
        if key in self._queued:
            self._ready.append(key)
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
                if key not in self._processing:
                    self._ready.append(key)
        return None

    async def get(self) -> K:
        """The next ready key (waits for one); the caller owns it until ``done(key)``."""
        while True:
            wait = self._promote()
            if self._ready:
                key = self._ready.popleft()
                self._queued.discard(key)
                self._processing.add(key)
                if self._ready:  # more work: let another waiting worker take it
                    self._wake.set()
                return key
            self._wake.clear()
            # a timer, not asyncio.wait_for: on Python 3.11 wait_for can swallow a cancellation
            # that meets a wake-up, and a worker of the pool would then never stop
            timer = None if wait is None else asyncio.get_running_loop().call_later(wait, self._wake.set)
            try:
                await self._wake.wait()
            finally:
                if timer is not None:
                    timer.cancel()
