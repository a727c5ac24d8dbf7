"""Renders a Tinkerbell ``ClusterSpec`` into the Cluster API objects of CAPT (Cluster API
Provider Tinkerbell) in the shapes of EKS-A's Tinkerbell templates (``template-cp.yaml``,
``template-md.yaml``), at the v1beta1 API versions of Cluster API v1.10 and CAPT v0.6:
Cluster (with the spec's control-plane endpoint), TinkerbellCluster, a
TinkerbellMachineTemplate for the control plane and KubeadmControlPlane, and per worker
group a KubeadmConfigTemplate, TinkerbellMachineTemplate and MachineDeployment.

Each machine config's ``hardwareSelector`` becomes the template's
``hardwareAffinity.required[].labelSelector.matchLabels``: CAPT claims a Hardware object
carrying those labels for each machine. The control-plane endpoint is held by a kube-vip
static pod, as EKS-A renders it. Template names carry a hash of what they render from
(``providers.kubeadm.template_hash``), so a changed selector or node group yields new
templates and Cluster API rolls the machines; unchanged input renders identical objects.
"""

from __future__ import annotations

import copy
from typing import Any

from eksa_temporal.providers.kubeadm import (
    BOOTSTRAP_V,
    CLUSTER_V,
    CONTROLPLANE_V,
    INFRA_V,
    bootstrap_format,
    endpoint_host,
    kube_vip_file,
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
from eksa_temporal.providers.kubeadm import (
    kube_version as full_version,
)
from eksa_temporal.providers.proxy import proxy_commands, proxy_files
from eksa_temporal.spec.clusterspec import ClusterSpec
from eksa_temporal.spec.tinkerbell import TinkerbellMachineConfig

Obj = dict[str, Any]

API_PORT = 6443
# CAPT replaces PROVIDER_ID with the machine's providerID (tinkerbell://<ns>/<hardware>)
PROVIDER_ID = "PROVIDER_ID"


def kube_version(spec: ClusterSpec, version: str | None = None) -> str:
    """``"1.31"`` -> ``"v1.31.0"`` (a full version is kept)."""
    return full_version(version or spec.kubernetes_version)


def _machine(spec: ClusterSpec, name: str | None) -> TinkerbellMachineConfig | None:
    mc = spec.machine_configs.get(name or "")
    return mc if isinstance(mc, TinkerbellMachineConfig) else None


def hardware_affinity(mc: TinkerbellMachineConfig | None) -> Obj:
    """``hardwareAffinity`` of a machine config: its ``hardwareAffinity`` when given as
    such, else its ``hardwareSelector`` as the one required label selector."""
    if mc is not None and mc.spec.hardware_affinity:
        return copy.deepcopy(dict(mc.spec.hardware_affinity))
    selector = dict(mc.spec.hardware_selector or {}) if mc is not None else {}
    return {
        "required": [{"labelSelector": {"matchLabels": {k: str(v) for k, v in selector.items()}}}]
    }


def machine_template(base: str, namespace: str, mc: TinkerbellMachineConfig | None) -> Obj:
    """A TinkerbellMachineTemplate named ``<base>-<hash of its spec>``."""
    tspec: Obj = {"hardwareAffinity": hardware_affinity(mc)}
    return {
        "apiVersion": INFRA_V,
        "kind": "TinkerbellMachineTemplate",
        "metadata": object_meta(f"{base}-{template_hash(tspec)}", namespace),
        "spec": {"template": {"spec": tspec}},
    }


def _users(mc: TinkerbellMachineConfig | None) -> list[Obj]:
    users = (mc.spec.users if mc is not None else None) or []
    return [
        {
            "name": u.name,
            "sshAuthorizedKeys": [str(k) for k in u.ssh_authorized_keys or []],
            "sudo": "ALL=(ALL) NOPASSWD:ALL",
        }
        for u in users
    ]


def _registration(labels: Any, taint_list: list[Obj] | None) -> Obj:
    """nodeRegistration as EKS-A's Tinkerbell templates write it: CAPT's providerID,
    read-only port and anonymous auth off, node labels."""
    args = {
        "provider-id": PROVIDER_ID,
        "read-only-port": "0",
        "anonymous-auth": "false",
        **node_labels(labels),
    }
    return registration(args, taint_list)


def cluster(spec: ClusterSpec, namespace: str) -> Obj:
    net = spec.cluster.spec.cluster_network
    pods = list((net.pods.cidr_blocks if net and net.pods else None) or ["192.168.0.0/16"])
    services = list(
        (net.services.cidr_blocks if net and net.services else None) or ["10.96.0.0/12"]
    )
    return {
        "apiVersion": CLUSTER_V,
        "kind": "Cluster",
        "metadata": object_meta(spec.name, namespace, spec.name),
        "spec": {
            "clusterNetwork": {
                "pods": {"cidrBlocks": [str(p) for p in pods]},
                "services": {"cidrBlocks": [str(s) for s in services]},
            },
            "controlPlaneEndpoint": {"host": endpoint_host(spec), "port": API_PORT},
            "controlPlaneRef": ref(CONTROLPLANE_V, "KubeadmControlPlane", spec.name),
            "infrastructureRef": ref(INFRA_V, "TinkerbellCluster", spec.name),
        },
    }


def tinkerbell_cluster(spec: ClusterSpec, namespace: str) -> Obj:
    """TinkerbellCluster: the endpoint, and the image lookup EKS-A sets (the OS image
    comes from the machine configs' template, not from CAPT's registry lookup)."""
    return {
        "apiVersion": INFRA_V,
        "kind": "TinkerbellCluster",
        "metadata": object_meta(spec.name, namespace, spec.name),
        "spec": {
            "controlPlaneEndpoint": {"host": endpoint_host(spec), "port": API_PORT},
            "imageLookupBaseRegistry": "/",
            "imageLookupFormat": f"--kube-{kube_version(spec)}.raw.gz",
        },
    }


def _cp_taints(spec: ClusterSpec) -> list[Obj] | None:
    """EKS-A: no taints without worker groups; the configured ones when set; else kubeadm's."""
    conf = spec.cluster.spec.control_plane_configuration
    if not spec.cluster.workers:
        return []
    return taints(conf.taints) if conf.taints is not None else None


def control_plane(spec: ClusterSpec, namespace: str, template_name: str) -> Obj:
    conf = spec.cluster.spec.control_plane_configuration
    mc = _machine(spec, conf.machine_group_ref.name if conf.machine_group_ref else None)
    reg = _registration(conf.labels, _cp_taints(spec))
    api_args = {
        "audit-log-maxage": "30",
        "audit-log-maxbackup": "10",
        "audit-log-maxsize": "512",
        **{k: str(v) for k, v in (conf.api_server_extra_args or {}).items()},
    }
    cert_sans = [str(s) for s in conf.cert_sans or []]
    api_server: Obj = {"extraArgs": api_args}
    if cert_sans:
        api_server["certSANs"] = cert_sans
    files = [
        kube_vip_file(endpoint_host(spec)),
        *kubelet_files(conf.kubelet_configuration),
        *mirror_files(spec.cluster),
        *proxy_files(spec.cluster),
    ]
    kubeadm: Obj = {
        "clusterConfiguration": {"apiServer": api_server},
        "initConfiguration": {"nodeRegistration": reg, **kubelet_patches(conf.kubelet_configuration)},
        "joinConfiguration": {
            "nodeRegistration": copy.deepcopy(reg),
            **kubelet_patches(conf.kubelet_configuration),
        },
        "files": files,
        "users": _users(mc),
        "format": bootstrap_format(mc.spec.os_family if mc else None),
    }
    commands = mirror_commands(spec.cluster) + proxy_commands(spec.cluster)
    if commands:
        kubeadm["preKubeadmCommands"] = commands
    return kubeadm_control_plane(spec, object_meta(spec.name, namespace, spec.name), kube_version(spec), ref(INFRA_V, "TinkerbellMachineTemplate", template_name), kubeadm)


def workers(spec: ClusterSpec, namespace: str, group: Any) -> list[Obj]:
    """KubeadmConfigTemplate, TinkerbellMachineTemplate and MachineDeployment of one group."""
    name = f"{spec.name}-{group.name}"
    mc = _machine(spec, group.machine_group_ref.name if group.machine_group_ref else None)
    template = machine_template(name, namespace, mc)
    join: Obj = {
        "joinConfiguration": {
            "nodeRegistration": _registration(group.labels, taints(group.taints) or None),
            **kubelet_patches(group.kubelet_configuration),
        },
        "users": _users(mc),
        "format": bootstrap_format(mc.spec.os_family if mc else None),
    }
    files = (
        kubelet_files(group.kubelet_configuration)
        + mirror_files(spec.cluster)
        + proxy_files(spec.cluster)
    )
    if files:
        join["files"] = files
    commands = mirror_commands(spec.cluster) + proxy_commands(spec.cluster)
    if commands:
        join["preKubeadmCommands"] = commands
    kct_name = f"{name}-template-{template_hash(join)}"
    md = machine_deployment(
        spec,
        group,
        object_meta(name, namespace, spec.name),
        kube_version(spec, group.kubernetes_version),
        kct_name,
        ref(INFRA_V, "TinkerbellMachineTemplate", template["metadata"]["name"]),
    )
    kct = {
        "apiVersion": BOOTSTRAP_V,
        "kind": "KubeadmConfigTemplate",
        "metadata": object_meta(kct_name, namespace),
        "spec": {"template": {"spec": join}},
    }
    return [kct, template, md]


def render(spec: ClusterSpec, namespace: str) -> list[Obj]:
    """Every CAPI/CAPT object of the cluster, owners first."""
    conf = spec.cluster.spec.control_plane_configuration
    cp_mc = _machine(spec, conf.machine_group_ref.name if conf.machine_group_ref else None)
    cp_template = machine_template(f"{spec.name}-control-plane", namespace, cp_mc)
    docs: list[Obj] = [
        cluster(spec, namespace),
        tinkerbell_cluster(spec, namespace),
        cp_template,
        control_plane(spec, namespace, cp_template["metadata"]["name"]),
    ]
    for group in spec.cluster.workers:
        docs += workers(spec, namespace, group)
    return docs
