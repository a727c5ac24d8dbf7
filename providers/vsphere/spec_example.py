"""Example values of the vsphere provider's kinds for ``generate clusterconfig``
(placeholders to edit)."""

from __future__ import annotations

from typing import Any

from eksa_temporal.spec.generate import SSH_KEY

CONTROL_PLANE_COUNT = 3
DATACENTER: dict[str, Any] = {
    "datacenter": "Datacenter",
    "network": "/Datacenter/network/VM Network",
    "server": "vcenter.example.com",
    "thumbprint": "",
    "insecure": False,
}


def machine(role: str) -> dict[str, Any]:
    """A machine config's spec for ``role`` ("cp" or "worker")."""
    return {
        "datastore": "/Datacenter/datastore/datastore1",
        "diskGiB": 25,
        "folder": "/Datacenter/vm/eksa",
        "memoryMiB": 8192,
        "numCPUs": 2,
        "osFamily": "ubuntu",
        "resourcePool": "/Datacenter/host/Cluster/Resources",
        "template": "/Datacenter/vm/Templates/ubuntu-2204-kube-v1-31",
        "users": [{"name": "capv", "sshAuthorizedKeys": [SSH_KEY]}],
    }
