"""HTTP helpers of the API emulator: Kubernetes ``Status`` error bodies, JSON responses,
request-body parsing (JSON, or YAML for server-side apply). Used by ``apiserver.handlers``
and ``apiserver.watch`` (``Table`` output lives in ``apiserver.tables``).
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from aiohttp import web

from eksa_temporal.simulator.apiserver import protobuf
from eksa_temporal.simulator.store_api import StoreError

Obj = dict[str, Any]
JSON_CT = "application/json"


def status_doc(code: int, reason: str, message: str, details: Obj | None = None,
               causes: list[Obj] | None = None) -> Obj:
    doc: Obj = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": message, "reason": reason, "code": code}
    if details or causes:
        doc["details"] = dict(details or {})
        if causes:
            doc["details"]["causes"] = causes
    return doc


def status_response(code: int, reason: str, message: str, details: Obj | None = None,
                    causes: list[Obj] | None = None, headers: dict[str, str] | None = None) -> web.Response:
    body = json.dumps(status_doc(code, reason, message, details, causes)).encode()
    return web.Response(body=body, status=code, content_type=JSON_CT, headers=headers)


def error_response(exc: StoreError) -> web.Response:
    return status_response(exc.code, exc.reason, str(exc), exc.details, exc.causes)


def raw_response(body: bytes | str, status: int = 200, content_type: str = JSON_CT) -> web.Response:
    data = body.encode() if isinstance(body, str) else body
    return web.Response(body=data, status=status, headers={"Content-Type": content_type})


class BadBody(StoreError):
    code = 400
    reason = "BadRequest"


class Unsupported(StoreError):
    code = 415
    reason = "UnsupportedMediaType"


async def read_body(request: web.Request, *, yaml_ok: bool = False) -> Any:
    data = await request.read()
    if "protobuf" in request.headers.get("Content-Type", ""):
        try:
            obj = protobuf.decode(data)
        except (ValueError, IndexError, UnicodeDecodeError):
            obj = None
        if obj is None:
            raise Unsupported("the emulator decodes protobuf bodies of Namespace, ConfigMap, Secret and "
                              "ServiceAccount only; send JSON (e.g. kubectl create -f / apply -f)")
        return obj
    if not data:
        return None
    try:
        return json.loads(data)
    except ValueError:
        if not yaml_ok:
            raise BadBody("the request body is not valid JSON") from None
    try:
        return yaml.safe_load(data)
    except yaml.YAMLError as exc:
        raise BadBody(f"the request body is not valid YAML: {exc}") from None
