"""Renders a Snow ``ClusterSpec`` into the Cluster API objects of CAPAS (Cluster API
Provider AWS Snow) as EKS-A's ``pkg/providers/snow/apibuilder.go`` builds them, at the
v1beta1 API versions of this build's Cluster API: Cluster, AWSSnowCluster (region
``snow``, the control-plane endpoint, ``identityRef`` to the ``<cluster>-snow-credentials``
Secret), an AWSSnowIPPool per SnowIPPool a direct network interface references, an
AWSSnowMachineTemplate per role (control plane, external etcd, each worker group; named
with a hash of their spec since machine templates are immutable), KubeadmControlPlane
(kube-vip static pod, CAPAS's ``provider-id`` kubelet argument, stacked etcd listening on
all addresses, Ubuntu's ``/etc/eks/bootstrap.sh``), EtcdadmCluster when etcd is external,
and a KubeadmConfigTemplate + MachineDeployment per worker group (``providers.kubeadm``).

The credentials Secret is referenced by name only; ``credentials_secret`` builds it at apply
time from the two files (``credentials``, ``ca-bundle``: each file base64-encoded, as EKS-A
stores them), so no other rendered object holds a key.
"""

from __future__ import annotations

import base64
import copy
import uuid
from typing import Any

from eksa_temporal.providers.kubeadm import (
    BOOTSTRAP_V,
    BOTTLEROCKET,
    CLUSTER_NAME_LABEL,
    CLUSTER_V,
    CONTROLPLANE_V,
    ETCD_V,
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
    ref,
    registration,
    taints,
    template_hash,
)
from eksa_temporal.providers.proxy import proxy_commands, proxy_files
from eksa_temporal.spec.clusterspec import ClusterSpec
from eksa_temporal.spec.snow import SnowMachineConfig

Obj = dict[str, Any]

API_PORT = 6443
REGION = "snow"
NAMESPACE = "eksa-system"
MOVE_LABEL = "clusterctl.cluster.x-k8s.io/move"
# CAPAS fills the instance id in through cloud-init's metadata
PROVIDER_ID = "aws-snow:////'{{ ds.meta_data.instance_id }}'"
IAM_PROFILE = "control-plane.cluster-api-provider-aws.sigs.k8s.io"
ETCD_LEARNER_GATE = "EtcdLearnerMode"
SUPER_ADMIN_SED = (
    "if [ -f /run/kubeadm/kubeadm.yaml ]; then sed -i 's#path: /etc/kubernetes/admin.conf#"
    "path: /etc/kubernetes/super-admin.conf#' /etc/kubernetes/manifests/kube-vip.yaml; fi"
)
IGNORE_MANIFESTS_DIR = "DirAvailable--etc-kubernetes-manifests"
DEFAULT_KEY_PREFIX = "eksa-default"


def credentials_secret_name(cluster_name: str) -> str:
    return f"{cluster_name}-snow-credentials"


def default_key_name(cluster_name: str) -> str:
    """EKS-A's default key pair name ``eksa-default-<cluster>-<uuid>`` for machine configs
    without ``sshKeyName``; the uuid is derived from the cluster name so that every step of
    every operation on the cluster names the same key pair."""
    return f"{DEFAULT_KEY_PREFIX}-{cluster_name}-{uuid.uuid5(uuid.NAMESPACE_URL, f'eksa-snow/{cluster_name}')}"


def kube_version(version: str) -> str:
    v = version.strip().lstrip("v")
    return f"v{v}" if v.count(".") >= 2 else f"v{v}.0"


def _minor(version: str) -> int:
    parts = version.strip().lstrip("v").split(".")
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def _meta(name: str, cluster: str | None = None) -> Obj:
    meta: Obj = {"name": name, "namespace": NAMESPACE}
    if cluster:
        meta["labels"] = {CLUSTER_NAME_LABEL: cluster}
    return meta


def _mc(spec: ClusterSpec, name: str | None) -> SnowMachineConfig | None:
    found = spec.machine_configs.get(name or "")
    return found if isinstance(found, SnowMachineConfig) else None


def os_family(mc: SnowMachineConfig | None) -> str | None:
    return None if mc is None else mc.spec.os_family


