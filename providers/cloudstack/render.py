"""Renders a CloudStack ``ClusterSpec`` into the Cluster API objects of CAPC
(cluster-api-provider-cloudstack v0.6, ``infrastructure.cluster.x-k8s.io/v1beta3``) in the
shapes of EKS-A's CloudStack templates (``template-cp.yaml``, ``template-md.yaml``), with the
Cluster API objects at the v1beta1 versions of Cluster API v1.10: Cluster,
CloudStackCluster (one failure domain per availability zone, its ``acsEndpoint`` the
credentials Secret named by the zone's ``credentialsRef``), a CloudStackMachineTemplate for
the control plane and the KubeadmControlPlane (kube-vip holding the endpoint), and per
worker group a KubeadmConfigTemplate, CloudStackMachineTemplate and MachineDeployment.

Nodes get CAPC's provider ID ``cloudstack:///<instance id>`` from cloud-init's
``ds.meta_data.instance_id``, as EKS-A writes it. Template names carry a hash of what they
render from (``providers.kubeadm.template_hash``): a changed offering or template yields a
new machine template and Cluster API rolls the machines; unchanged input renders the same.

``credential_secrets`` builds the failure-domain Secrets (EKS-A's ``generateSecret``:
``api-url``, ``api-key``, ``secret-key``, ``verify-ssl``) - the only objects holding keys.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from eksa_temporal.providers.cloudstack.credentials import Profile
from eksa_temporal.providers.cloudstack.view import Ident, Zone, zones
from eksa_temporal.providers.kubeadm import (
    BOOTSTRAP_V,
    CLUSTER_V,
    CONTROLPLANE_V,
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
from eksa_temporal.spec.cloudstack import CloudStackMachineConfig
from eksa_temporal.spec.clusterspec import ClusterSpec

Obj = dict[str, Any]

CAPC_V = "infrastructure.cluster.x-k8s.io/v1beta3"
API_PORT = 6443
MOVE_LABEL = "clusterctl.cluster.x-k8s.io/move"
PROVIDER_ID = "cloudstack:///'{{ ds.meta_data.instance_id }}'"
HOSTNAME = "{{ ds.meta_data.hostname }}"
ANNOTATION = "cloudstack.anywhere.eks.amazonaws.com/v1alpha1"
HOST_COMMANDS = [
    f'hostname "{HOSTNAME}"',
    'echo "::1         ipv6-localhost ipv6-loopback" >/etc/hosts',
    'echo "127.0.0.1   localhost" >>/etc/hosts',
    f'echo "127.0.0.1   {HOSTNAME}" >>/etc/hosts',
    f'echo "{HOSTNAME}" >/etc/hostname',
]


def kube_version(spec: ClusterSpec, version: str | None = None) -> str:
    """``"1.31"`` -> ``"v1.31.0"`` (a full version is kept)."""
    return full_version(version or spec.kubernetes_version)


def _machine(spec: ClusterSpec, name: Any) -> CloudStackMachineConfig | None:
    mc = spec.machine_configs.get(str(name.name) if name is not None else "")
    return mc if isinstance(mc, CloudStackMachineConfig) else None


def _ident(value: Any) -> Obj:
    ident = Ident.of(value)
    return {"id": ident.id} if ident.id else {"name": ident.name}


# -- credentials ------------------------------------------------------------------------------
def credential_secrets(spec: ClusterSpec, profiles: dict[str, Profile], namespace: str) -> list[Obj]:
    """One Secret per credentials profile the availability zones use (named like the
    profile, in ``namespace``, carrying clusterctl's move label)."""
    out: list[Obj] = []
    for name in sorted({z.credentials_ref for z in zones(spec)}):
        profile = profiles.get(name)
        if profile is None:
            continue
        out.append({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name, "namespace": namespace, "labels": {MOVE_LABEL: "true"}},
            "type": "Opaque",
            "stringData": {
                "api-url": profile.api_url,
                "api-key": profile.api_key.get_secret_value(),
                "secret-key": profile.secret_key.get_secret_value(),
                "verify-ssl": profile.verify_ssl_text(),
            },
        })
    return out


# -- infrastructure -----------------------------------------------------------------------------
def _failure_domain(zone: Zone, namespace: str) -> Obj:
    fd: Obj = {
        "name": zone.name,
        "zone": {
            "id": zone.zone.id,
            "name": zone.zone.name,
            "network": {"id": zone.network.id, "name": zone.network.name},
        },
        "acsEndpoint": {"name": zone.credentials_ref, "namespace": namespace},
    }
    if zone.domain:
        fd["domain"] = zone.domain
    if zone.account:
        fd["account"] = zone.account
    return fd


