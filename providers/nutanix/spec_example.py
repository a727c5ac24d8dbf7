"""Example values of the nutanix provider's kinds for ``generate clusterconfig``
(placeholders to edit)."""

from __future__ import annotations

from typing import Any

from eksa_temporal.spec.generate import SSH_KEY

CONTROL_PLANE_COUNT = 1
DATACENTER: dict[str, Any] = {
    "endpoint": "prism.example.com",
    "port": 9440,
    "credentialRef": {"kind": "Secret", "name": "nutanix-credentials"},
}


def machine(role: str) -> dict[str, Any]:
    """A machine config's spec for ``role`` ("cp" or "worker")."""
    return {
        "vcpusPerSocket": 1,
        "vcpuSockets": 4,
        "memorySize": "8Gi",
        "systemDiskSize": "40Gi",
        "osFamily": "ubuntu",
        "image": {"type": "name", "name": "ubuntu-2204-kube-v1-31"},
        "cluster": {"type": "name", "name": "prism-element"},
        "subnet": {"type": "name", "name": "prism-subnet"},
        "users": [{"name": "ec2-user", "sshAuthorizedKeys": [SSH_KEY]}],
    }
