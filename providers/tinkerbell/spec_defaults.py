"""Defaults of ``TinkerbellMachineConfig`` documents, applied before decoding."""

from __future__ import annotations

from typing import Any

from eksa_temporal.spec.defaults import dict_at

Doc = dict[str, Any]


def machine_defaults(doc: Doc) -> None:
    """EKS-A's ``setTinkerbellMachineConfigDefaults``: OS family bottlerocket."""
    spec = dict_at(doc, "spec")
    if spec is not None and not spec.get("osFamily"):
        spec["osFamily"] = "bottlerocket"