def cloudstack_cluster(spec: ClusterSpec, namespace: str) -> Obj:
    return {
        "apiVersion": CAPC_V,
        "kind": "CloudStackCluster",
        "metadata": object_meta(spec.name, namespace, spec.name),
        "spec": {
            "controlPlaneEndpoint": {"host": endpoint_host(spec), "port": API_PORT},
            "failureDomains": [_failure_domain(z, namespace) for z in zones(spec)],
        },
    }


def machine_template(base: str, namespace: str, mc: CloudStackMachineConfig | None) -> Obj:
    """A CloudStackMachineTemplate named ``<base>-<hash of its spec>``, with EKS-A's
    disk-offering and symlink annotations."""
    spec = mc.spec if mc is not None else None
    tspec: Obj = {
        "offering": _ident(spec.compute_offering if spec else None),
        "template": _ident(spec.template if spec else None),
        "sshKey": "",
    }
    annotations: dict[str, str] = {}
    if spec is not None:
        if spec.affinity_group_ids:
            tspec["affinityGroupIDs"] = [str(g) for g in spec.affinity_group_ids]
        if spec.affinity:
            tspec["affinity"] = str(spec.affinity)
        if spec.user_custom_details:
            tspec["details"] = {k: str(v) for k, v in spec.user_custom_details.items()}
        disk = spec.disk_offering
        if disk is not None and (disk.id or disk.name):
            tspec["diskOffering"] = {
                **_ident(disk),
                "customSizeInGB": int(disk.custom_size_in_gb or 0),
                "device": str(disk.device or ""),
                "filesystem": str(disk.filesystem or ""),
                "label": str(disk.label or ""),
                "mountPath": str(disk.mount_path or ""),
            }
            for key in ("device", "filesystem", "label"):
                annotations[f"{key}.diskoffering.{ANNOTATION}"] = tspec["diskOffering"][key]
            annotations[f"mountpath.diskoffering.{ANNOTATION}"] = tspec["diskOffering"]["mountPath"]
        if spec.symlinks:
            annotations[f"symlinks.{ANNOTATION}"] = ",".join(f"{k}:{v}" for k, v in sorted(spec.symlinks.items()))
    meta = object_meta(f"{base}-{template_hash([tspec, annotations])}", namespace)
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": CAPC_V, "kind": "CloudStackMachineTemplate", "metadata": meta, "spec": {"template": {"spec": tspec}}}


# -- kubeadm ---------------------------------------------------------------------------------------
def _registration(labels: Any, taint_list: list[Obj] | None) -> Obj:
    args = {"provider-id": PROVIDER_ID, "read-only-port": "0", "anonymous-auth": "false", **node_labels(labels)}
    return registration(args, taint_list, name=HOSTNAME)


def _users(mc: CloudStackMachineConfig | None) -> list[Obj]:
    users = (mc.spec.users if mc is not None else None) or []
    return [
        {"name": u.name, "sshAuthorizedKeys": [str(k) for k in u.ssh_authorized_keys or []], "sudo": "ALL=(ALL) NOPASSWD:ALL"}
        for u in users
    ]


def _symlink_commands(mc: CloudStackMachineConfig | None) -> list[str]:
    links = (mc.spec.symlinks if mc is not None else None) or {}
    return [
        f"if [ ! -L {d} ] ; then mv {d} {d}-$(tr -dc A-Za-z0-9 < /dev/urandom | head -c 10) ; "
        f"mkdir -p {t} && ln -s {t} {d} ; else echo \"{d} already symlnk\" ; fi"
        for d, t in sorted(links.items())
    ]


def _disk_setup(mc: CloudStackMachineConfig | None) -> Obj:
    disk = mc.spec.disk_offering if mc is not None else None
    if disk is None or not (disk.id or disk.name):
        return {}
    return {
        "diskSetup": {
            "filesystems": [{
                "device": f"{disk.device}1", "overwrite": False, "extraOpts": ["-E", "lazy_itable_init=1,lazy_journal_init=1"],
                "filesystem": str(disk.filesystem), "label": str(disk.label),
            }],
            "partitions": [{"device": str(disk.device), "layout": True, "overwrite": False, "tableType": "gpt"}],
        },
        "mounts": [[f"LABEL={disk.label}", str(disk.mount_path)]],
    }


def _commands(spec: ClusterSpec, mc: CloudStackMachineConfig | None) -> list[str]:
    return ["swapoff -a", *mirror_commands(spec.cluster), *proxy_commands(spec.cluster), *HOST_COMMANDS, *_symlink_commands(mc)]


def _extra_no_proxy(spec: ClusterSpec) -> Iterable[str]:
    """EKS-A adds each management API host to NO_PROXY."""
    return [h for h in (urlsplit(z.endpoint).hostname for z in zones(spec)) if h]


