"""The ``eksa-temporal sim serve`` process: the Kubernetes API emulator (every virtual
cluster), the admin API, and the simulated controllers, on one asyncio loop.

State lives in ``DIR`` (``store.db`` with every cluster's token and Secret, ``machines.db``,
``knobs.json``, ``admin-token``, ``port``, ``server.json``, ``tls/`` generated once and
``components/``, the stand-in components as a clusterctl local repository), all
owner-only: the process runs with umask 077, the folder is 0700 and files left by an older
version are set to 0600 on start. It serves HTTPS on ``--listen`` (kubectl sends tokens only
over TLS); with ``http=True`` (``sim serve --http``) also the same API over plain HTTP on a
second free port, for benchmarks only. ``DIR/server.json`` (``{"url", "http_url", "pid",
"ca_file"}``, ``http_url`` null without ``--http``) is written once listening and removed on
a clean exit. Called by ``eksa_temporal.cli.sim_cmds``.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import logging
import os
import secrets
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from eksa_temporal.files import PRIVATE_UMASK, SQLITE_SIDECARS, private_dir, tighten, write_private
from eksa_temporal.simulator.apiserver import tls
from eksa_temporal.simulator.apiserver.admin import AdminAPI, KnobState, fault_middleware
from eksa_temporal.simulator.apiserver.discovery import K8S_VERSION, Discovery
from eksa_temporal.simulator.apiserver.handlers import ClusterAPI
from eksa_temporal.simulator.apiserver.store import Store
from eksa_temporal.simulator.apiserver.watch import STOPPING_KEY
from eksa_temporal.simulator.components import REPOSITORY_DIR, write_repository
from eksa_temporal.simulator.knobs import Knobs

log = logging.getLogger(__name__)
SERVER_FILE = "server.json"
TOKEN_FILE = "admin-token"
PORT_FILE = "port"
# what the state dir holds (set to 0600 / 0700 on start, in case an older version made them)
STATE_FILES = ("store.db", "machines.db", "knobs.json", TOKEN_FILE, PORT_FILE, SERVER_FILE, "tls", "kubeconfigs", REPOSITORY_DIR)


def secure_state_dir(state_dir: Path) -> None:
    """Make the state dir 0700 and what it holds owner-only (files 0600, folders 0700)."""
    private_dir(state_dir)
    for name in STATE_FILES:
        path = state_dir / name
        tighten(path)
        if name.endswith(".db"):
            for suffix in SQLITE_SIDECARS:
                tighten(state_dir / (name + suffix))
        elif path.is_dir() and not path.is_symlink():
            for child in path.iterdir():
                if not child.is_symlink():
                    tighten(child)


def admin_token(state_dir: Path) -> str:
    """The admin token of ``state_dir`` (created once, mode 0600)."""
    path = state_dir / TOKEN_FILE
    if path.exists():
        return path.read_text().strip()
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(token + "\n")
    return token


def parse_listen(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    return host or "127.0.0.1", int(port or 0)


def _machine_lister(state_dir: Path) -> Callable[[str | None], list[dict[str, Any]]]:
    try:
        inventory_mod = importlib.import_module("eksa_temporal.simulator.controllers.inventory")
    except ImportError:
        inventory_mod = None
    holder: list[Any] = []

    def machines(cluster: str | None = None) -> list[dict[str, Any]]:
        if inventory_mod is None:
            return []
        if not holder:
            holder.append(inventory_mod.Inventory(state_dir))
        return list(holder[0].list(cluster))

    return machines


def _machine_deleter(state_dir: Path) -> Callable[[str], bool | None] | None:
    """Mark one inventory machine deleted: True, False when already gone, None when unknown."""
    try:
        inventory_mod = importlib.import_module("eksa_temporal.simulator.controllers.inventory")
    except ImportError:
        return None
    holder: list[Any] = []

    def delete(machine_id: str) -> bool | None:
        if not holder:
            holder.append(inventory_mod.Inventory(state_dir))
        if holder[0].by_id(machine_id) is None:
            return None
        return bool(holder[0].mark_deleted(machine_id))

    return delete


async def _run_controllers(store: Store, state_dir: Path, knobs: Callable[[], Knobs], stop: asyncio.Event) -> None:
    """Start the simulated controllers when ``simulator.controllers`` provides them."""
    try:
        mod = importlib.import_module("eksa_temporal.simulator.controllers")
        run = getattr(mod, "run_controllers", None)
        if run is not None:
            await run(store, state_dir, knobs, stop)
            return
        manager_mod = importlib.import_module("eksa_temporal.simulator.controllers.manager")
    except ImportError as exc:
        log.warning("simulated controllers unavailable: %s", exc)
        return
    await manager_mod.Manager(store, state_dir, knobs).run(stop)


async def _start_tls_site(runner: web.AppRunner, state_dir: Path, host: str, port: int) -> web.TCPSite:
    """Listen on ``port``; with 0, first try the port of the previous run (kubeconfigs stay valid)."""
    ctx = tls.server_context(state_dir)
    candidates = [port]
    if port == 0 and (state_dir / PORT_FILE).exists():
        with contextlib.suppress(ValueError):
            candidates.insert(0, int((state_dir / PORT_FILE).read_text().strip()))
    for i, candidate in enumerate(candidates):
        site = web.TCPSite(runner, host, candidate, backlog=1024, shutdown_timeout=1.0, ssl_context=ctx)
        try:
            await site.start()
            return site
        except OSError:
            if i == len(candidates) - 1:
                raise
    raise AssertionError("unreachable")


def _bound_port(site: web.TCPSite, default: int) -> int:
    sockets = getattr(site._server, "sockets", None) or []
    return int(sockets[0].getsockname()[1]) if sockets else default


def _write_server_file(state_dir: Path, url: str, http_url: str | None) -> None:
    write_private(state_dir / SERVER_FILE, json.dumps({"url": url, "http_url": http_url, "pid": os.getpid(),
                                                       "ca_file": str(state_dir / "tls" / tls.CA_FILE)}))


def _remove_server_file(state_dir: Path) -> None:
    path = state_dir / SERVER_FILE
    with contextlib.suppress(OSError, ValueError):
        if json.loads(path.read_text()).get("pid") == os.getpid():
            path.unlink()


async def _health(_: web.Request) -> web.Response:
    return web.Response(text="ok")


async def _version(_: web.Request) -> web.Response:
    return web.json_response(K8S_VERSION)


def build_app(store: Store, state_dir: Path, knob_state: KnobState, token: str,
              address: Callable[[], str], *, bookmark_seconds: float = 1.0) -> web.Application:
    api = ClusterAPI(store, Discovery(), address, bookmark_seconds)
    admin = AdminAPI(store, knob_state, token, _machine_lister(state_dir), _machine_deleter(state_dir))
    app = web.Application(middlewares=[fault_middleware(knob_state)], client_max_size=256 * 1024 * 1024)
    app[STOPPING_KEY] = asyncio.Event()
    app.add_routes(admin.routes())
    app.router.add_route("*", "/clusters/{cluster}/{tail:.*}", api.handle)
    for path in ("/healthz", "/readyz", "/livez"):
        app.router.add_get(path, _health)
    app.router.add_get("/version", _version)  # ``kubectl get --raw /version`` drops the path prefix
    return app


async def serve(state_dir: Path, listen: str = "127.0.0.1:0", knobs: Knobs | None = None, *,
                stop: asyncio.Event | None = None, controllers: bool = True,
                bookmark_seconds: float = 1.0, watch_window: int = 20_000, http: bool = False,
                on_ready: Callable[[str], None] | None = None) -> None:
    """Run until SIGTERM/SIGINT (or ``stop``); the state dir is created if needed (0700, and
    this process's umask becomes 077: call it in the ``sim serve`` process only). ``http``
    adds the plain-HTTP listener. ``on_ready(url)`` is called once listening (after
    ``server.json`` is written)."""
    os.umask(PRIVATE_UMASK)
    secure_state_dir(state_dir)
    stop = stop or asyncio.Event()
    store = Store(state_dir, window=watch_window)
    knob_state = KnobState(state_dir, knobs)
    token = admin_token(state_dir)
    host, port = parse_listen(listen)
    address = [f"{host}:{port}"]
    app = build_app(store, state_dir, knob_state, token, lambda: address[0],
                    bookmark_seconds=bookmark_seconds)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = await _start_tls_site(runner, state_dir, host, port)
    port = _bound_port(site, port)
    write_private(state_dir / PORT_FILE, str(port))
    http_url: str | None = None
    if http:
        plain = web.TCPSite(runner, host, 0, backlog=1024, shutdown_timeout=1.0)
        await plain.start()
        http_url = f"http://{host}:{_bound_port(plain, 0)}"
    address[0] = f"{host}:{port}"
    url = f"https://{host}:{port}"
    store.base_url = url
    store.ca_pem = tls.ca_pem(state_dir)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    ctl: asyncio.Task[None] | None = None
    if controllers:
        ctl = asyncio.create_task(_run_controllers(store, state_dir, knob_state.get, stop))
        ctl.add_done_callback(_report_controller_exit)
    write_repository(state_dir / REPOSITORY_DIR)
    _write_server_file(state_dir, url, http_url)
    log.info("sim API server listening on %s (state %s)", url, state_dir)
    if on_ready is not None:
        on_ready(url)
    try:
        await stop.wait()
    finally:
        app[STOPPING_KEY].set()
        if ctl is not None:
            ctl.cancel()
            await asyncio.gather(ctl, return_exceptions=True)
        await runner.cleanup()
        _remove_server_file(state_dir)
        store.close()


def _report_controller_exit(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("simulated controllers stopped", exc_info=task.exception())