def is_bottlerocket(mc: SnowMachineConfig | None) -> bool:
    return bootstrap_format(os_family(mc)) == BOTTLEROCKET


# -- CAPAS objects --------------------------------------------------------------------------
def ip_pools(spec: ClusterSpec) -> dict[str, Obj]:
    """AWSSnowIPPool per SnowIPPool referenced by a direct network interface (``toAWSSnowIPPool``)."""
    out: dict[str, Obj] = {}
    for mc in spec.machine_configs_of(SnowMachineConfig):
        for dni in (mc.spec.network.direct_network_interfaces if mc.spec.network else None) or []:
            name = dni.ip_pool_ref.name if dni.ip_pool_ref is not None else None
            pool = spec.snow_ip_pools.get(name or "")
            if name and pool is not None and name not in out:
                out[name] = {
                    "apiVersion": INFRA_V,
                    "kind": "AWSSnowIPPool",
                    "metadata": _meta(name),
                    "spec": {"pools": [
                        {"ipStart": p.ip_start, "ipEnd": p.ip_end, "gateway": p.gateway, "subnet": p.subnet}
                        for p in pool.spec.pools or []
                    ]},
                }
    return out


def _volume(v: Any) -> Obj:
    out: Obj = {"size": int(v.size)}
    if v.device_name:
        out["deviceName"] = str(v.device_name)
    if v.type:
        out["type"] = str(v.type)
    return out


def machine_template(spec: ClusterSpec, base: str, mc: SnowMachineConfig | None) -> Obj:
    """AWSSnowMachineTemplate as ``MachineTemplate`` builds it, named ``<base>-<hash>``."""
    s = mc.spec if mc is not None else SnowMachineConfig().spec
    dnis: list[Obj] = []
    for dni in (s.network.direct_network_interfaces if s.network else None) or []:
        entry: Obj = {}
        if dni.index is not None:
            entry["index"] = int(dni.index)
        if dni.vlan_id is not None:
            entry["vlanID"] = int(dni.vlan_id)
        if dni.dhcp:
            entry["dhcp"] = True
        if dni.primary:
            entry["primary"] = True
        if dni.ip_pool_ref is not None and dni.ip_pool_ref.name:
            entry["ipPool"] = {"kind": "AWSSnowIPPool", "name": str(dni.ip_pool_ref.name)}
        dnis.append(entry)
    tspec: Obj = {
        "iamInstanceProfile": IAM_PROFILE,
        "instanceType": str(s.instance_type or "sbe-c.large"),
        "sshKeyName": str(s.ssh_key_name or default_key_name(spec.name)),
        "cloudInit": {"insecureSkipSecretsManager": True},
        "physicalNetworkConnectorType": str(s.physical_network_connector or "SFP_PLUS"),
        "devices": [str(d) for d in s.devices or []],
        "network": {"directNetworkInterfaces": dnis},
        "osFamily": str(s.os_family or "ubuntu"),
    }
    if s.ami_id:  # without one CAPAS looks the image up (imageLookup*)
        tspec["ami"] = {"id": str(s.ami_id)}
    if s.containers_volume is not None:
        tspec["containersVolume"] = _volume(s.containers_volume)
    if s.non_root_volumes:
        tspec["nonRootVolumes"] = [_volume(v) for v in s.non_root_volumes]
    if is_bottlerocket(mc):
        tspec["imageLookupBaseOS"] = "bottlerocket"
    return {
        "apiVersion": INFRA_V,
        "kind": "AWSSnowMachineTemplate",
        "metadata": _meta(f"{base}-{template_hash(tspec)}"),
        "spec": {"template": {"spec": tspec}},
    }


def snow_cluster(spec: ClusterSpec) -> Obj:
    return {
        "apiVersion": INFRA_V,
        "kind": "AWSSnowCluster",
        "metadata": _meta(spec.name, spec.name),
        "spec": {
            "region": REGION,
            "controlPlaneEndpoint": {"host": endpoint_host(spec), "port": API_PORT},
            "identityRef": {"kind": "Secret", "name": credentials_secret_name(spec.name)},
        },
    }


# -- kubeadm objects ---------------------------------------------------------------------------
def _registration(labels: Any, taint_list: list[Obj] | None) -> Obj:
    args = {"provider-id": PROVIDER_ID, "read-only-port": "0", "anonymous-auth": "false", **node_labels(labels)}
    return registration(args, taint_list)