def cluster(spec: ClusterSpec, namespace: str) -> Obj:
    net = spec.cluster.spec.cluster_network
    pods = list((net.pods.cidr_blocks if net and net.pods else None) or ["192.168.0.0/16"])
    services = list((net.services.cidr_blocks if net and net.services else None) or ["10.96.0.0/12"])
    return {
        "apiVersion": CLUSTER_V,
        "kind": "Cluster",
        "metadata": object_meta(spec.name, namespace, spec.name),
        "spec": {
            "clusterNetwork": {"pods": {"cidrBlocks": [str(p) for p in pods]}, "services": {"cidrBlocks": [str(s) for s in services]}},
            "controlPlaneEndpoint": {"host": endpoint_host(spec), "port": API_PORT},
            "controlPlaneRef": ref(CONTROLPLANE_V, "KubeadmControlPlane", spec.name),
            "infrastructureRef": ref(CAPC_V, "CloudStackCluster", spec.name),
        },
    }


def _cp_taints(spec: ClusterSpec) -> list[Obj] | None:
    conf = spec.cluster.spec.control_plane_configuration
    if not spec.cluster.workers:
        return []
    return taints(conf.taints) if conf.taints is not None else None


def control_plane(spec: ClusterSpec, namespace: str, template_name: str) -> Obj:
    conf = spec.cluster.spec.control_plane_configuration
    mc = _machine(spec, conf.machine_group_ref)
    reg = _registration(conf.labels, _cp_taints(spec))
    api_args = {
        "cloud-provider": "external",
        "audit-log-maxage": "30",
        "audit-log-maxbackup": "10",
        "audit-log-maxsize": "512",
        "profiling": "false",
        **{k: str(v) for k, v in (conf.api_server_extra_args or {}).items()},
    }
    api_server: Obj = {"extraArgs": api_args}
    cert_sans = [str(s) for s in conf.cert_sans or []]
    if cert_sans:
        api_server["certSANs"] = cert_sans
    extra_no_proxy = _extra_no_proxy(spec)
    kubeadm: Obj = {
        "clusterConfiguration": {
            "apiServer": api_server,
            "controllerManager": {"extraArgs": {"cloud-provider": "external", "profiling": "false"}},
            "scheduler": {"extraArgs": {"profiling": "false"}},
        },
        "initConfiguration": {"nodeRegistration": reg, **kubelet_patches(conf.kubelet_configuration)},
        "joinConfiguration": {"nodeRegistration": copy.deepcopy(reg), **kubelet_patches(conf.kubelet_configuration)},
        "files": [
            kube_vip_file(endpoint_host(spec)),
            *kubelet_files(conf.kubelet_configuration),
            *mirror_files(spec.cluster),
            *proxy_files(spec.cluster, extra_no_proxy),
        ],
        "preKubeadmCommands": _commands(spec, mc),
        "users": _users(mc),
        "format": "cloud-config",
        **_disk_setup(mc),
    }
    return kubeadm_control_plane(spec, object_meta(spec.name, namespace, spec.name), kube_version(spec), ref(CAPC_V, "CloudStackMachineTemplate", template_name), kubeadm)


def workers(spec: ClusterSpec, namespace: str, group: Any) -> list[Obj]:
    """KubeadmConfigTemplate, CloudStackMachineTemplate and MachineDeployment of one group."""
    name = f"{spec.name}-{group.name}"
    mc = _machine(spec, group.machine_group_ref)
    template = machine_template(name, namespace, mc)
    join: Obj = {
        "joinConfiguration": {
            "nodeRegistration": _registration(group.labels, taints(group.taints)),
            **kubelet_patches(group.kubelet_configuration),
        },
        "preKubeadmCommands": _commands(spec, mc),
        "users": _users(mc),
        "format": "cloud-config",
        **_disk_setup(mc),
    }
    files = kubelet_files(group.kubelet_configuration) + mirror_files(spec.cluster) + proxy_files(spec.cluster, _extra_no_proxy(spec))
    if files:
        join["files"] = files
    kct_name = f"{name}-template-{template_hash(join)}"
    md = machine_deployment(
        spec,
        group,
        object_meta(name, namespace, spec.name),
        kube_version(spec, group.kubernetes_version),
        kct_name,
        ref(CAPC_V, "CloudStackMachineTemplate", template["metadata"]["name"]),
    )
    kct = {"apiVersion": BOOTSTRAP_V, "kind": "KubeadmConfigTemplate", "metadata": object_meta(kct_name, namespace), "spec": {"template": {"spec": join}}}
    return [kct, template, md]


def render(spec: ClusterSpec, namespace: str) -> list[Obj]:
    """Every CAPI/CAPC object of the cluster, owners first (no Secrets)."""
    conf = spec.cluster.spec.control_plane_configuration
    cp_template = machine_template(f"{spec.name}-control-plane", namespace, _machine(spec, conf.machine_group_ref))
    docs: list[Obj] = [
        cluster(spec, namespace),
        cloudstack_cluster(spec, namespace),
        cp_template,
        control_plane(spec, namespace, cp_template["metadata"]["name"]),
    ]
    for group in spec.cluster.workers:
        docs += workers(spec, namespace, group)
    return docs
