"""Pieces of the kubeadm-based Cluster API objects every renderer builds the same way, as
EKS-A's templates write them: the Cluster API v1beta1 group versions, template-name
hashes, node registration (CRI socket, kubelet arguments, node labels, taints), the
kubelet configuration patch file, and the containerd registry-mirror configuration
(``registryMirrorConfiguration``: ``hosts.toml`` per mirrored registry, the CA file and
the ``config_append.toml`` that points containerd at them).

Each function takes plain values or the EKS-A ``Cluster`` object (``ClusterSpec.cluster``)
and returns dicts ready for a manifest.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

import yaml

CLUSTER_V = "cluster.x-k8s.io/v1beta1"
BOOTSTRAP_V = "bootstrap.cluster.x-k8s.io/v1beta1"
CONTROLPLANE_V = "controlplane.cluster.x-k8s.io/v1beta1"
INFRA_V = "infrastructure.cluster.x-k8s.io/v1beta1"
ETCD_V = "etcdcluster.cluster.x-k8s.io/v1beta1"
CLUSTER_NAME_LABEL = "cluster.x-k8s.io/cluster-name"
CONTROL_PLANE_ROLE = "node-role.kubernetes.io/control-plane"
CRI_SOCKET = "/var/run/containerd/containerd.sock"
EVICTION_HARD = "nodefs.available<0%,nodefs.inodesFree<0%,imagefs.available<0%"
KUBELET_PATCH_FILE = "/etc/kubernetes/patches/kubeletconfiguration0+strategic.yaml"
CERTS_DIR = "/etc/containerd/certs.d"
CONFIG_APPEND = "/etc/containerd/config_append.toml"
# EKS-A mirrors this registry when the mirror names no OCI namespaces
DEFAULT_MIRRORED_REGISTRY = "public.ecr.aws"
MIRROR_COMMANDS = [
    f"cat {CONFIG_APPEND} >> /etc/containerd/config.toml",
    "systemctl daemon-reload",
    "systemctl restart containerd",
]

Obj = dict[str, Any]

CLOUD_CONFIG = "cloud-config"
BOTTLEROCKET = "bottlerocket"


def bootstrap_format(os_family: str | None) -> str:
    """The KubeadmConfig ``format`` EKS-A renders for a machine config's OS family."""
    return BOTTLEROCKET if os_family == BOTTLEROCKET else CLOUD_CONFIG


def formats_chosen(configs: Iterable[tuple[str, str | None]]) -> dict[str, list[str]]:
    """``Provider.bootstrap_formats`` from (spec field, osFamily) of each machine config in
    use: the formats other than cloud-config, each with the fields that choose it."""
    out: dict[str, list[str]] = {}
    for path, os_family in configs:
        fmt = bootstrap_format(os_family)
        if fmt != CLOUD_CONFIG:
            out.setdefault(fmt, []).append(path)
    return out


def template_hash(value: Any, length: int = 8) -> str:
    """A stable hex digest of a JSON-able value: the suffix of an immutable template's
    name, so a changed template gets a new name and unchanged input the same one."""
    blob = json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()[:length]


def ref(api_version: str, kind: str, name: str) -> dict[str, str]:
    return {"apiVersion": api_version, "kind": kind, "name": name}


def taints(values: Any) -> list[Obj]:
    """EKS-A taints (``key``, ``value``, ``effect``) as kubeadm taints."""
    out = []
    for t in values or []:
        taint: Obj = {"key": str(t.key), "effect": str(t.effect)}
        if t.value is not None:
            taint["value"] = str(t.value)
        out.append(taint)
    return out


def node_labels(labels: Any) -> dict[str, str]:
    """The kubelet's ``node-labels`` argument for ``labels`` (none when empty)."""
    if not labels:
        return {}
    return {"node-labels": ",".join(f"{k}={v}" for k, v in sorted(labels.items()))}


def kubelet_files(kubelet_configuration: Any) -> list[Obj]:
    """The kubelet configuration patch file EKS-A writes when one is configured."""
    if not kubelet_configuration:
        return []
    return [{
        "path": KUBELET_PATCH_FILE,
        "owner": "root:root",
        "permissions": "0644",
        "content": yaml.safe_dump(kubelet_configuration, sort_keys=True),
    }]


# -- registry mirror ---------------------------------------------------------------------
def mirror_base(cluster: Any) -> str:
    """``host:port`` of the cluster's registry mirror ("" without one; port 443 unless set)."""
    conf = cluster.spec.registry_mirror_configuration
    if conf is None or not conf.endpoint:
        return ""
    return f"{conf.endpoint}:{conf.port or '443'}"