def _cp_taints(spec: ClusterSpec) -> list[Obj] | None:
    conf = spec.cluster.spec.control_plane_configuration
    if not spec.cluster.workers:
        return []
    return taints(conf.taints) if conf.taints is not None else None


def control_plane(spec: ClusterSpec, template_name: str) -> Obj:
    conf = spec.cluster.spec.control_plane_configuration
    mc = _mc(spec, conf.machine_group_ref.name if conf.machine_group_ref else None)
    external = spec.cluster.spec.external_etcd_configuration is not None
    minor = _minor(spec.kubernetes_version)
    reg = _registration(conf.labels, _cp_taints(spec))
    join_reg = copy.deepcopy(reg)
    api_args = {
        "audit-log-maxage": "30", "audit-log-maxbackup": "10", "audit-log-maxsize": "512",
        **{k: str(v) for k, v in (conf.api_server_extra_args or {}).items()},
    }
    api_server: Obj = {"extraArgs": api_args}
    if conf.cert_sans:
        api_server["certSANs"] = [str(s) for s in conf.cert_sans]
    cluster_cfg: Obj = {"apiServer": api_server}
    if external:
        cluster_cfg["etcd"] = {"external": {
            "endpoints": [],
            "caFile": "/etc/kubernetes/pki/etcd/ca.crt",
            "certFile": "/etc/kubernetes/pki/apiserver-etcd-client.crt",
            "keyFile": "/etc/kubernetes/pki/apiserver-etcd-client.key",
        }}
    else:  # addStackedEtcdExtraArgsInKubeadmControlPlane
        cluster_cfg["etcd"] = {"local": {"extraArgs": {
            "listen-peer-urls": "https://0.0.0.0:2380",
            "listen-client-urls": "https://0.0.0.0:2379",
        }}}
    if 29 <= minor < 33:
        cluster_cfg["featureGates"] = {ETCD_LEARNER_GATE: False}
    commands: list[str] = []
    if not is_bottlerocket(mc):
        commands.append("/etc/eks/bootstrap.sh")
        if minor >= 29:
            commands.append(SUPER_ADMIN_SED)
        join_reg["ignorePreflightErrors"] = [IGNORE_MANIFESTS_DIR]
    commands += mirror_commands(spec.cluster) + proxy_commands(spec.cluster)
    kubeadm: Obj = {
        "clusterConfiguration": cluster_cfg,
        "initConfiguration": {"nodeRegistration": reg, **kubelet_patches(conf.kubelet_configuration)},
        "joinConfiguration": {"nodeRegistration": join_reg, **kubelet_patches(conf.kubelet_configuration)},
        "files": [
            kube_vip_file(endpoint_host(spec)),
            *kubelet_files(conf.kubelet_configuration),
            *mirror_files(spec.cluster),
            *proxy_files(spec.cluster),
        ],
        "preKubeadmCommands": commands,
        "format": bootstrap_format(os_family(mc)),
    }
    return kubeadm_control_plane(spec, _meta(spec.name, spec.name), kube_version(spec.kubernetes_version), ref(INFRA_V, "AWSSnowMachineTemplate", template_name), kubeadm)


def etcd_cluster(spec: ClusterSpec, template_name: str) -> Obj:
    etcd = spec.cluster.spec.external_etcd_configuration
    assert etcd is not None
    mc = _mc(spec, etcd.machine_group_ref.name if etcd.machine_group_ref else None)
    config: Obj = {"etcdadmBuiltin": True, "format": bootstrap_format(os_family(mc))}
    if not is_bottlerocket(mc):
        config["preEtcdadmCommands"] = ["/etc/eks/bootstrap.sh"]
    return {
        "apiVersion": ETCD_V,
        "kind": "EtcdadmCluster",
        "metadata": _meta(f"{spec.name}-etcd", spec.name),
        "spec": {
            "replicas": int(etcd.count or 3),
            "etcdadmConfigSpec": config,
            "infrastructureTemplate": ref(INFRA_V, "AWSSnowMachineTemplate", template_name),
        },
    }


