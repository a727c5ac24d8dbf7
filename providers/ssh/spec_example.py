"""Example values of the SSH hosts provider's kinds for ``generate clusterconfig``: a
four-host inventory to edit (a control-plane host and a worker host, each with a spare
for rolling upgrades)."""

from __future__ import annotations

from typing import Any

CONTROL_PLANE_COUNT = 1
DATACENTER: dict[str, Any] = {
    "privateKeyFile": "~/.ssh/id_ed25519",
    "knownHostsFile": "~/.ssh/known_hosts",
    # one host per machine, plus one spare per node group for rolling upgrades
    "hosts": [
        {"name": "host-1", "address": "10.0.0.11", "labels": {"type": "cp"}},
        {"name": "host-2", "address": "10.0.0.12", "labels": {"type": "cp"}},
        {"name": "host-3", "address": "10.0.0.13", "labels": {"type": "worker"}},
        {"name": "host-4", "address": "10.0.0.14", "labels": {"type": "worker"}},
    ],
}


def machine(role: str) -> dict[str, Any]:
    """A machine config's spec for ``role`` ("cp" or "worker")."""
    return {"hostSelector": {"type": role}, "minCPUs": 2, "minMemoryMiB": 2048}