def mirrored_registries(cluster: Any) -> dict[str, str]:
    """Registry -> mirror API endpoint, as EKS-A's containerd configuration maps them: each
    OCI namespace's registry to ``<base>/v2/<namespace>``, else ``public.ecr.aws`` to the
    mirror itself."""
    base = mirror_base(cluster)
    if not base:
        return {}
    conf = cluster.spec.registry_mirror_configuration
    out: dict[str, str] = {}
    for ns in conf.oci_namespaces or []:
        out[str(ns.registry)] = f"{base}/v2/{ns.namespace}" if ns.namespace else base
    return out or {DEFAULT_MIRRORED_REGISTRY: base}


def _hosts_toml(server: str, host: str, ca: bool, skip_verify: bool, base: str) -> str:
    text = (
        f'server = "https://{server}"\n\n'
        f'[host."https://{host}"]\n'
        '  capabilities = ["pull", "resolve"]\n'
        "  override_path = true\n"
    )
    if ca:
        text += f'  ca = "{CERTS_DIR}/{base}/ca.crt"\n'
    if skip_verify:
        text += "  skip_verify = true\n"
    return text


def mirror_files(cluster: Any) -> list[Obj]:
    """The containerd files of the registry mirror (none without one)."""
    base = mirror_base(cluster)
    if not base:
        return []
    conf = cluster.spec.registry_mirror_configuration
    ca = bool(conf.ca_cert_content)
    skip = bool(conf.insecure_skip_verify)
    files: list[Obj] = []
    if ca:
        files.append({"content": str(conf.ca_cert_content), "owner": "root:root", "path": f"{CERTS_DIR}/{base}/ca.crt"})
    files.append({
        "content": '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n',
        "owner": "root:root",
        "path": CONFIG_APPEND,
    })
    files.append({
        "content": _hosts_toml(base, base, ca, skip, base),
        "owner": "root:root",
        "path": f"{CERTS_DIR}/{base}/hosts.toml",
    })
    for registry, endpoint in sorted(mirrored_registries(cluster).items()):
        files.append({
            "content": _hosts_toml(registry, endpoint, ca, skip, base),
            "owner": "root:root",
            "path": f"{CERTS_DIR}/{registry}/hosts.toml",
        })
    return files


def mirror_commands(cluster: Any) -> list[str]:
    """``preKubeadmCommands`` that load the mirror configuration (none without a mirror)."""
    return list(MIRROR_COMMANDS) if mirror_base(cluster) else []


def machine_deployment(
    spec: Any, group: Any, meta: Obj, version: str, bootstrap_template: str, infrastructure_ref: Obj
) -> Obj:
    """The MachineDeployment of worker group ``group``: replicas from its count (else the
    autoscaler's minimum, with the autoscaler's min/max annotations), EKS-A's rolling update
    strategy, the KubeadmConfigTemplate ``bootstrap_template`` and the infrastructure
    template ``infrastructure_ref``. ``meta`` is its metadata (name, namespace, labels)."""
    autoscaling = group.autoscaling_configuration
    replicas = group.count if group.count is not None else (autoscaling.min_count if autoscaling else 1)
    meta = dict(meta)
    if autoscaling is not None:
        meta["annotations"] = {
            **(meta.get("annotations") or {}),
            "cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size": str(autoscaling.min_count),
            "cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size": str(autoscaling.max_count),
        }
    md_spec: Obj = {
        "clusterName": spec.name,
        "replicas": int(replicas),
        "selector": {"matchLabels": {}},
        "template": {
            "metadata": {"labels": {CLUSTER_NAME_LABEL: spec.name}},
            "spec": {
                "clusterName": spec.name,
                "version": version,
                "bootstrap": {"configRef": ref(BOOTSTRAP_V, "KubeadmConfigTemplate", bootstrap_template)},
                "infrastructureRef": infrastructure_ref,
            },
        },
    }
    strategy = group.upgrade_rollout_strategy
    if strategy is not None and strategy.rolling_update is not None:
        md_spec["strategy"] = {
            "type": "RollingUpdate",
            "rollingUpdate": {
                "maxSurge": int(strategy.rolling_update.max_surge),
                "maxUnavailable": int(strategy.rolling_update.max_unavailable),
            },
        }
    return {"apiVersion": CLUSTER_V, "kind": "MachineDeployment", "metadata": meta, "spec": md_spec}


# -- shared by the renderers of every kubeadm-based provider -----------------------------------
KUBE_VIP_IMAGE = "public.ecr.aws/l0g8r8j6/kube-vip/kube-vip:v0.8.9-eks-a-v0.22.0-eks-a-84"
KUBE_VIP_MANIFEST = "/etc/kubernetes/manifests/kube-vip.yaml"
API_PORT = 6443


