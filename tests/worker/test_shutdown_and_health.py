"""The worker's health endpoint and shutdown without a Temporal server: ``/healthz`` is 200
only while polling, ``/livez`` until the worker has stopped; a bad ``--health-bind`` is one
line naming the fix; the grace period comes from the environment, and a step that ignores
its cancel holds the shutdown no longer than the grace period plus the margin."""

from __future__ import annotations

import asyncio
import socket
import time
from datetime import timedelta

import aiohttp
import pytest

from eksa_temporal import worker as worker_module
from eksa_temporal.devserver import free_port
from eksa_temporal.health import (
    HealthBindError,
    HealthServer,
    WorkerHealth,
    WorkerState,
    split_bind,
)
from eksa_temporal.worker import GRACEFUL_SHUTDOWN, SHUTDOWN_GRACE_ENV, graceful_shutdown

pytestmark = pytest.mark.anyio


async def test_healthz_is_200_only_while_polling_and_livez_until_stopped() -> None:
    health = WorkerHealth()
    port = free_port()
    server = HealthServer(health, f"127.0.0.1:{port}")
    await server.start()
    seen = {}
    try:
        async with aiohttp.ClientSession() as http:
            for state in WorkerState:
                health.set(state)
                codes = []
                for path in ("/healthz", "/livez"):
                    async with http.get(f"http://127.0.0.1:{port}{path}") as resp:
                        assert (await resp.text()).strip() == state.value
                        codes.append(resp.status)
                seen[state] = tuple(codes)
    finally:
        await server.stop()
    assert seen == {
        WorkerState.STARTING: (503, 200),
        WorkerState.POLLING: (200, 200),
        WorkerState.DRAINING: (503, 200),
        WorkerState.STOPPED: (503, 503),
    }


async def test_a_health_bind_that_cannot_be_used_is_one_line_naming_the_fix() -> None:
    for bad in ("9465", "localhost:", ":9465", "127.0.0.1:http"):
        with pytest.raises(HealthBindError, match="is not HOST:PORT"):
            split_bind(bad)
    assert split_bind("[::1]:9465") == ("::1", 9465)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(HealthBindError, match="fix: a free local address"):
            await HealthServer(WorkerHealth(), f"127.0.0.1:{port}").start()


def test_the_grace_period_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SHUTDOWN_GRACE_ENV, raising=False)
    assert graceful_shutdown() == GRACEFUL_SHUTDOWN
    monkeypatch.setenv(SHUTDOWN_GRACE_ENV, "2.5")
    assert graceful_shutdown() == timedelta(seconds=2.5)
    monkeypatch.setenv(SHUTDOWN_GRACE_ENV, "soon")
    assert graceful_shutdown() == GRACEFUL_SHUTDOWN


class StuckWorker:
    """A worker whose shutdown never ends (a step ignoring its cancel)."""

    shutdowns = 0

    async def shutdown(self) -> None:
        self.shutdowns += 1
        await asyncio.Event().wait()


async def test_a_step_ignoring_its_cancel_does_not_hold_the_worker_past_grace_plus_margin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SHUTDOWN_GRACE_ENV, "0.3")
    monkeypatch.setattr(worker_module, "SHUTDOWN_MARGIN", timedelta(seconds=0.2))
    stuck = StuckWorker()
    t0 = time.monotonic()
    await asyncio.wait_for(worker_module._drain(stuck), timeout=5)  # type: ignore[arg-type]
    took = time.monotonic() - t0
    assert stuck.shutdowns == 1
    assert 0.45 <= took < 1.5, took
