"""Example values of the cloudstack provider's kinds for ``generate clusterconfig``
(placeholders to edit)."""

from __future__ import annotations

from typing import Any

from eksa_temporal.spec.generate import SSH_KEY

CONTROL_PLANE_COUNT = 1
DATACENTER: dict[str, Any] = {
    "availabilityZones": [
        {
            "name": "az-1",
            "credentialsRef": "global",
            "domain": "ROOT",
            "account": "admin",
            "managementApiEndpoint": "https://cloudstack.example.com:8080/client/api",
            "zone": {"name": "zone1", "network": {"name": "net1"}},
        }
    ]
}


def machine(role: str) -> dict[str, Any]:
    """A machine config's spec for ``role`` ("cp" or "worker")."""
    return {
        "computeOffering": {"name": "m4-large"},
        "template": {"name": "rhel8-kube-1.31"},
        "users": [{"name": "capc", "sshAuthorizedKeys": [SSH_KEY]}],
    }
