"""Renders an SSH-hosts ``ClusterSpec`` into its Cluster API objects, all at v1beta1:
Cluster, ``SSHCluster`` (the control-plane endpoint the spec sets), KubeadmControlPlane
with its ``SSHMachineTemplate``, and per worker group a KubeadmConfigTemplate, an
``SSHMachineTemplate`` and a MachineDeployment.

An ``SSHMachineTemplate`` carries the machine config's ``hostSelector`` as
``spec.template.spec.hostSelector.matchLabels``: each ``SSHMachine`` made from it claims a
free inventory host whose labels include them. The kubeadm configuration is the shared
one (registry mirror, proxy, kubelet configuration from ``providers.kubeadm`` and
``providers.proxy``); before ``kubeadm init|join`` the host's container runtime is
enabled (``systemctl enable --now containerd``), the one thing a host that already runs an
OS may lack. Template names carry a hash of what they render from, so a changed node group
rolls its machines; unchanged input renders identical objects.
"""

from __future__ import annotations

import copy
from typing import Any

from eksa_temporal.providers.kubeadm import (
    BOOTSTRAP_V,
    CLUSTER_V,
    CONTROLPLANE_V,
    INFRA_V,
    kubeadm_control_plane,
    kubelet_files,
    kubelet_patches,
    machine_deployment,
    mirror_commands,
    mirror_files,
    node_labels,
    object_meta,
    ref,
    registration,
    taints,
    template_hash,
)
from eksa_temporal.providers.proxy import proxy_commands, proxy_files

Obj = dict[str, Any]

API_SERVER_PORT = 6443
CONTAINER_RUNTIME_COMMAND = "systemctl enable --now containerd"
# Kubernetes patch releases of the EKS-A minors (what kubeadm installs on the hosts)
KUBERNETES_RELEASES = {
    "1.28": "v1.28.15",
    "1.29": "v1.29.14",
    "1.30": "v1.30.13",
    "1.31": "v1.31.9",
    "1.32": "v1.32.5",
    "1.33": "v1.33.1",
}


def kubernetes_version(eksa_version: str) -> str:
    """``"1.31"`` -> ``"v1.31.9"``; a full version passes through with a ``v`` prefix."""
    v = str(eksa_version).strip().removeprefix("v")
    return KUBERNETES_RELEASES.get(v) or (f"v{v}" if v.count(".") >= 2 else f"v{v}.0")


def endpoint(spec: Any) -> Obj:
    """The control-plane endpoint ``{host, port}`` the spec sets (port 6443 by default)."""
    ep = spec.cluster.spec.control_plane_configuration.endpoint
    host = str(getattr(ep, "host", "") or "") if ep is not None else ""
    port = API_SERVER_PORT
    if ":" in host:
        host, _, text = host.rpartition(":")
        port = int(text) if text.isdigit() else API_SERVER_PORT
    return {"host": host, "port": port}


def render(spec: Any, namespace: str) -> list[Obj]:
    """Every CAPI object of the cluster, owners first."""
    name: str = spec.name
    version = kubernetes_version(spec.kubernetes_version)
    cp_template = machine_template(f"{name}-control-plane", namespace, spec.control_plane_machine_config)
    docs: list[Obj] = [
        cluster(spec, namespace),
        {
            "apiVersion": INFRA_V,
            "kind": "SSHCluster",
            "metadata": object_meta(name, namespace, name),
            "spec": {"controlPlaneEndpoint": endpoint(spec)},
        },
        cp_template,
        control_plane(spec, namespace, version, cp_template["metadata"]["name"]),
    ]
    for group, machine_config in spec.worker_groups:
        docs += workers(spec, namespace, group, machine_config)
    return docs


def cluster(spec: Any, namespace: str) -> Obj:
    net = spec.cluster.spec.cluster_network
    pods = list((net.pods.cidr_blocks if net and net.pods else None) or ["192.168.0.0/16"])
    services = list((net.services.cidr_blocks if net and net.services else None) or ["10.96.0.0/12"])
    return {
        "apiVersion": CLUSTER_V,
        "kind": "Cluster",
        "metadata": object_meta(spec.name, namespace, spec.name),
        "spec": {
            "clusterNetwork": {
                "pods": {"cidrBlocks": [str(p) for p in pods]},
                "services": {"cidrBlocks": [str(s) for s in services]},
                "serviceDomain": "cluster.local",
            },
            "controlPlaneRef": ref(CONTROLPLANE_V, "KubeadmControlPlane", spec.name),
            "infrastructureRef": ref(INFRA_V, "SSHCluster", spec.name),
        },
    }


