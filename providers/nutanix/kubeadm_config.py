"""The kubeadm side of a Nutanix cluster, in the shapes of EKS-A's ``cp-template.yaml`` and
``md-template.yaml``: the KubeadmControlPlane (kube-vip static pod holding the endpoint,
``cloud-provider: external``, EKS-A's hostname and ``/etc/hosts`` commands, the
``super-admin.conf`` switch from 1.29, proxy and registry-mirror files) and per worker
group a KubeadmConfigTemplate with NutanixMachineTemplate(s) and MachineDeployment(s) - one
pair per failure domain naming the group, the replicas spread as EKS-A spreads them.
"""

from __future__ import annotations

import copy
from typing import Any

import yaml

from eksa_temporal.providers.kubeadm import (
    BOOTSTRAP_V,
    CONTROL_PLANE_ROLE,
    CONTROLPLANE_V,
    CRI_SOCKET,
    EVICTION_HARD,
    INFRA_V,
    endpoint_host,
    kubelet_files,
    kubelet_patches,
    machine_deployment,
    mirror_commands,
    mirror_files,
    node_labels,
    ref,
    taints,
    template_hash,
)
from eksa_temporal.providers.nutanix.objects import (
    API_PORT,
    HOSTNAME,
    datacenter,
    kube_version,
    machine_config,
    machine_template,
    meta,
    minor,
    prism_host,
)
from eksa_temporal.providers.proxy import proxy_commands, proxy_files
from eksa_temporal.spec.clusterspec import ClusterSpec
from eksa_temporal.spec.nutanix import NutanixDatacenterFailureDomain, NutanixMachineConfig

Obj = dict[str, Any]

KUBE_VIP_IMAGE = "public.ecr.aws/l0g8r8j6/kube-vip/kube-vip:v0.8.9-eks-a-v0.22.0-eks-a-84"


def _users(mc: NutanixMachineConfig | None) -> list[Obj]:
    users = (mc.spec.users if mc is not None else None) or []
    return [
        {
            "name": u.name,
            "lockPassword": False,
            "sudo": "ALL=(ALL) NOPASSWD:ALL",
            "sshAuthorizedKeys": [str(k) for k in u.ssh_authorized_keys or []],
        }
        for u in users
    ]


def kube_vip_file(address: str, image: str = KUBE_VIP_IMAGE) -> Obj:
    """The kube-vip static pod holding the control-plane endpoint (ARP, leader election)."""
    env = {
        "vip_arp": "true",
        "address": address,
        "port": str(API_PORT),
        "vip_cidr": "32",
        "cp_enable": "true",
        "cp_namespace": "kube-system",
        "vip_ddns": "false",
        "vip_leaderelection": "true",
        "vip_leaseduration": "15",
        "vip_renewdeadline": "10",
        "vip_retryperiod": "2",
        "svc_enable": "false",
        "lb_enable": "false",
    }
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "kube-vip", "namespace": "kube-system"},
        "spec": {
            "containers": [
                {
                    "name": "kube-vip",
                    "image": image,
                    "imagePullPolicy": "IfNotPresent",
                    "args": ["manager"],
                    "env": [{"name": k, "value": v} for k, v in env.items()],
                    "securityContext": {
                        "capabilities": {"add": ["NET_ADMIN", "SYS_TIME", "NET_RAW"]}
                    },
                    "volumeMounts": [
                        {"mountPath": "/etc/kubernetes/admin.conf", "name": "kubeconfig"}
                    ],
                }
            ],
            "hostNetwork": True,
            "volumes": [
                {
                    "name": "kubeconfig",
                    "hostPath": {"type": "FileOrCreate", "path": "/etc/kubernetes/admin.conf"},
                }
            ],
        },
    }
    return {
        "content": yaml.safe_dump(pod, sort_keys=False),
        "owner": "root:root",
        "path": "/etc/kubernetes/manifests/kube-vip.yaml",
    }


