"""Render the CAPI + CAPV objects of a vSphere cluster as Kubernetes manifests (dicts).

Called by ``VSphereProvider.render_capi_objects``; shapes follow EKS-A's
``template-cp.yaml`` / ``template-md.yaml`` but are built in Python against Cluster API
v1beta1 and CAPV v1beta1: Cluster, VSphereCluster, one VSphereMachineTemplate per role
(control plane, external etcd, each worker group; named with a hash of their spec since
machine templates are immutable), KubeadmControlPlane with the kube-vip static pod,
EtcdadmCluster when etcd is external, and a KubeadmConfigTemplate + MachineDeployment per
worker group. The credentials Secret is only referenced by name here; its content comes
from ``credentials_secret`` at apply time, so no rendered object holds the password.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict

from eksa_temporal.providers.kubeadm import (
    BOOTSTRAP_V,
    BOTTLEROCKET,
    CLUSTER_V,
    CONTROLPLANE_V,
    ETCD_V,
    INFRA_V,
    KUBE_VIP_IMAGE,
    bootstrap_format,
    kube_vip_file,
)
from eksa_temporal.providers.vsphere.credentials import Credentials
from eksa_temporal.providers.vsphere.session import normalize_thumbprint
from eksa_temporal.providers.vsphere.view import ClusterView, GroupView, MachineView

HOSTNAME = "{{ ds.meta_data.hostname }}"


class RenderOptions(BaseModel):
    """Images and versions (from the release bundle in EKS-A); never secrets."""

    model_config = ConfigDict(frozen=True)
    kubernetes_repository: str = "public.ecr.aws/eks-distro/kubernetes"
    etcd_repository: str = "public.ecr.aws/eks-distro/etcd-io"
    etcd_image_tag: str = "v3.5.16-eks-1-31-8"
    coredns_repository: str = "public.ecr.aws/eks-distro/coredns"
    coredns_tag: str = "v1.11.3-eks-1-31-8"
    kube_vip_image: str = KUBE_VIP_IMAGE
    # "1.28" -> "v1.28.15-eks-1-28-40"; a version missing here renders as "v1.28.0"
    kubernetes_versions: dict[str, str] = {}


def kube_version(view: ClusterView, opts: RenderOptions) -> str:
    v = view.kubernetes_version.lstrip("v")
    if v in opts.kubernetes_versions:
        return opts.kubernetes_versions[v]
    return f"v{v}" if v.count(".") >= 2 else f"v{v}.0"


def _meta(name: str, ns: str, cluster: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": ns}
    if cluster:
        meta["labels"] = {"cluster.x-k8s.io/cluster-name": cluster}
    return meta


def _ref(api: str, kind: str, name: str) -> dict[str, str]:
    return {"apiVersion": api, "kind": kind, "name": name}


def _admin_conf(m: MachineView) -> str:
    """Where kube-vip reads the admin kubeconfig (kubeadm writes it elsewhere on Bottlerocket)."""
    return "/var/lib/kubeadm/admin.conf" if is_bottlerocket(m) else "/etc/kubernetes/admin.conf"


def is_bottlerocket(m: MachineView) -> bool:
    return bootstrap_format(m.os_family) == BOTTLEROCKET


def machine_template(view: ClusterView, group: GroupView, ns: str) -> dict[str, Any]:
    m = group.machine
    spec: dict[str, Any] = {
        "cloneMode": m.clone_mode or "fullClone",
        "datacenter": view.datacenter,
        "datastore": m.datastore,
        "diskGiB": m.disk_gib,
        "folder": m.folder,
        "memoryMiB": m.memory_mib,
        "network": {"devices": [{"dhcp4": True, "networkName": view.network}]},
        "numCPUs": m.num_cpus,
        "resourcePool": m.resource_pool,
        "server": view.server,
        "template": m.template,
        "thumbprint": normalize_thumbprint(view.thumbprint) if view.thumbprint else "",
    }
    if m.storage_policy_name:
        spec["storagePolicyName"] = m.storage_policy_name
    if m.tag_ids:
        spec["tagIDs"] = list(m.tag_ids)
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:8]
    suffix = (
        "control-plane"
        if group.role == "control-plane"
        else group.name.removeprefix(f"{view.name}-")
    )
    name = f"{view.name}-{suffix}-{digest}"
    return {
        "apiVersion": INFRA_V,
        "kind": "VSphereMachineTemplate",
        "metadata": _meta(name, ns),
        "spec": {"template": {"spec": spec}},
    }


def _users(m: MachineView) -> list[dict[str, Any]]:
    users = m.users or ((("ec2-user" if is_bottlerocket(m) else "capv"), ()),)
    return [
        {"name": name, "sshAuthorizedKeys": list(keys), "sudo": "ALL=(ALL) NOPASSWD:ALL"}
        for name, keys in users
    ]


def _node_registration(group: GroupView) -> dict[str, Any]:
    reg: dict[str, Any] = {
        "criSocket": "/var/run/containerd/containerd.sock",
        "kubeletExtraArgs": {
            "cloud-provider": "external",
            "read-only-port": "0",
            "anonymous-auth": "false",
        },
        "name": HOSTNAME,
    }
    if group.labels:
        reg["kubeletExtraArgs"]["node-labels"] = ",".join(
            f"{k}={v}" for k, v in sorted(group.labels.items())
        )
    if group.taints or group.role == "worker":
        reg["taints"] = [dict(t) for t in group.taints]
    return reg


def _pre_commands() -> list[str]:
    return [
        f'hostname "{HOSTNAME}"',
        'echo "::1         ipv6-localhost ipv6-loopback" >/etc/hosts',
        'echo "127.0.0.1   localhost" >>/etc/hosts',
        f'echo "127.0.0.1   {HOSTNAME}" >>/etc/hosts',
        f'echo "{HOSTNAME}" >/etc/hostname',
    ]


def _proxy_files(view: ClusterView, m: MachineView) -> list[dict[str, Any]]:
    """The containerd proxy drop-in (cloud-config machines; none without a proxy)."""
    return [] if is_bottlerocket(m) else [dict(f) for f in view.proxy_files]


def _proxy_commands(view: ClusterView, m: MachineView) -> list[str]:
    return [] if is_bottlerocket(m) else list(view.proxy_commands)


def control_plane(
    view: ClusterView, template: dict[str, Any], ns: str, opts: RenderOptions
) -> dict[str, Any]:
    g = view.control_plane
    m = g.machine
    etcd: dict[str, Any]
    if view.etcd is not None:
        etcd = {
            "external": {
                "endpoints": [],
                "caFile": "/etc/kubernetes/pki/etcd/ca.crt",
                "certFile": "/etc/kubernetes/pki/apiserver-etcd-client.crt",
                "keyFile": "/etc/kubernetes/pki/apiserver-etcd-client.key",
            }
        }
    else:
        etcd = {"local": {"imageRepository": opts.etcd_repository, "imageTag": opts.etcd_image_tag}}
    cluster_cfg = {
        "imageRepository": opts.kubernetes_repository,
        "etcd": etcd,
        "dns": {"imageRepository": opts.coredns_repository, "imageTag": opts.coredns_tag},
        "apiServer": {"extraArgs": {"cloud-provider": "external", "profiling": "false"}},
        "controllerManager": {"extraArgs": {"cloud-provider": "external", "profiling": "false"}},
        "scheduler": {"extraArgs": {"profiling": "false"}},
    }
    return {
        "apiVersion": CONTROLPLANE_V,
        "kind": "KubeadmControlPlane",
        "metadata": _meta(view.name, ns, view.name),
        "spec": {
            "machineTemplate": {
                "metadata": {"labels": {"node-role.kubernetes.io/control-plane": ""}},
                "infrastructureRef": _ref(
                    INFRA_V, "VSphereMachineTemplate", template["metadata"]["name"]
                ),
            },
            "kubeadmConfigSpec": {
                "clusterConfiguration": cluster_cfg,
                "files": [kube_vip_file(view.endpoint_host, opts.kube_vip_image, _admin_conf(m)), *_proxy_files(view, m)],
                "initConfiguration": {"nodeRegistration": _node_registration(g)},
                "joinConfiguration": {"nodeRegistration": _node_registration(g)},
                "preKubeadmCommands": _pre_commands() + _proxy_commands(view, m),
                "users": _users(m),
                "format": bootstrap_format(m.os_family),
            },
            "replicas": g.count,
            "rolloutStrategy": {"rollingUpdate": {"maxSurge": 1}, "type": "RollingUpdate"},
            "version": kube_version(view, opts),
        },
    }


def etcd_cluster(view: ClusterView, template: dict[str, Any], ns: str) -> dict[str, Any]:
    assert view.etcd is not None
    m = view.etcd.machine
    return {
        "apiVersion": ETCD_V,
        "kind": "EtcdadmCluster",
        "metadata": _meta(f"{view.name}-etcd", ns, view.name),
        "spec": {
            "replicas": view.etcd.count,
            "etcdadmConfigSpec": {
                "etcdadmBuiltin": True,
                "format": bootstrap_format(m.os_family),
                "users": _users(m),
            },
            "infrastructureTemplate": _ref(
                INFRA_V, "VSphereMachineTemplate", template["metadata"]["name"]
            ),
        },
    }


def worker_objects(
    view: ClusterView, group: GroupView, ns: str, opts: RenderOptions
) -> list[dict[str, Any]]:
    template = machine_template(view, group, ns)
    m = group.machine
    kct_spec: dict[str, Any] = {
        "joinConfiguration": {"nodeRegistration": _node_registration(group)},
        "preKubeadmCommands": _pre_commands() + _proxy_commands(view, m),
        "users": _users(m),
        "format": bootstrap_format(m.os_family),
    }
    if _proxy_files(view, m):  # only then: unchanged specs keep their template names
        kct_spec["files"] = _proxy_files(view, m)
    digest = hashlib.sha256(json.dumps(kct_spec, sort_keys=True).encode()).hexdigest()[:8]
    kct_name = f"{view.name}-{group.name}-{digest}"
    md_name = f"{view.name}-{group.name}"
    selector = {
        "cluster.x-k8s.io/cluster-name": view.name,
        "cluster.x-k8s.io/deployment-name": md_name,
    }
    md = {
        "apiVersion": CLUSTER_V,
        "kind": "MachineDeployment",
        "metadata": _meta(md_name, ns, view.name),
        "spec": {
            "clusterName": view.name,
            "replicas": group.count,
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {"labels": selector},
                "spec": {
                    "bootstrap": {
                        "configRef": _ref(BOOTSTRAP_V, "KubeadmConfigTemplate", kct_name)
                    },
                    "clusterName": view.name,
                    "infrastructureRef": _ref(
                        INFRA_V, "VSphereMachineTemplate", template["metadata"]["name"]
                    ),
                    "version": kube_version(view, opts),
                },
            },
        },
    }
    kct = {
        "apiVersion": BOOTSTRAP_V,
        "kind": "KubeadmConfigTemplate",
        "metadata": _meta(kct_name, ns),
        "spec": {"template": {"spec": kct_spec}},
    }
    return [kct, template, md]


def credentials_secret_name(view: ClusterView, secret: str | None) -> str:
    return secret or f"{view.name}-vsphere-credentials"


def render(
    view: ClusterView, ns: str, secret: str | None, opts: RenderOptions
) -> list[dict[str, Any]]:
    """Every CAPI object of the cluster except the credentials Secret, owners first."""
    cluster_spec: dict[str, Any] = {
        "clusterNetwork": {
            "pods": {"cidrBlocks": list(view.pod_cidrs)},
            "services": {"cidrBlocks": list(view.service_cidrs)},
        },
        "controlPlaneRef": _ref(CONTROLPLANE_V, "KubeadmControlPlane", view.name),
        "infrastructureRef": _ref(INFRA_V, "VSphereCluster", view.name),
    }
    if view.etcd is not None:
        cluster_spec["managedExternalEtcdRef"] = _ref(ETCD_V, "EtcdadmCluster", f"{view.name}-etcd")
    vsphere_cluster = {
        "apiVersion": INFRA_V,
        "kind": "VSphereCluster",
        "metadata": _meta(view.name, ns, view.name),
        "spec": {
            "controlPlaneEndpoint": {"host": view.endpoint_host, "port": 6443},
            "identityRef": {"kind": "Secret", "name": credentials_secret_name(view, secret)},
            "server": view.server,
            "thumbprint": normalize_thumbprint(view.thumbprint) if view.thumbprint else "",
        },
    }
    cp_template = machine_template(view, view.control_plane, ns)
    objects: list[dict[str, Any]] = [
        {
            "apiVersion": CLUSTER_V,
            "kind": "Cluster",
            "metadata": _meta(view.name, ns, view.name),
            "spec": cluster_spec,
        },
        vsphere_cluster,
        cp_template,
        control_plane(view, cp_template, ns, opts),
    ]
    if view.etcd is not None:
        etcd_template = machine_template(view, view.etcd, ns)
        objects += [etcd_template, etcd_cluster(view, etcd_template, ns)]
    for group in view.workers:
        objects += worker_objects(view, group, ns, opts)
    return objects


def credentials_secret(
    view: ClusterView, ns: str, secret: str | None, creds: Credentials
) -> dict[str, Any]:
    """The Secret CAPV's ``identityRef`` names; call only at apply time, inside an activity."""

    def b64(text: str) -> str:
        return base64.b64encode(text.encode()).decode()

    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": credentials_secret_name(view, secret),
            "namespace": ns,
            "labels": {"clusterctl.cluster.x-k8s.io/move": "true"},
        },
        "type": "Opaque",
        "data": {
            "username": b64(creds.username),
            "password": b64(creds.password.get_secret_value()),
        },
    }
