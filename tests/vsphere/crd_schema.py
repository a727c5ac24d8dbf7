"""Rendered objects against a CRD's openAPIV3Schema, with the simulator's kube-apiserver
checks (``eksa_temporal.simulator.apiserver.schema``): what the API server would refuse
(types, enums, required fields) and what it would silently prune (unknown fields - a
misspelt or misplaced field)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from eksa_temporal.simulator.apiserver.schema import invalid_fields, prune


def crd_schema(path: Path, version: str) -> dict[str, Any]:
    crd = yaml.safe_load(path.read_text())
    for v in crd["spec"]["versions"]:
        if v["name"] == version:
            return dict(v["schema"]["openAPIV3Schema"])
    raise KeyError(version)


def problems(value: Any, schema: dict[str, Any]) -> list[str]:
    """What the API server would refuse in object ``value`` (the simulator's kube-apiserver
    validation: types, enums, required fields) and the fields it would prune as unknown
    (``.path: unknown field``)."""
    unknown = prune(copy.deepcopy(value), schema)
    return [f".{path}: unknown field" for path in unknown] + invalid_fields(value, schema)
