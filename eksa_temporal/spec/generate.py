"""``generate_cluster_config``: a valid starting spec for a provider, like
``eksctl anywhere generate clusterconfig``.

Kubernetes 1.31, one control-plane node (three on vSphere), one worker group ``md-0`` with
one node, Cilium, pods 192.168.0.0/16, services 10.96.0.0/12, and the provider's datacenter
and machine configs with placeholder values to edit (a provider's example values come
from its folder, registered through ``eksa_temporal.spec.plugins``; sim is built in).
Called by the CLI's ``generate clusterconfig`` and by tests that need a spec.
"""

from __future__ import annotations

from typing import Any

import yaml

from eksa_temporal.spec.base import API_VERSION
from eksa_temporal.spec.kinds import DATACENTER_KIND, MACHINE_KIND
from eksa_temporal.spec.plugins import plugin, plugins
from eksa_temporal.spec.validate_cluster import CLUSTER_NAME, MAX_CLUSTER_NAME

DEFAULT_KUBERNETES_VERSION = "1.31"
SSH_KEY = "ssh-ed25519 AAAA...replace-me"


def _machine_spec(provider: str, role: str) -> dict[str, Any]:
    contributed = plugin(provider)
    if contributed is not None and contributed.example_machine is not None:
        return contributed.example_machine(role)
    return {"cpus": 2, "memoryMiB": 4096, "osFamily": "ubuntu"}  # sim


def _datacenter_spec(provider: str) -> dict[str, Any]:
    contributed = plugin(provider)
    if contributed is not None and contributed.example_datacenter is not None:
        return contributed.example_datacenter
    return {}  # sim


def _doc(kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": kind, "metadata": {"name": name}, "spec": spec}


def generate_cluster_config(name: str, provider: str) -> str:
    """A valid multi-document spec named ``name`` for ``provider``.

    Raises ``ValueError`` for an invalid name or an unknown provider (the CLI turns it into a usage error)."""
    if not CLUSTER_NAME.match(name):
        raise ValueError(
            f"cluster name {name!r} is invalid: use 2 or more letters, digits and '-', starting with a letter"
        )
    if len(name) > MAX_CLUSTER_NAME:
        raise ValueError(
            f"cluster name {name!r} is too long: use at most {MAX_CLUSTER_NAME} characters"
        )
    contributed = plugin(provider)
    built_in = provider == "sim"
    if not built_in and (contributed is None or contributed.example_datacenter is None):
        known = sorted({"sim"} | {p.provider for p in plugins() if p.example_datacenter is not None})
        raise ValueError(f"unknown provider {provider!r}; choose one of {', '.join(known)}")
    dc_kind = DATACENTER_KIND[provider]  # type: ignore[index]
    machine_kind = MACHINE_KIND.get(provider)  # type: ignore[call-overload]
    count = contributed.example_control_plane_count if contributed and not built_in else 1
    control_plane: dict[str, Any] = {"count": count}
    worker: dict[str, Any] = {"name": "md-0", "count": 1}
    if not built_in and (contributed is None or contributed.endpoint_required):
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
