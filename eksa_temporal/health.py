"""The worker's health endpoint (``eksa-temporal worker --health-bind HOST:PORT``), for
Kubernetes probes and load balancers:

- ``GET /healthz``: ``200 polling`` while the worker polls its task queue; ``503`` with
  ``starting``, ``draining`` (SIGTERM received: polling stopped, running steps finishing
  within the grace period) or ``stopped`` otherwise - the readiness probe;
- ``GET /livez``: ``200`` with the same state word as long as the process answers,
  draining included (a liveness probe must not kill a worker that is finishing its steps);
  ``503 stopped`` once the worker has stopped polling for good (failed or shut down).

``worker.serve`` owns a ``WorkerHealth`` and moves it through the states; ``HealthServer``
serves it with aiohttp on one loopback or pod address.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from aiohttp import web

from eksa_temporal import logs

HEALTH_BIND_ENV = "EKSA_TEMPORAL_HEALTH_BIND"

log = logs.get_logger("health")


class WorkerState(enum.Enum):
    STARTING = "starting"
    POLLING = "polling"
    DRAINING = "draining"
    STOPPED = "stopped"


@dataclass
class WorkerHealth:
    """The worker's state, as the health endpoint reports it."""

    state: WorkerState = WorkerState.STARTING

    def set(self, state: WorkerState) -> None:
        if state != self.state:
            log.debug("worker state", state=state.value)
        self.state = state


class HealthBindError(ValueError):
    """``--health-bind`` is not ``HOST:PORT``, or the address cannot be bound."""


def split_bind(bind: str) -> tuple[str, int]:
    host, sep, port = bind.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise HealthBindError(f"--health-bind {bind!r} is not HOST:PORT (fix: e.g. 127.0.0.1:9465)")
    return host.strip("[]"), int(port)


class HealthServer:
    """Serves ``/healthz`` and ``/livez`` for ``health`` on ``bind`` (``HOST:PORT``)."""

    def __init__(self, health: WorkerHealth, bind: str) -> None:
        self.health = health
        self.host, self.port = split_bind(bind)
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/livez", self._livez)
        self._runner = web.AppRunner(app, access_log=None)

    async def _healthz(self, request: web.Request) -> web.Response:
        state = self.health.state
        return web.Response(status=200 if state == WorkerState.POLLING else 503, text=state.value + "\n")

    async def _livez(self, request: web.Request) -> web.Response:
        state = self.health.state
        return web.Response(status=503 if state == WorkerState.STOPPED else 200, text=state.value + "\n")

    async def start(self) -> None:
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        try:
            await site.start()
        except OSError as exc:
            await self._runner.cleanup()
            raise HealthBindError(f"--health-bind {self.host}:{self.port}: {exc.strerror or exc} (fix: a free local address)") from exc

    async def stop(self) -> None:
        await self._runner.cleanup()
