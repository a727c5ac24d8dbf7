"""A small structural-schema checker for rendered objects against CRD openAPIV3Schema:
required fields, known properties (unless the schema preserves unknown fields or allows
additional properties), enums and JSON types. Enough to catch a misspelt or misplaced
field; not a full OpenAPI validator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
}


def crd_schema(path: Path, version: str) -> dict[str, Any]:
    crd = yaml.safe_load(path.read_text())
    for v in crd["spec"]["versions"]:
        if v["name"] == version:
            return dict(v["schema"]["openAPIV3Schema"])
    raise KeyError(version)


def problems(value: Any, schema: dict[str, Any], where: str = "") -> list[str]:
    out: list[str] = []
    if schema.get("x-kubernetes-int-or-string"):
        if not isinstance(value, int | str):
            out.append(f"{where}: want int or string, got {type(value).__name__}")
        return out
    kind = schema.get("type")
    if kind in _TYPES:
        ok = isinstance(value, _TYPES[kind]) and not (
            kind in ("integer", "number") and isinstance(value, bool)
        )
        if not ok:
            return [f"{where}: want {kind}, got {type(value).__name__}"]
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{where}: {value!r} not in {schema['enum']}")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                out.append(f"{where}.{name}: required")
        for key, item in value.items():
            if where == "" and key == "metadata":
                continue  # ObjectMeta: validated by the API server, not the CRD schema
            if key in props:
                out += problems(item, props[key], f"{where}.{key}")
            elif isinstance(schema.get("additionalProperties"), dict):
                out += problems(item, schema["additionalProperties"], f"{where}.{key}")
            elif not (
                schema.get("x-kubernetes-preserve-unknown-fields")
                or schema.get("additionalProperties")
            ):
                out.append(f"{where}.{key}: unknown field")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            out += problems(item, schema["items"], f"{where}[{i}]")
    return out
