"""Spec builders for the vSphere tests: a valid cluster spec for the simulator's inventory,
with per-test overrides of the datacenter and machine configs, loaded with ``load_spec``."""

from __future__ import annotations

import copy
from typing import Any

import yaml

from eksa_temporal.providers.registry import load_spec_plugins
from eksa_temporal.spec.clusterspec import ClusterSpec
from eksa_temporal.spec.load import load_spec
from tests.support.vcsim import SimInfo as SimInfo  # where the specs point

load_spec_plugins()  # the vSphere kinds' defaults and rules, as the CLI and worker register them

API = "anywhere.eks.amazonaws.com/v1alpha1"
TEMPLATE = "/DC0/vm/Templates/ubuntu-1-28"


def machine(name: str, **spec: Any) -> dict[str, Any]:
    body = {
        "datastore": "/DC0/datastore/LocalDS_0",
        "folder": "/DC0/vm/eksa",
        "resourcePool": "/DC0/host/DC0_C0/Resources",
        "template": TEMPLATE,
        "osFamily": "ubuntu",
        "numCPUs": 2,
        "memoryMiB": 4096,
        "diskGiB": 20,
        "users": [{"name": "capv", "sshAuthorizedKeys": ["ssh-ed25519 AAAAC3Nza test@example"]}],
    }
    body.update(spec)
    return {
        "apiVersion": API,
        "kind": "VSphereMachineConfig",
        "metadata": {"name": name},
        "spec": body,
    }


def documents(
    sim: SimInfo,
    name: str = "alpha",
    *,
    endpoint: str = "127.0.0.201",
    dc: dict[str, Any] | None = None,
    cp: dict[str, Any] | None = None,
    md: dict[str, Any] | None = None,
    etcd: dict[str, Any] | None = None,
    workers: int = 2,
) -> list[dict[str, Any]]:
    cluster: dict[str, Any] = {
        "apiVersion": API,
        "kind": "Cluster",
        "metadata": {"name": name},
        "spec": {
            "kubernetesVersion": "1.28",
            "controlPlaneConfiguration": {
                "count": 1,
                "endpoint": {"host": endpoint},
                "machineGroupRef": {"kind": "VSphereMachineConfig", "name": f"{name}-cp"},
            },
            "workerNodeGroupConfigurations": [
                {
                    "name": "md-0",
                    "count": workers,
                    "machineGroupRef": {"kind": "VSphereMachineConfig", "name": f"{name}-md"},
                }
            ],
            "datacenterRef": {"kind": "VSphereDatacenterConfig", "name": name},
            "clusterNetwork": {
                "pods": {"cidrBlocks": ["192.168.0.0/16"]},
                "services": {"cidrBlocks": ["10.96.0.0/12"]},
                "cniConfig": {"cilium": {}},
            },
        },
    }
    dc_spec = {
        "datacenter": "DC0",
        "server": sim.server,
        "network": "/DC0/network/VM Network",
        "thumbprint": sim.thumbprint,
    }
    dc_spec.update(dc or {})
    docs = [
        cluster,
        {
            "apiVersion": API,
            "kind": "VSphereDatacenterConfig",
            "metadata": {"name": name},
            "spec": dc_spec,
        },
        machine(f"{name}-cp", **(cp or {})),
        machine(f"{name}-md", **(md or {})),
    ]
    if etcd is not None:
        cluster["spec"]["externalEtcdConfiguration"] = {
            "count": 3,
            "machineGroupRef": {"kind": "VSphereMachineConfig", "name": f"{name}-etcd"},
        }
        docs.append(machine(f"{name}-etcd", **etcd))
    return copy.deepcopy(docs)


def load(docs: list[dict[str, Any]]) -> ClusterSpec:
    result = load_spec(yaml.safe_dump_all(docs))
    assert result.spec is not None, [f.line() for f in result.findings]
    return result.spec


def spec(sim: SimInfo, name: str = "alpha", **kwargs: Any) -> ClusterSpec:
    return load(documents(sim, name, **kwargs))
