"""Example values of the docker provider's kinds for ``generate clusterconfig``: the
``DockerDatacenterConfig`` spec is empty and docker clusters reference no machine configs."""

from __future__ import annotations

from typing import Any

CONTROL_PLANE_COUNT = 1
DATACENTER: dict[str, Any] = {}


def machine(role: str) -> None:
    """Docker clusters have no machine configs (the node image comes from the bundle)."""
    return None
