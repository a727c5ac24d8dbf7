"""Shared pieces of the emulator's write path: per-request options, timestamps, Kubernetes
error messages, and the defaulting and validation applied to every written object.
Used by ``apiserver.store``, ``apiserver.deletion`` and ``apiserver.handlers``.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from typing import Any

from eksa_temporal.simulator.apiserver.resources import CRD_TYPE, ResourceType
from eksa_temporal.simulator.apiserver.schema import fill_defaults, invalid_fields, prune
from eksa_temporal.simulator.store_api import Invalid, NotFound, StoreError

Obj = dict[str, Any]
MAX_ANNOTATIONS_BYTES = 262_144  # as kube-apiserver (why kubectl apply of big CRDs needs --server-side)


class Forbidden(StoreError):
    code = 403
    reason = "Forbidden"


class BadRequest(StoreError):
    code = 400
    reason = "BadRequest"


@dataclass(frozen=True)
class WriteOpts:
    """Per-request write options (HTTP query parameters)."""

    manager: str = "sim-controller"
    dry_run: bool = False
    strict: bool = False
    subresource: str | None = None
    # prune unknown fields / fill defaults of custom resources (writes through the HTTP API)
    structural: bool = False


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def conflict_message(rt: ResourceType, name: str) -> str:
    res = f"{rt.plural}.{rt.group}" if rt.group else rt.plural
    return (f'Operation cannot be fulfilled on {res} "{name}": the object has been modified; '
            "please apply your changes to the latest version and try again")


def not_found(rt: ResourceType, name: str) -> NotFound:
    res = f"{rt.plural}.{rt.group}" if rt.group else rt.plural
    err = NotFound(f'{res} "{name}" not found')
    err.details = {"name": name, "group": rt.group, "kind": rt.plural}
    return err


def default_object(rt: ResourceType, obj: Obj) -> None:
    """API-server defaulting of built-in kinds: Secret ``type`` and ``stringData``."""
    if rt.gk == ("", "Secret"):
        if not obj.get("type"):
            obj["type"] = "Opaque"
        string_data = obj.pop("stringData", None)
        if isinstance(string_data, dict):
            data = obj.setdefault("data", {})
            for k, v in string_data.items():
                data[k] = base64.b64encode(str(v).encode()).decode()


def apply_defaults(rt: ResourceType, obj: Obj, opts: WriteOpts) -> None:
    """Fill the defaults a custom resource's CRD schema declares, then refuse what the
    schema does not allow (types, enums, required fields) as kube-apiserver does: 422
    naming each field (HTTP writes; the main endpoint's ``status`` is not checked)."""
    if rt.builtin or not opts.structural:
        return
    schema = rt.schema_for(str(obj.get("apiVersion", "")))
    if not schema:
        return
    fill_defaults(obj, schema)
    problems = invalid_fields(obj, schema, skip=frozenset({"status"}))
    if problems:
        res = f"{rt.kind}.{rt.group}" if rt.group else rt.kind
        name = (obj.get("metadata") or {}).get("name")
        listed = problems[0] if len(problems) == 1 else "[" + ", ".join(problems) + "]"
        raise Invalid(f'{res} "{name}" is invalid: {listed}')


def prune_request(rt: ResourceType, version: str, body: Any, opts: WriteOpts) -> None:
    """Prune a custom-resource request body (object, patch or apply configuration) by the
    CRD schema; unknown fields are an error under ``fieldValidation=Strict``. The part the
    endpoint ignores (``status`` on the main endpoint, the rest on ``/status``) is skipped."""
    if rt.builtin or not isinstance(body, dict):
        return
    schema = rt.schema_for(version)
    if not schema:
        return
    skip: frozenset[str] = frozenset()
    if rt.status:
        skip = frozenset({"status"}) if opts.subresource != "status" else frozenset(set(body) - {"status"})
    unknown = prune(body, schema, skip=skip)
    if unknown and opts.strict:
        raise BadRequest("strict decoding error: " + ", ".join(f'unknown field "{u}"' for u in unknown))


def validate_object(rt: ResourceType, obj: Obj, opts: WriteOpts) -> None:
    """Strict top-level fields, name, CRD naming and the annotations size limit."""
    if opts.strict and rt.top_fields is not None:
        unknown = sorted(set(obj) - rt.top_fields)
        if unknown:
            raise BadRequest("strict decoding error: " + ", ".join(f'unknown field "{u}"' for u in unknown))
    name = obj["metadata"].get("name")
    if not isinstance(name, str) or not name or "/" in name or "%" in name or len(name) > 253:
        raise Invalid(f"{rt.kind} {name!r} is invalid: metadata.name: Invalid value")
    if rt is CRD_TYPE:
        spec = obj.get("spec") or {}
        expected = f"{(spec.get('names') or {}).get('plural')}.{spec.get('group')}"
        if name != expected:
            raise Invalid(f'CustomResourceDefinition "{name}" is invalid: metadata.name: must be spec.names.plural+"."+spec.group')
    annotations = obj["metadata"].get("annotations") or {}
    if sum(len(str(k)) + len(str(v)) for k, v in annotations.items()) > MAX_ANNOTATIONS_BYTES:
        raise Invalid(f'The {rt.kind} "{name}" is invalid: metadata.annotations: Too long: '
                      f"must have at most {MAX_ANNOTATIONS_BYTES} bytes")
