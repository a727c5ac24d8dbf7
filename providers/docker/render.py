"""Renders a docker ``ClusterSpec`` into the Cluster API objects of CAPD (Cluster API's
Docker provider) in the shapes of EKS-A's Docker templates (``template-cp.yaml``,
``template-md.yaml``), at the v1beta1 API versions of Cluster API v1.10: Cluster,
DockerCluster (with the kind load balancer image), one DockerMachineTemplate per role
(control plane, external etcd, each worker group) whose node containers mount the host's
Docker socket, KubeadmControlPlane, EtcdadmCluster when etcd is external, and per worker
group a KubeadmConfigTemplate and a MachineDeployment.

The node image of each Kubernetes version comes from the release bundle
(``node_image``); the Kubernetes version kubeadm installs is the image's tag, so the
control plane and the image never disagree. Template names carry a hash of what they
render from (``providers.kubeadm.template_hash``): a new Kubernetes version or a changed
node group yields new templates and Cluster API rolls the machines; unchanged input
renders identical objects. Proxy and registry-mirror settings are the shared kubeadm
pieces (``providers.proxy``, ``providers.kubeadm``); the owner labels are stamped on
every object when it is applied.
"""

from __future__ import annotations

import copy
from typing import Any

from eksa_temporal.bundle import load_bundle
from eksa_temporal.providers.kubeadm import (
    BOOTSTRAP_V,
    CLUSTER_V,
    CONTROLPLANE_V,
    ETCD_V,
    EVICTION_HARD,
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

DOCKER_SOCKET = "/var/run/docker.sock"
# the node containers reach the host's Docker (EKS-A's templates mount it on every node)
DOCKER_SOCKET_MOUNT = {"containerPath": DOCKER_SOCKET, "hostPath": DOCKER_SOCKET}
# the kind load balancer image CAPD runs in front of the control plane; EKS-A takes it
# from its bundle and gives CAPD the repository prefix and the tag
LOAD_BALANCER_IMAGE = "kindest/haproxy:v20230606-42a2262b"


def kind_node_image(kubernetes_version: str) -> str:
    """The kind node image of an EKS-A ``kubernetesVersion`` (``"1.33"``), from the release
    bundle (``eksa_temporal.bundle``)."""
    return load_bundle().kind_node_image(f"v{kubernetes_version.strip().removeprefix('v')}")


def image_version(image: str) -> str:
    """The Kubernetes version a kind node image runs: its tag
    (``kindest/node:v1.33.1@sha256:...`` -> ``v1.33.1``)."""
    name = image.split("@", 1)[0]
    tail = name.rsplit("/", 1)[-1]
    if ":" not in tail:
        raise ValueError(f"kind node image {image!r} has no version tag")
    return tail.rsplit(":", 1)[1]


def load_balancer(image: str = LOAD_BALANCER_IMAGE) -> dict[str, str]:
    """DockerCluster ``spec.loadBalancer``: the repository holding ``haproxy`` and the tag,
    as EKS-A splits its bundle's haproxy image."""
    name, _, tag = image.split("@", 1)[0].rpartition(":")
    repository = name.removesuffix("/haproxy")
    return {"imageRepository": repository, "imageTag": tag}


def render(
    spec: Any,
    namespace: str,
    node_image: Any = kind_node_image,
    load_balancer_image: str = LOAD_BALANCER_IMAGE,
) -> list[Obj]:
    """Every CAPI/CAPD object of the cluster, owners first. ``node_image``: EKS-A
    Kubernetes version -> kind node image."""
    name: str = spec.name
    image = node_image(spec.kubernetes_version)
    cp_template = machine_template(f"{name}-control-plane", namespace, image)
    docs: list[Obj] = [
        cluster(spec, namespace),
        {
            "apiVersion": INFRA_V,
            "kind": "DockerCluster",
            "metadata": object_meta(name, namespace, name),
            "spec": {"loadBalancer": load_balancer(load_balancer_image)},
        },
        cp_template,
        control_plane(spec, namespace, image_version(image), cp_template["metadata"]["name"]),
    ]
    etcd = spec.cluster.spec.external_etcd_configuration
    if etcd is not None:
        etcd_template = machine_template(f"{name}-etcd", namespace, image)
        docs += [etcd_template, etcd_cluster(spec, namespace, int(etcd.count or 0), etcd_template)]
    for group in spec.cluster.workers:
        docs += workers(spec, namespace, group, node_image)
    return docs


def cluster(spec: Any, namespace: str) -> Obj:
    net = spec.cluster.spec.cluster_network
    pods = list((net.pods.cidr_blocks if net and net.pods else None) or ["192.168.0.0/16"])
    services = list((net.services.cidr_blocks if net and net.services else None) or ["10.96.0.0/12"])
    body: Obj = {
        "clusterNetwork": {
            "pods": {"cidrBlocks": [str(p) for p in pods]},
            "services": {"cidrBlocks": [str(s) for s in services]},
            "serviceDomain": "cluster.local",
        },
        "controlPlaneRef": ref(CONTROLPLANE_V, "KubeadmControlPlane", spec.name),
        "infrastructureRef": ref(INFRA_V, "DockerCluster", spec.name),
    }
    if spec.cluster.spec.external_etcd_configuration is not None:
        body["managedExternalEtcdRef"] = ref(ETCD_V, "EtcdadmCluster", f"{spec.name}-etcd")
    return {"apiVersion": CLUSTER_V, "kind": "Cluster", "metadata": object_meta(spec.name, namespace, spec.name), "spec": body}


def machine_template(base: str, namespace: str, image: str) -> Obj:
    """A DockerMachineTemplate named ``<base>-<hash of its spec>``: the node image and the
    Docker socket mount."""
    tspec: Obj = {"extraMounts": [dict(DOCKER_SOCKET_MOUNT)], "customImage": image}
    return {
        "apiVersion": INFRA_V,
        "kind": "DockerMachineTemplate",
        "metadata": object_meta(f"{base}-{template_hash(tspec)}", namespace),
        "spec": {"template": {"spec": tspec}},
    }


def _registration(labels: Any, taint_list: list[Obj] | None) -> Obj:
    """nodeRegistration as EKS-A's docker templates write it (kubelet arguments: eviction
    thresholds off, the systemd cgroup driver of kind node images, node labels)."""
    args = {"eviction-hard": EVICTION_HARD, "cgroup-driver": "systemd", **node_labels(labels)}
    return registration(args, taint_list)


def _cp_taints(spec: Any) -> list[Obj] | None:
    """EKS-A: no taints on a cluster without worker groups (the control plane runs the
    workloads); the configured ones when set; else kubeadm's default."""
    conf = spec.cluster.spec.control_plane_configuration
    if not spec.cluster.workers:
        return []
    return taints(conf.taints) if conf.taints is not None else None


def control_plane(spec: Any, namespace: str, version: str, template_name: str) -> Obj:
    conf = spec.cluster.spec.control_plane_configuration
    reg = _registration(conf.labels, _cp_taints(spec))
    api_args = {"profiling": "false", **{k: str(v) for k, v in (conf.api_server_extra_args or {}).items()}}
    cluster_configuration: Obj = {
        "apiServer": {
            "certSANs": ["localhost", "127.0.0.1", *[str(s) for s in conf.cert_sans or []]],
            "extraArgs": api_args,
        },
        "controllerManager": {"extraArgs": {"enable-hostpath-provisioner": "true", "profiling": "false"}},
        "scheduler": {"extraArgs": {"profiling": "false"}},
    }
    if spec.cluster.spec.external_etcd_configuration is not None:
        cluster_configuration["etcd"] = {
            "external": {
                "endpoints": [],
                "caFile": "/etc/kubernetes/pki/etcd/ca.crt",
                "certFile": "/etc/kubernetes/pki/apiserver-etcd-client.crt",
                "keyFile": "/etc/kubernetes/pki/apiserver-etcd-client.key",
            }
        }
    files = kubelet_files(conf.kubelet_configuration) + mirror_files(spec.cluster) + proxy_files(spec.cluster)
    kubeadm: Obj = {
        "clusterConfiguration": cluster_configuration,
        "initConfiguration": {"nodeRegistration": reg, **kubelet_patches(conf.kubelet_configuration)},
        "joinConfiguration": {"nodeRegistration": copy.deepcopy(reg), **kubelet_patches(conf.kubelet_configuration)},
        "files": files,
    }
    commands = mirror_commands(spec.cluster) + proxy_commands(spec.cluster)
    if commands:
        kubeadm["preKubeadmCommands"] = commands
    return kubeadm_control_plane(spec, object_meta(spec.name, namespace, spec.name), version, ref(INFRA_V, "DockerMachineTemplate", template_name), kubeadm)


def etcd_cluster(spec: Any, namespace: str, count: int, template: Obj) -> Obj:
    return {
        "apiVersion": ETCD_V,
        "kind": "EtcdadmCluster",
        "metadata": object_meta(f"{spec.name}-etcd", namespace, spec.name),
        "spec": {
            "replicas": count,
            "etcdadmConfigSpec": {"etcdadmBuiltin": True, "cloudInitConfig": {}},
            "infrastructureTemplate": ref(INFRA_V, "DockerMachineTemplate", template["metadata"]["name"]),
        },
    }


def workers(spec: Any, namespace: str, group: Any, node_image: Any) -> list[Obj]:
    """KubeadmConfigTemplate, DockerMachineTemplate and MachineDeployment of one group."""
    name = f"{spec.name}-{group.name}"
    image = node_image(str(group.kubernetes_version or spec.kubernetes_version))
    template = machine_template(name, namespace, image)
    join: Obj = {
        "joinConfiguration": {
            "nodeRegistration": _registration(group.labels, taints(group.taints)),
            **kubelet_patches(group.kubelet_configuration),
        },
    }
    files = kubelet_files(group.kubelet_configuration) + mirror_files(spec.cluster) + proxy_files(spec.cluster)
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
        image_version(image),
        kct_name,
        ref(INFRA_V, "DockerMachineTemplate", template["metadata"]["name"]),
    )
    kct = {
        "apiVersion": BOOTSTRAP_V,
        "kind": "KubeadmConfigTemplate",
        "metadata": object_meta(kct_name, namespace),
        "spec": {"template": {"spec": join}},
    }
    return [kct, template, md]
