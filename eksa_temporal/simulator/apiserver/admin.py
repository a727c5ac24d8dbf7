"""The admin API of the simulated infrastructure (``/sim/...``, admin bearer token).

``GET/POST /sim/clusters`` (a cluster may be created with ``labels``, listed with them),
``DELETE /sim/clusters/NAME``, ``GET /sim/clusters/NAME/kubeconfig``, ``GET /sim/machines``
(the controllers' machine inventory: ``id``, ``provider_id``, ``cluster``, ``machine``,
``name`` - the VM's or container's name -, ``labels``, ``owner``, ``state``, ``exists``, times;
``?label=KEY=VALUE``, repeatable, keeps the machines carrying every such label, as
``docker ps --filter label=...``), ``DELETE /sim/machines/ID`` (mark one machine deleted:
a terminated VM, a ``docker rm -f``) and ``GET/PUT /sim/knobs``.
Also the fault injection of virtual-cluster requests driven by the knobs (seeded RNG).
Used by ``apiserver.app``; the Python client is ``simulator.client.SimClient``.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from eksa_temporal.simulator.apiserver import httputil as h
from eksa_temporal.simulator.apiserver.store import Store
from eksa_temporal.simulator.knobs import Knobs, apply_changes
from eksa_temporal.simulator.kubeconfig import cluster_url
from eksa_temporal.simulator.store_api import NotFound

Obj = dict[str, Any]
_NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


class KnobState:
    """The live knobs, persisted in ``DIR/knobs.json``, and the seeded fault RNG."""

    def __init__(self, state_dir: Path, initial: Knobs | None) -> None:
        self.path = state_dir / "knobs.json"
        if initial is None and self.path.exists():
            initial = Knobs.model_validate_json(self.path.read_text())
        self.knobs = initial or Knobs()
        self.rng = random.Random(self.knobs.seed)
        self._save()

    def _save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(self.knobs.model_dump_json(indent=2))
        tmp.replace(self.path)

    def get(self) -> Knobs:
        return self.knobs

    def update(self, changes: Obj) -> Knobs:
        """Apply ``changes``; ``ValueError`` (one line naming the knob) when invalid."""
        self.knobs = apply_changes(self.knobs, changes)
        self.rng = random.Random(self.knobs.seed)
        self._save()
        return self.knobs

    def fault(self) -> str | None:
        """None, or one of ``500``, ``429``, ``reset`` for the next virtual-cluster request."""
        rate = self.knobs.api_error_rate
        if rate <= 0 or self.rng.random() >= rate:
            return None
        return self.rng.choice(("500", "429", "reset"))


def fault_middleware(knobs: KnobState) -> Any:
    @web.middleware
    async def middleware(request: web.Request, handler: Callable[[web.Request], Any]) -> web.StreamResponse:
        if request.path.startswith("/clusters/") and request.query.get("watch") not in ("1", "true"):
            k = knobs.knobs
            if k.api_latency_seconds > 0:
                await asyncio.sleep(k.api_latency_seconds)
            fault = knobs.fault()
            if fault == "500":
                return h.status_response(500, "InternalError", "simulated API server error")
            if fault == "429":
                return h.status_response(429, "TooManyRequests", "simulated throttling: retry later",
                                         {"retryAfterSeconds": 1}, headers={"Retry-After": "1"})
            if fault == "reset" and request.transport is not None:
                request.transport.abort()
                raise asyncio.CancelledError
        result: web.StreamResponse = await handler(request)
        return result

    return middleware


class AdminAPI:
    def __init__(self, store: Store, knobs: KnobState, token: str, machines: Callable[[str | None], list[Obj]],
                 delete_machine: Callable[[str], bool | None] | None = None) -> None:
        self.store = store
        self.knobs = knobs
        self.token = token
        self.machines = machines
        # machine id -> True (deleted), False (already gone), None (no such machine)
        self.delete_machine_by_id = delete_machine

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/sim/clusters", self.list_clusters),
            web.post("/sim/clusters", self.create_cluster),
            web.delete("/sim/clusters/{name}", self.delete_cluster),
            web.get("/sim/clusters/{name}/kubeconfig", self.kubeconfig),
            web.get("/sim/machines", self.list_machines),
            web.delete("/sim/machines/{id}", self.delete_machine),
            web.get("/sim/knobs", self.get_knobs),
            web.put("/sim/knobs", self.put_knobs),
        ]

    def _denied(self, request: web.Request) -> web.Response | None:
        if not hmac.compare_digest(request.headers.get("Authorization", "").encode(), f"Bearer {self.token}".encode()):
            return h.status_response(401, "Unauthorized", "Unauthorized: the admin token is required")
        return None

    def _info(self, name: str) -> Obj:
        assert self.store.base_url is not None
        return {"name": name, "url": cluster_url(self.store.base_url, name),
                "labels": self.store.cluster_labels(name)}

    async def list_clusters(self, request: web.Request) -> web.Response:
        if denied := self._denied(request):
            return denied
        return web.json_response({"clusters": [self._info(n) for n in self.store.clusters()]})

    async def create_cluster(self, request: web.Request) -> web.Response:
        if denied := self._denied(request):
            return denied
        try:
            body = await request.json()
        except ValueError:
            body = None
        name = body.get("name") if isinstance(body, dict) else None
        if not isinstance(name, str) or not _NAME_RE.match(name):
            return h.status_response(422, "Invalid", "name must be a DNS label (lowercase letters, digits, '-')")
        labels = (body.get("labels") if isinstance(body, dict) else None) or {}
        if not isinstance(labels, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in labels.items()
        ):
            return h.status_response(422, "Invalid", "labels must be an object of strings")
        existed = name in self.store.vcs
        kubeconfig = self.store.create_virtual_cluster(name, labels)
        return web.json_response({**self._info(name), "kubeconfig": kubeconfig, "created": not existed},
                                 status=200 if existed else 201)

    async def delete_cluster(self, request: web.Request) -> web.Response:
        if denied := self._denied(request):
            return denied
        name = request.match_info["name"]
        try:
            self.store.delete_virtual_cluster(name)
        except NotFound as exc:
            return h.error_response(exc)
        return web.json_response({"name": name, "deleted": True})

    async def kubeconfig(self, request: web.Request) -> web.Response:
        if denied := self._denied(request):
            return denied
        try:
            text = self.store.kubeconfig(request.match_info["name"])
        except NotFound as exc:
            return h.error_response(exc)
        return web.Response(text=text, content_type="application/yaml")

    async def list_machines(self, request: web.Request) -> web.Response:
        if denied := self._denied(request):
            return denied
        wanted = [f.partition("=") for f in request.query.getall("label", [])]
        machines = [
            m for m in self.machines(request.query.get("cluster"))
            if all((m.get("labels") or {}).get(k) == v for k, _, v in wanted)
        ]
        return web.json_response({"machines": machines}, dumps=lambda o: json.dumps(o, default=str))

    async def delete_machine(self, request: web.Request) -> web.Response:
        """Mark machine ``id`` deleted in the inventory (what a cloud's "terminate" is)."""
        if denied := self._denied(request):
            return denied
        machine_id = request.match_info["id"]
        deleted = self.delete_machine_by_id(machine_id) if self.delete_machine_by_id else None
        if deleted is None:
            return h.status_response(404, "NotFound", f'machine "{machine_id}" not found')
        return web.json_response({"id": machine_id, "deleted": deleted})

    async def get_knobs(self, request: web.Request) -> web.Response:
        if denied := self._denied(request):
            return denied
        return web.json_response(self.knobs.get().model_dump())

    async def put_knobs(self, request: web.Request) -> web.Response:
        if denied := self._denied(request):
            return denied
        try:
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError("the body must be a JSON object")
            knobs = self.knobs.update(body)
        except (ValueError, ValidationError) as exc:
            return h.status_response(422, "Invalid", str(exc).splitlines()[0].strip())
        return web.json_response(knobs.model_dump())
