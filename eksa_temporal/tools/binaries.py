"""Which executable each tool is: the release bundle's ``tools`` (``eksa_temporal.bundle``)."""

from __future__ import annotations

from typing import Literal

from eksa_temporal.bundle import load_bundle


def binary(tool: Literal["kind", "docker"]) -> str:
    """The executable of ``tool`` the bundle names (a name looked up on PATH, or a path)."""
    tools = load_bundle().tools
    return tools.kind.binary if tool == "kind" else tools.docker.binary