def _kubelet_args(labels: Any, extra: dict[str, str], kubelet_configuration: Any) -> dict[str, str]:
    """EKS-A's Nutanix kubelet arguments: the external cloud provider, ``extra`` unless a
    kubelet configuration is given (it then carries them), the node labels."""
    args = {"cloud-provider": "external"}
    if not kubelet_configuration:
        args.update(extra)
    args.update(node_labels(labels))
    return args


def _pre_commands(spec: ClusterSpec) -> list[str]:
    commands = [c for c in mirror_commands(spec.cluster) if c.startswith("cat ")]
    if mirror_commands(spec.cluster) or proxy_commands(spec.cluster):
        commands += ["sudo systemctl daemon-reload", "sudo systemctl restart containerd"]
    return [*commands, f'hostnamectl set-hostname "{HOSTNAME}"']


def _cp_taints(spec: ClusterSpec) -> list[Obj] | None:
    """EKS-A: no taints without worker groups; the configured ones when set; else kubeadm's."""
    conf = spec.cluster.spec.control_plane_configuration
    if not spec.cluster.workers:
        return []
    return taints(conf.taints) if conf.taints is not None else None


def control_plane(spec: ClusterSpec, namespace: str, template_name: str) -> Obj:
    conf = spec.cluster.spec.control_plane_configuration
    mc = machine_config(spec, conf.machine_group_ref.name if conf.machine_group_ref else None)
    kc = conf.kubelet_configuration
    cp_taints = _cp_taints(spec)
    init_reg: Obj = {
        "kubeletExtraArgs": _kubelet_args(conf.labels, {"eviction-hard": EVICTION_HARD}, kc),
    }
    join_reg: Obj = {
        "criSocket": CRI_SOCKET,
        "kubeletExtraArgs": _kubelet_args(
            conf.labels, {"read-only-port": "0", "anonymous-auth": "false"}, kc
        ),
        "name": HOSTNAME,
    }
    if cp_taints is not None:
        init_reg["taints"] = cp_taints
        join_reg["taints"] = copy.deepcopy(cp_taints)
    api_args = {
        "audit-log-maxage": "30",
        "audit-log-maxbackup": "10",
        "audit-log-maxsize": "512",
        **({"cloud-provider": "external"} if minor(spec) < 33 else {}),
        **{k: str(v) for k, v in (conf.api_server_extra_args or {}).items()},
    }
    api_server: Obj = {
        "certSANs": ["localhost", "127.0.0.1", "0.0.0.0", *[str(s) for s in conf.cert_sans or []]],
        "extraArgs": api_args,
    }
    files = [
        *kubelet_files(kc),
        kube_vip_file(endpoint_host(spec)),
        *mirror_files(spec.cluster),
        *proxy_files(spec.cluster, prism_host(spec)),
    ]
    commands = [
        *_pre_commands(spec),
        'echo "::1         ipv6-localhost ipv6-loopback" >/etc/hosts',
        'echo "127.0.0.1   localhost" >>/etc/hosts',
        f'echo "127.0.0.1   {HOSTNAME}" >> /etc/hosts',
    ]
    if minor(spec) >= 29:
        commands.append(
            "if [ -f /run/kubeadm/kubeadm.yaml ]; then sed -i 's#path: /etc/kubernetes/admin.conf"
            "#path: /etc/kubernetes/super-admin.conf#' /etc/kubernetes/manifests/kube-vip.yaml; fi"
        )
    kubeadm: Obj = {
        "clusterConfiguration": {
            "apiServer": api_server,
            "controllerManager": {
                "extraArgs": {"cloud-provider": "external", "enable-hostpath-provisioner": "true"}
            },
        },
        "initConfiguration": {"nodeRegistration": init_reg, **kubelet_patches(kc)},
        "joinConfiguration": {"nodeRegistration": join_reg, **kubelet_patches(kc)},
        "files": files,
        "users": _users(mc),
        "preKubeadmCommands": commands,
        "postKubeadmCommands": [
            "echo export KUBECONFIG=/etc/kubernetes/admin.conf >> /root/.bashrc"
        ],
    }
    return {
        "apiVersion": CONTROLPLANE_V,
        "kind": "KubeadmControlPlane",
        "metadata": meta(spec.name, namespace, spec.name),
        "spec": {
            "replicas": int(conf.count or 1),
            "version": kube_version(spec),
            "machineTemplate": {
                "metadata": {"labels": {CONTROL_PLANE_ROLE: ""}},
                "infrastructureRef": ref(INFRA_V, "NutanixMachineTemplate", template_name),
            },
            "kubeadmConfigSpec": kubeadm,
            "rolloutStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}},
        },
    }


