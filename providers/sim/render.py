"""Renders a sim ``ClusterSpec`` into Cluster API objects shaped like EKS-A's Docker
templates (``template-cp.yaml``, ``template-md.yaml``) with Sim kinds, at the v1beta1 API
versions EKS-A uses: Cluster, SimCluster, KubeadmControlPlane + its SimMachineTemplate,
and per worker group a MachineDeployment, KubeadmConfigTemplate and SimMachineTemplate.

Like EKS-A, template names carry a hash of what they render from (machine config, kubelet
settings, taints, labels), so a changed machine config yields a new template name and the
controllers roll the machines; unchanged input renders byte-identical objects. Called by
``providers.sim.provider.SimProvider.render_capi_objects``.
"""

from __future__ import annotations

import copy
from typing import Any

from eksa_temporal.providers.kubeadm import (
    CRI_SOCKET,
    EVICTION_HARD,
    kubelet_files,
    machine_deployment,
    node_labels,
)
from eksa_temporal.providers.kubeadm import taints as kubeadm_taints
from eksa_temporal.providers.proxy import proxy_commands, proxy_files
from eksa_temporal.simulator.api import (
    BOOTSTRAP_V,
    CLUSTER_NAME_LABEL,
    CLUSTER_V,
    CONTROL_PLANE_ROLE,
    CONTROLPLANE_V,
    INFRA_V,
    short_hash,
)

Obj = dict[str, Any]

# EKS-A's ``kubernetesVersion`` (minor) -> the Kubernetes patch release the sim "installs"
KUBERNETES_RELEASES = {
    "1.28": "v1.28.15",
    "1.29": "v1.29.14",
    "1.30": "v1.30.10",
    "1.31": "v1.31.6",
    "1.32": "v1.32.2",
    "1.33": "v1.33.1",
}
IMAGE_REPOSITORY = "public.ecr.aws/eks-distro/kubernetes"
EVICTION = {"eviction-hard": EVICTION_HARD}


def capi_version(eksa_version: str) -> str:
    """``"1.31"`` -> ``"v1.31.6"``; a full version passes through with a ``v`` prefix."""
    v = eksa_version.strip().removeprefix("v")
    return KUBERNETES_RELEASES.get(v) or (f"v{v}" if v.count(".") >= 2 else f"v{v}.0")


def render(spec: Any, namespace: str) -> list[Obj]:
    name: str = spec.name
    version = capi_version(spec.kubernetes_version)
    cp_conf = spec.cluster.spec.control_plane_configuration
    cp_tmpl = machine_template(
        f"{name}-control-plane-template", namespace, spec.control_plane_machine_config
    )
    docs: list[Obj] = [
        cluster(spec, namespace),
        {
            "apiVersion": INFRA_V,
            "kind": "SimCluster",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {},
        },
        cp_tmpl,
        control_plane(spec, namespace, version, cp_conf, cp_tmpl["metadata"]["name"]),
    ]
    for group, machine_config in spec.worker_groups:
        docs += workers(spec, namespace, group, machine_config)
    return docs


def cluster(spec: Any, namespace: str) -> Obj:
    net = spec.cluster.spec.cluster_network
    pods = list((net.pods.cidr_blocks if net.pods else None) or ["192.168.0.0/16"])
    services = list((net.services.cidr_blocks if net.services else None) or ["10.96.0.0/12"])
    return {
        "apiVersion": CLUSTER_V,
        "kind": "Cluster",
        "metadata": {
            "name": spec.name,
            "namespace": namespace,
            "labels": {CLUSTER_NAME_LABEL: spec.name},
        },
        "spec": {
            "clusterNetwork": {
                "pods": {"cidrBlocks": pods},
                "services": {"cidrBlocks": services},
                "serviceDomain": "cluster.local",
            },
            "controlPlaneRef": {
                "apiVersion": CONTROLPLANE_V, "kind": "KubeadmControlPlane", "name": spec.name,
            },
            "infrastructureRef": {"apiVersion": INFRA_V, "kind": "SimCluster", "name": spec.name},
        },
    }


def machine_template(base: str, namespace: str, machine_config: Any) -> Obj:
    """A SimMachineTemplate named ``<base>-<hash of the machine config>``."""
    mspec = machine_config.spec if machine_config is not None else None
    tspec: dict[str, Any] = {
        "cpus": getattr(mspec, "cpus", 2),
        "memoryMiB": getattr(mspec, "memory_mib", 4096),
        "osFamily": str(getattr(mspec, "os_family", "ubuntu")),
    }
    return {
        "apiVersion": INFRA_V,
        "kind": "SimMachineTemplate",
        "metadata": {"name": f"{base}-{short_hash(tspec, 8)}", "namespace": namespace},
        "spec": {"template": {"spec": tspec}},
    }