def workers(spec: ClusterSpec, group: Any) -> list[Obj]:
    """KubeadmConfigTemplate, AWSSnowMachineTemplate and MachineDeployment of one group."""
    name = f"{spec.name}-{group.name}"
    mc = _mc(spec, group.machine_group_ref.name if group.machine_group_ref else None)
    template = machine_template(spec, name, mc)
    join: Obj = {
        "joinConfiguration": {
            "nodeRegistration": _registration(group.labels, taints(group.taints) or None),
            **kubelet_patches(group.kubelet_configuration),
        },
        "format": bootstrap_format(os_family(mc)),
    }
    files = kubelet_files(group.kubelet_configuration) + mirror_files(spec.cluster) + proxy_files(spec.cluster)
    if files:
        join["files"] = files
    commands = ([] if is_bottlerocket(mc) else ["/etc/eks/bootstrap.sh"]) + mirror_commands(spec.cluster) + proxy_commands(spec.cluster)
    if commands:
        join["preKubeadmCommands"] = commands
    kct_name = f"{name}-template-{template_hash(join)}"
    md = machine_deployment(
        spec,
        group,
        _meta(name, spec.name),
        kube_version(str(group.kubernetes_version or spec.kubernetes_version)),
        kct_name,
        ref(INFRA_V, "AWSSnowMachineTemplate", template["metadata"]["name"]),
    )
    kct = {
        "apiVersion": BOOTSTRAP_V,
        "kind": "KubeadmConfigTemplate",
        "metadata": _meta(kct_name),
        "spec": {"template": {"spec": join}},
    }
    return [kct, template, md]


def cluster(spec: ClusterSpec) -> Obj:
    net = spec.cluster.spec.cluster_network
    pods = list((net.pods.cidr_blocks if net and net.pods else None) or ["192.168.0.0/16"])
    services = list((net.services.cidr_blocks if net and net.services else None) or ["10.96.0.0/12"])
    cspec: Obj = {
        "clusterNetwork": {
            "pods": {"cidrBlocks": [str(p) for p in pods]},
            "services": {"cidrBlocks": [str(s) for s in services]},
        },
        "controlPlaneEndpoint": {"host": endpoint_host(spec), "port": API_PORT},
        "controlPlaneRef": ref(CONTROLPLANE_V, "KubeadmControlPlane", spec.name),
        "infrastructureRef": ref(INFRA_V, "AWSSnowCluster", spec.name),
    }
    if spec.cluster.spec.external_etcd_configuration is not None:
        cspec["managedExternalEtcdRef"] = ref(ETCD_V, "EtcdadmCluster", f"{spec.name}-etcd")
    return {"apiVersion": CLUSTER_V, "kind": "Cluster", "metadata": _meta(spec.name, spec.name), "spec": cspec}


def render(spec: ClusterSpec) -> list[Obj]:
    """Every CAPI/CAPAS object of the cluster except the credentials Secret, owners first."""
    conf = spec.cluster.spec.control_plane_configuration
    cp_template = machine_template(spec, f"{spec.name}-control-plane", _mc(spec, conf.machine_group_ref.name if conf.machine_group_ref else None))
    docs: list[Obj] = [cluster(spec), snow_cluster(spec), *ip_pools(spec).values(), cp_template, control_plane(spec, cp_template["metadata"]["name"])]
    etcd = spec.cluster.spec.external_etcd_configuration
    if etcd is not None:
        etcd_template = machine_template(spec, f"{spec.name}-etcd", _mc(spec, etcd.machine_group_ref.name if etcd.machine_group_ref else None))
        docs += [etcd_template, etcd_cluster(spec, etcd_template["metadata"]["name"])]
    for group in spec.cluster.workers:
        docs += workers(spec, group)
    return docs


def credentials_secret(cluster_name: str, credentials_b64: str, ca_bundles_b64: str) -> Obj:
    """The Secret AWSSnowCluster's ``identityRef`` names (``CAPASCredentialsSecret``): the
    base64 of each file as the value, moved with the cluster. Build it only at apply time."""
    def data(value: str) -> str:
        return base64.b64encode(value.encode()).decode()

    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": credentials_secret_name(cluster_name), "namespace": NAMESPACE, "labels": {MOVE_LABEL: "true"}},
        "type": "Opaque",
        "data": {"credentials": data(credentials_b64), "ca-bundle": data(ca_bundles_b64)},
    }

