"""Defaults of ``CloudStackMachineConfig`` documents, applied before decoding."""

from __future__ import annotations

from typing import Any

from eksa_temporal.spec.defaults import default_user_name, dict_at

Doc = dict[str, Any]


def machine_defaults(doc: Doc) -> None:
    """The first user is named ``capc`` when unnamed."""
    spec = dict_at(doc, "spec")
    if spec is not None:
        default_user_name(spec, "capc")
