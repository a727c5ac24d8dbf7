"""``generate_cluster_config``: a valid starting spec for a provider, like
``eksctl anywhere generate clusterconfig``.

Kubernetes 1.31, one control-plane node (three on vSphere), one worker group ``md-0`` with
one node, Cilium, pods 192.168.0.0/16, services 10.96.0.0/12, and the provider's datacenter
and machine configs with placeholder values to edit. Called by the CLI's
``generate clusterconfig`` and by tests that need a spec.
"""

from __future__ import annotations

from typing import Any

import yaml

from eksa_temporal.spec.base import API_VERSION
from eksa_temporal.spec.kinds import DATACENTER_KIND, MACHINE_KIND, PROVIDERS
from eksa_temporal.spec.validate_cluster import CLUSTER_NAME, MAX_CLUSTER_NAME

DEFAULT_KUBERNETES_VERSION = "1.31"
_SSH_KEY = "ssh-ed25519 AAAA...replace-me"
_USERS = [{"name": "ec2-user", "sshAuthorizedKeys": [_SSH_KEY]}]


def _machine_spec(provider: str, role: str) -> dict[str, Any]:
    if provider == "vsphere":
        return {
            "datastore": "/Datacenter/datastore/datastore1",
            "diskGiB": 25,
            "folder": "/Datacenter/vm/eksa",
            "memoryMiB": 8192,
            "numCPUs": 2,
            "osFamily": "ubuntu",
            "resourcePool": "/Datacenter/host/Cluster/Resources",
            "template": "/Datacenter/vm/Templates/ubuntu-2204-kube-v1-31",
            "users": [{"name": "capv", "sshAuthorizedKeys": [_SSH_KEY]}],
        }
    if provider == "tinkerbell":
        return {"hardwareSelector": {"type": role}, "osFamily": "ubuntu", "users": _USERS}
    if provider == "cloudstack":
        return {
            "computeOffering": {"name": "m4-large"},
            "template": {"name": "rhel8-kube-1.31"},
            "users": [{"name": "capc", "sshAuthorizedKeys": [_SSH_KEY]}],
        }
    if provider == "nutanix":
        return {
            "vcpusPerSocket": 1,
            "vcpuSockets": 4,
            "memorySize": "8Gi",
            "systemDiskSize": "40Gi",
            "osFamily": "ubuntu",
            "image": {"type": "name", "name": "ubuntu-2204-kube-v1-31"},
            "cluster": {"type": "name", "name": "prism-element"},
            "subnet": {"type": "name", "name": "prism-subnet"},
            "users": _USERS,
        }
    if provider == "snow":
        return {
            "amiID": "",
            "instanceType": "sbe-c.large",
            "sshKeyName": "default",
            "osFamily": "ubuntu",
            "devices": ["192.168.1.10"],
            "containersVolume": {"size": 25},
            "network": {"directNetworkInterfaces": [{"index": 1, "primary": True, "dhcp": True}]},
        }
    return {"cpus": 2, "memoryMiB": 4096, "osFamily": "ubuntu"}  # sim


def _datacenter_spec(provider: str) -> dict[str, Any]:
    specs: dict[str, dict[str, Any]] = {
        "docker": {},
        "vsphere": {
            "datacenter": "Datacenter",
            "network": "/Datacenter/network/VM Network",
            "server": "vcenter.example.com",
            "thumbprint": "",
            "insecure": False,
        },
        "tinkerbell": {"tinkerbellIP": "192.168.0.5"},
        "cloudstack": {
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
        },
        "nutanix": {
            "endpoint": "prism.example.com",
            "port": 9440,
            "credentialRef": {"kind": "Secret", "name": "nutanix-credentials"},
        },
        "snow": {"identityRef": {"kind": "Secret", "name": "snow-credentials"}},
        "sim": {},
    }
    return specs[provider]


def _doc(kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": kind, "metadata": {"name": name}, "spec": spec}


def generate_cluster_config(name: str, provider: str) -> str:
    """A valid multi-document spec named ``name`` for ``provider``.

    Raises ``ValueError`` for an invalid name or an unknown provider (the CLI turns it into a usage error)."""
    if not CLUSTER_NAME.match(name):
        raise ValueError(
            f"cluster name {name!r} is invalid: use letters, digits and '-', starting with a letter"
        )
    if len(name) > MAX_CLUSTER_NAME:
        raise ValueError(
            f"cluster name {name!r} is too long: use at most {MAX_CLUSTER_NAME} characters"
        )
    if provider not in PROVIDERS:
        raise ValueError(f"unknown provider {provider!r}; choose one of {', '.join(PROVIDERS)}")
    dc_kind = DATACENTER_KIND[provider]  # type: ignore[index]
    machine_kind = MACHINE_KIND[provider]  # type: ignore[index]
    control_plane: dict[str, Any] = {"count": 3 if provider == "vsphere" else 1}
    worker: dict[str, Any] = {"name": "md-0", "count": 1}
    if provider not in ("docker", "sim"):
        control_plane["endpoint"] = {"host": "10.0.0.10"}
    machines: list[dict[str, Any]] = []
    if machine_kind is not None:
        cp_name, worker_name = f"{name}-cp", f"{name}-md-0"
        control_plane["machineGroupRef"] = {"kind": machine_kind, "name": cp_name}
        worker["machineGroupRef"] = {"kind": machine_kind, "name": worker_name}
        machines = [
            _doc(machine_kind, cp_name, _machine_spec(provider, "cp")),
            _doc(machine_kind, worker_name, _machine_spec(provider, "worker")),
        ]
    cluster = _doc(
        "Cluster",
        name,
        {
            "kubernetesVersion": DEFAULT_KUBERNETES_VERSION,
            "clusterNetwork": {
                "cniConfig": {"cilium": {}},
                "pods": {"cidrBlocks": ["192.168.0.0/16"]},
                "services": {"cidrBlocks": ["10.96.0.0/12"]},
            },
            "controlPlaneConfiguration": control_plane,
            "datacenterRef": {"kind": dc_kind, "name": name},
            "managementCluster": {"name": name},
            "workerNodeGroupConfigurations": [worker],
        },
    )
    docs = [cluster, _doc(dc_kind, name, _datacenter_spec(provider)), *machines]
    return "---\n".join(yaml.safe_dump(d, sort_keys=False) for d in docs)
