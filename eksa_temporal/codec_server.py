"""The codec server: Temporal's remote codec protocol over HTTP, so the Web UI and the
``temporal`` CLI (``--codec-endpoint``) show decrypted payloads to authorised users only.
``eksa-temporal codec-server`` runs it; the keys are the ones the workers use
(``eksa_temporal.codec``).

- ``POST /encode`` and ``POST /decode``: body and answer ``{"payloads": [...]}``, each
  payload in protobuf JSON (``metadata`` values and ``data`` base64); the ``X-Namespace``
  header names the namespace (logged, never the payloads).
- CORS for the given UI origins only: preflight ``OPTIONS`` answered without a token,
  ``Access-Control-Allow-Credentials`` so the UI may send its ``Authorization`` header.
- With a token, every ``/encode`` and ``/decode`` must carry ``Authorization: Bearer
  <token>``; anything else is 401 and decrypts nothing.
- ``GET /healthz``: ``ok`` (no token), for probes.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiohttp import web
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

from eksa_temporal import logs
from eksa_temporal.codec import AesGcmCodec, CodecError, Keyring

MAX_BODY = 32 * 1024 * 1024  # a batch of history payloads (each at most a few MB)
ALLOW_HEADERS = "Authorization, Content-Type, X-Namespace"
log = logs.get_logger("codec-server")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def create_app(keyring: Keyring, *, cors_origins: Sequence[str] = (), token: str | None = None) -> web.Application:
    """The codec server's aiohttp application for ``keyring``."""
    codec = AesGcmCodec(keyring)
    origins = {o.rstrip("/") for o in cors_origins}

    def cors_headers(request: web.Request) -> dict[str, str]:
        origin = request.headers.get("Origin", "").rstrip("/")
        if origin not in origins:
            return {}
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Credentials": "true",
            "Access-Control-Allow-Methods": "POST, OPTIONS",
            "Access-Control-Allow-Headers": ALLOW_HEADERS,
            "Access-Control-Max-Age": "600",
            "Vary": "Origin",
        }

    def authorised(request: web.Request) -> bool:
        if token is None:
            return True
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())

    @web.middleware
    async def cors(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method == "OPTIONS":
            response: web.StreamResponse = web.Response(status=204)
        else:
            try:
                response = await handler(request)
            except web.HTTPException as exc:
                response = _error(exc.status, exc.reason)
        response.headers.update(cors_headers(request))
        return response

    async def transform(request: web.Request, decode: bool) -> web.Response:
        route = "decode" if decode else "encode"
        namespace = request.headers.get("X-Namespace", "")
        if not authorised(request):
            log.warning("codec request refused", route=route, namespace=namespace, remote=request.remote)
            return _error(401, "a bearer token is required (Authorization: Bearer <token>)")
        try:
            body: Any = await request.json()
            payloads = Payloads()
            json_format.ParseDict(body, payloads)
        except (ValueError, json_format.ParseError, TypeError) as exc:
            return _error(400, f'the body is not {{"payloads": [...]}} in protobuf JSON: {exc}')
        try:
            result = await (codec.decode(payloads.payloads) if decode else codec.encode(payloads.payloads))
        except CodecError as exc:
            log.warning("codec request failed", route=route, namespace=namespace, error=str(exc))
            return _error(400, str(exc))
        log.info("codec request", route=route, namespace=namespace, payloads=len(result))
        out = json_format.MessageToDict(Payloads(payloads=result))
        return web.Response(text=json.dumps({"payloads": out.get("payloads", [])}), content_type="application/json")

    async def decode(request: web.Request) -> web.Response:
        return await transform(request, decode=True)

    async def encode(request: web.Request) -> web.Response:
        return await transform(request, decode=False)

    async def healthz(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application(middlewares=[cors], client_max_size=MAX_BODY)
    app.router.add_post("/decode", decode)
    app.router.add_post("/encode", encode)
    app.router.add_get("/healthz", healthz)
    for path in ("/decode", "/encode"):
        app.router.add_route("OPTIONS", path, healthz)  # answered by the middleware
    return app


def parse_bind(bind: str) -> tuple[str, int]:
    """``host:port`` (``[::1]:8081`` for IPv6) as a pair; ValueError with the fix."""
    host, sep, port = bind.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"--bind {bind} is not host:port (e.g. 127.0.0.1:8081)")
    return host.strip("[]"), int(port)
