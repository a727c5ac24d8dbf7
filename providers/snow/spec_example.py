"""Example values of the snow provider's kinds for ``generate clusterconfig``
(placeholders to edit)."""

from __future__ import annotations

from typing import Any

CONTROL_PLANE_COUNT = 1
DATACENTER: dict[str, Any] = {"identityRef": {"kind": "Secret", "name": "snow-credentials"}}


def machine(role: str) -> dict[str, Any]:
    """A machine config's spec for ``role`` ("cp" or "worker")."""
    return {
        "amiID": "",
        "instanceType": "sbe-c.large",
        "sshKeyName": "",
        "osFamily": "ubuntu",
        "devices": ["192.168.1.10"],
        "containersVolume": {"size": 25},
        "network": {"directNetworkInterfaces": [{"index": 1, "primary": True, "dhcp": True}]},
    }
