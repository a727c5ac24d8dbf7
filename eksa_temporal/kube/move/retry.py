"""Per-request retries of the move, as clusterctl's ``retryWithExponentialBackoff``:
reads back off 250 ms x 1.5 (9 steps, ~15 s in all), writes 500 ms x 1.5 with 40 %
jitter (10 steps). Only transient failures are retried: HTTP 429 / 500 / 502 / 503 /
504 and connection errors (reset, refused, timeouts).

These are retries of ONE API request inside the engine, distinct from Temporal's
activity retry (which re-runs a whole move from its journal). ``api.py`` wraps every
request with ``call_with_retry``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

TRANSIENT_STATUS = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Backoff:
    initial: float
    factor: float
    steps: int
    jitter: float = 0.0
    cap: float = 30.0

    def delays(self, rng: random.Random | None = None) -> list[float]:
        """The sleeps between attempts (``steps - 1`` of them)."""
        r = rng or random.Random()
        out: list[float] = []
        d = self.initial
        for _ in range(self.steps - 1):
            out.append(min(self.cap, d * (1 + self.jitter * r.random())))
            d *= self.factor
        return out


READ_BACKOFF = Backoff(initial=0.25, factor=1.5, steps=9, jitter=0.1)
WRITE_BACKOFF = Backoff(initial=0.5, factor=1.5, steps=10, jitter=0.4)


class TransientError(Exception):
    """A request failed transiently even after its retries (Temporal may retry later)."""


def call_with_retry(
    fn: Callable[[], T],
    is_transient: Callable[[BaseException], bool],
    backoff: Backoff,
    *,
    on_retry: Callable[[BaseException, float], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call ``fn`` until it succeeds or fails permanently; transient failures are retried
    along ``backoff`` and the last one is re-raised when the steps run out."""
    delays = backoff.delays()
    attempt = 0
    while True:
        try:
            return fn()
        except Exception as exc:
            if not is_transient(exc) or attempt >= len(delays):
                raise
            delay = delays[attempt]
            attempt += 1
            if on_retry is not None:
                on_retry(exc, delay)
            sleep(delay)