def _users(machine_config: Any) -> list[Obj]:
    users = getattr(getattr(machine_config, "spec", None), "users", None) or []
    return [
        {
            "name": str(u.name),
            "sshAuthorizedKeys": [str(k) for k in (u.ssh_authorized_keys or [])],
            "sudo": "ALL=(ALL) NOPASSWD:ALL",
        }
        for u in users
    ]


def _node_registration(labels: Any, taints: Any) -> Obj:
    args = {**EVICTION, **node_labels(labels)}
    return {"criSocket": CRI_SOCKET, "kubeletExtraArgs": args, "taints": kubeadm_taints(taints)}


def control_plane(spec: Any, namespace: str, version: str, cp_conf: Any, template_name: str) -> Obj:
    reg = _node_registration(cp_conf.labels, cp_conf.taints)
    if cp_conf.taints is None:
        reg["taints"] = [{"key": CONTROL_PLANE_ROLE, "effect": "NoSchedule"}]
    api_server: Obj = {
        "certSANs": ["localhost", "127.0.0.1", *[str(s) for s in cp_conf.cert_sans or []]],
        "extraArgs": {"profiling": "false", **{k: str(v) for k, v in (cp_conf.api_server_extra_args or {}).items()}},
    }
    kcp_spec: Obj = {
        "replicas": int(cp_conf.count or 1),
        "version": version,
        "machineTemplate": {
            "metadata": {"labels": {CONTROL_PLANE_ROLE: ""}},
            "infrastructureRef": {
                "apiVersion": INFRA_V, "kind": "SimMachineTemplate", "name": template_name,
            },
        },
        "kubeadmConfigSpec": {
            "clusterConfiguration": {
                "imageRepository": IMAGE_REPOSITORY,
                "apiServer": api_server,
                "controllerManager": {"extraArgs": {"profiling": "false"}},
                "scheduler": {"extraArgs": {"profiling": "false"}},
            },
            "initConfiguration": {"nodeRegistration": reg},
            "joinConfiguration": {"nodeRegistration": copy.deepcopy(reg)},
            "files": kubelet_files(cp_conf.kubelet_configuration) + proxy_files(spec.cluster),
            "preKubeadmCommands": proxy_commands(spec.cluster),
            "users": _users(spec.control_plane_machine_config),
        },
    }
    strategy = cp_conf.upgrade_rollout_strategy
    if strategy is not None and strategy.rolling_update is not None:
        kcp_spec["rolloutStrategy"] = {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": int(strategy.rolling_update.max_surge)},
        }
    return {
        "apiVersion": CONTROLPLANE_V,
        "kind": "KubeadmControlPlane",
        "metadata": {"name": spec.name, "namespace": namespace},
        "spec": kcp_spec,
    }


def workers(spec: Any, namespace: str, group: Any, machine_config: Any) -> list[Obj]:
    name = f"{spec.name}-{group.name}"
    version = capi_version(group.kubernetes_version or spec.kubernetes_version)
    sim_tmpl = machine_template(name, namespace, machine_config)
    join: Obj = {
        "joinConfiguration": {
            "nodeRegistration": _node_registration(group.labels, group.taints)
        },
        "files": kubelet_files(group.kubelet_configuration) + proxy_files(spec.cluster),
        "users": _users(machine_config),
    }
    if proxy_commands(spec.cluster):  # only then: unchanged specs keep their template names
        join["preKubeadmCommands"] = proxy_commands(spec.cluster)
    kct: Obj = {
        "apiVersion": BOOTSTRAP_V,
        "kind": "KubeadmConfigTemplate",
        "metadata": {"name": f"{name}-template-{short_hash(join, 8)}", "namespace": namespace},
        "spec": {"template": {"spec": join}},
    }
    md_meta: Obj = {"name": name, "namespace": namespace, "labels": {CLUSTER_NAME_LABEL: spec.name}}
    md = machine_deployment(
        spec,
        group,
        md_meta,
        version,
        kct["metadata"]["name"],
        {"apiVersion": INFRA_V, "kind": "SimMachineTemplate", "name": sim_tmpl["metadata"]["name"]},
    )
    return [kct, sim_tmpl, md]