def host_selector(machine_config: Any) -> dict[str, str]:
    """The labels a host must carry to be taken for machines of ``machine_config``."""
    mspec = getattr(machine_config, "spec", None)
    return {str(k): str(v) for k, v in (getattr(mspec, "host_selector", None) or {}).items()}


def machine_template(base: str, namespace: str, machine_config: Any) -> Obj:
    """An SSHMachineTemplate named ``<base>-<hash of its spec>``: the host selector."""
    tspec: Obj = {"hostSelector": {"matchLabels": host_selector(machine_config)}}
    return {
        "apiVersion": INFRA_V,
        "kind": "SSHMachineTemplate",
        "metadata": object_meta(f"{base}-{template_hash(tspec)}", namespace),
        "spec": {"template": {"spec": tspec}},
    }


def _registration(labels: Any, taint_list: list[Obj] | None) -> Obj:
    return registration(dict(node_labels(labels)), taint_list)


def _commands(spec: Any) -> list[str]:
    return [CONTAINER_RUNTIME_COMMAND, *mirror_commands(spec.cluster), *proxy_commands(spec.cluster)]


def control_plane(spec: Any, namespace: str, version: str, template_name: str) -> Obj:
    conf = spec.cluster.spec.control_plane_configuration
    cp_taints = [] if not spec.cluster.workers else (taints(conf.taints) if conf.taints is not None else None)
    reg = _registration(conf.labels, cp_taints)
    host = endpoint(spec)["host"]
    api_args = {k: str(v) for k, v in (conf.api_server_extra_args or {}).items()}
    cluster_configuration: Obj = {
        "apiServer": {"certSANs": [s for s in [host, *[str(s) for s in conf.cert_sans or []]] if s]},
        "controlPlaneEndpoint": f"{host}:{endpoint(spec)['port']}" if host else "",
    }
    if api_args:
        cluster_configuration["apiServer"]["extraArgs"] = api_args
    files = kubelet_files(conf.kubelet_configuration) + mirror_files(spec.cluster) + proxy_files(spec.cluster)
    kubeadm: Obj = {
        "clusterConfiguration": cluster_configuration,
        "initConfiguration": {"nodeRegistration": reg, **kubelet_patches(conf.kubelet_configuration)},
        "joinConfiguration": {"nodeRegistration": copy.deepcopy(reg), **kubelet_patches(conf.kubelet_configuration)},
        "preKubeadmCommands": _commands(spec),
    }
    if files:
        kubeadm["files"] = files
    return kubeadm_control_plane(spec, object_meta(spec.name, namespace, spec.name), version, ref(INFRA_V, "SSHMachineTemplate", template_name), kubeadm)


def workers(spec: Any, namespace: str, group: Any, machine_config: Any) -> list[Obj]:
    """KubeadmConfigTemplate, SSHMachineTemplate and MachineDeployment of one group."""
    name = f"{spec.name}-{group.name}"
    template = machine_template(name, namespace, machine_config)
    join: Obj = {
        "joinConfiguration": {
            "nodeRegistration": _registration(group.labels, taints(group.taints)),
            **kubelet_patches(group.kubelet_configuration),
        },
        "preKubeadmCommands": _commands(spec),
    }
    files = kubelet_files(group.kubelet_configuration) + mirror_files(spec.cluster) + proxy_files(spec.cluster)
    if files:
        join["files"] = files
    kct_name = f"{name}-template-{template_hash(join)}"
    md = machine_deployment(
        spec,
        group,
        object_meta(name, namespace, spec.name),
        kubernetes_version(str(group.kubernetes_version or spec.kubernetes_version)),
        kct_name,
        ref(INFRA_V, "SSHMachineTemplate", template["metadata"]["name"]),
    )
    kct = {
        "apiVersion": BOOTSTRAP_V,
        "kind": "KubeadmConfigTemplate",
        "metadata": object_meta(kct_name, namespace),
        "spec": {"template": {"spec": join}},
    }
    return [kct, template, md]