def kube_version(version: str) -> str:
    """``"1.31"`` -> ``"v1.31.0"`` (a full version is kept)."""
    v = str(version).strip().lstrip("v")
    return f"v{v}" if v.count(".") >= 2 else f"v{v}.0"


def object_meta(name: str, namespace: str, cluster: str | None = None) -> Obj:
    """``metadata`` of a rendered object, labelled with its CAPI cluster when given."""
    meta: Obj = {"name": name, "namespace": namespace}
    if cluster:
        meta["labels"] = {CLUSTER_NAME_LABEL: cluster}
    return meta


def endpoint_host(spec: Any) -> str:
    """The control-plane endpoint host of an EKS-A spec (``ClusterSpec``), or ``""``."""
    endpoint = spec.cluster.spec.control_plane_configuration.endpoint
    return str(endpoint.host) if endpoint is not None and endpoint.host else ""


def registration(kubelet_args: dict[str, str], taint_list: list[Obj] | None, **extra: Any) -> Obj:
    """``nodeRegistration``: the containerd socket, the kubelet arguments, the taints when
    given (None keeps kubeadm's default), and any other field (``name`` ...)."""
    reg: Obj = {"criSocket": CRI_SOCKET, "kubeletExtraArgs": kubelet_args, **extra}
    if taint_list is not None:
        reg["taints"] = taint_list
    return reg


def kubelet_patches(kubelet_configuration: Any) -> Obj:
    """Where kubeadm finds the kubelet configuration patch (only when one is written)."""
    return {"patches": {"directory": "/etc/kubernetes/patches"}} if kubelet_configuration else {}


def kube_vip_pod(
    address: str,
    image: str = KUBE_VIP_IMAGE,
    admin_conf: str = "/etc/kubernetes/admin.conf",
    extra_env: dict[str, str] | None = None,
) -> Obj:
    """The kube-vip static pod holding the control-plane endpoint ``address`` (ARP, leader
    election, port 6443), as EKS-A's templates write it."""
    env = {
        "vip_arp": "true",
        "port": str(API_PORT),
        "vip_cidr": "32",
        "cp_enable": "true",
        "cp_namespace": "kube-system",
        "vip_ddns": "false",
        "vip_leaderelection": "true",
        "vip_leaseduration": "15",
        "vip_renewdeadline": "10",
        "vip_retryperiod": "2",
        "address": address,
        **(extra_env or {}),
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "kube-vip", "namespace": "kube-system"},
        "spec": {
            "containers": [
                {
                    "args": ["manager"],
                    "env": [{"name": k, "value": v} for k, v in env.items()],
                    "image": image,
                    "imagePullPolicy": "IfNotPresent",
                    "name": "kube-vip",
                    "resources": {},
                    "securityContext": {"capabilities": {"add": ["NET_ADMIN", "NET_RAW"]}},
                    "volumeMounts": [
                        {"mountPath": "/etc/kubernetes/admin.conf", "name": "kubeconfig"}
                    ],
                }
            ],
            "hostNetwork": True,
            "volumes": [{"hostPath": {"path": admin_conf}, "name": "kubeconfig"}],
        },
    }


def kube_vip_file(
    address: str,
    image: str = KUBE_VIP_IMAGE,
    admin_conf: str = "/etc/kubernetes/admin.conf",
    extra_env: dict[str, str] | None = None,
) -> Obj:
    """A KubeadmConfigSpec ``files`` entry with the kube-vip manifest for ``address``."""
    pod = kube_vip_pod(address, image, admin_conf, extra_env)
    return {"content": yaml.safe_dump(pod, sort_keys=False), "owner": "root:root", "path": KUBE_VIP_MANIFEST}


def kubeadm_control_plane(
    spec: Any, metadata: Obj, version: str, infrastructure_ref: dict[str, str], kubeadm_config: Obj
) -> Obj:
    """The KubeadmControlPlane of an EKS-A spec: its control plane's count and rollout surge
    (``upgradeRolloutStrategy``, default 1), the machine template and the kubeadm config."""
    conf = spec.cluster.spec.control_plane_configuration
    strategy = conf.upgrade_rollout_strategy
    surge = strategy.rolling_update.max_surge if strategy and strategy.rolling_update else 1
    return {
        "apiVersion": CONTROLPLANE_V,
        "kind": "KubeadmControlPlane",
        "metadata": metadata,
        "spec": {
            "replicas": int(conf.count or 1),
            "version": version,
            "machineTemplate": {
                "metadata": {"labels": {CONTROL_PLANE_ROLE: ""}},
                "infrastructureRef": infrastructure_ref,
            },
            "kubeadmConfigSpec": kubeadm_config,
            "rolloutStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": int(surge)}},
        },
    }