def replicas_per_failure_domain(
    group: Any, domains: list[NutanixDatacenterFailureDomain]
) -> dict[str, int]:
    """EKS-A's ``calcFailureDomainReplicas``: the group's count (one per domain without a
    count) spread evenly, the remainder on the first domain."""
    if not domains:
        return {}
    total = int(group.count) if group.count is not None else len(domains)
    each = total // len(domains)
    split = {str(fd.name): each for fd in domains}
    split[str(domains[0].name)] = total - (len(domains) - 1) * each
    return split


def workers(spec: ClusterSpec, namespace: str, group: Any) -> list[Obj]:
    """KubeadmConfigTemplate, NutanixMachineTemplate(s) and MachineDeployment(s) of one
    group: one pair per failure domain naming the group in ``workerMachineGroups`` (as
    EKS-A's ``md-template.yaml``: ``<cluster>-<group>-<domain>``, the replicas spread over
    the domains), else one."""
    name = f"{spec.name}-{group.name}"
    mc = machine_config(spec, group.machine_group_ref.name if group.machine_group_ref else None)
    kc = group.kubelet_configuration
    registration: Obj = {
        "kubeletExtraArgs": _kubelet_args(group.labels, {"eviction-hard": EVICTION_HARD}, kc),
        "name": HOSTNAME,
    }
    group_taints = taints(group.taints)
    if group_taints:
        registration["taints"] = group_taints
    join: Obj = {
        "preKubeadmCommands": _pre_commands(spec),
        "joinConfiguration": {"nodeRegistration": registration, **kubelet_patches(kc)},
        "users": _users(mc),
    }
    files = (
        kubelet_files(kc) + proxy_files(spec.cluster, prism_host(spec)) + mirror_files(spec.cluster)
    )
    if files:
        join["files"] = files
    kct_name = f"{name}-template-{template_hash(join)}"
    kct = {
        "apiVersion": BOOTSTRAP_V,
        "kind": "KubeadmConfigTemplate",
        "metadata": meta(kct_name, namespace),
        "spec": {"template": {"spec": join}},
    }
    domains = [
        fd
        for fd in datacenter(spec).spec.failure_domains or []
        if group.name in (fd.worker_machine_groups or [])
    ]
    split = replicas_per_failure_domain(group, domains)
    out: list[Obj] = [kct]
    choices: list[NutanixDatacenterFailureDomain | None] = [*domains] or [None]
    for fd in choices:
        md_name = f"{name}-{fd.name}" if fd is not None else name
        template = machine_template(spec, md_name, namespace, mc, fd)
        md = machine_deployment(
            spec,
            group,
            meta(md_name, namespace, spec.name),
            kube_version(spec, group.kubernetes_version),
            kct_name,
            ref(INFRA_V, "NutanixMachineTemplate", template["metadata"]["name"]),
        )
        if fd is not None:
            md["spec"]["template"]["spec"]["failureDomain"] = str(fd.name)
            if group.autoscaling_configuration is None:
                md["spec"]["replicas"] = split[str(fd.name)]
        out += [template, md]
    return out
