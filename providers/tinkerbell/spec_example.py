"""Example values of the tinkerbell provider's kinds for ``generate clusterconfig``
(placeholders to edit)."""

from __future__ import annotations

from typing import Any

from eksa_temporal.spec.generate import SSH_KEY

CONTROL_PLANE_COUNT = 1
DATACENTER: dict[str, Any] = {"tinkerbellIP": "192.168.0.5"}


def machine(role: str) -> dict[str, Any]:
    """A machine config's spec for ``role`` ("cp" or "worker")."""
    return {
        "hardwareSelector": {"type": role},
        "osFamily": "ubuntu",
        "users": [{"name": "ec2-user", "sshAuthorizedKeys": [SSH_KEY]}],
    }
