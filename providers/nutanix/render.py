"""Renders a Nutanix ``ClusterSpec`` into the Cluster API objects of CAPX (Cluster API
Provider Nutanix) in the shapes of EKS-A's Nutanix templates (``cp-template.yaml``,
``md-template.yaml``, ``machine-health-check-template.yaml``), at the v1beta1 API versions
of Cluster API v1.10 and CAPX v1.10: the trust-bundle ConfigMap (when the datacenter has
``additionalTrustBundle``), Cluster, NutanixCluster (Prism Central's address, port,
``insecure``, the credentials Secret and the failure domains), a NutanixMachineTemplate for
the control plane and KubeadmControlPlane, per worker group a KubeadmConfigTemplate and a
NutanixMachineTemplate and MachineDeployment (one pair per failure domain that names the
group), and the cluster's MachineHealthCheck.

The credentials Secret itself is not rendered here: ``credentials_secret`` builds it inside
the apply activity only (``NutanixProvider.credentials_secret``). Template names carry a
hash of what they render from (``providers.kubeadm.template_hash``), so a changed machine
config yields new templates and Cluster API rolls the machines; unchanged input renders
identical objects. The control-plane endpoint is held by kube-vip, as EKS-A renders it.
"""

from __future__ import annotations

import copy
from typing import Any

import yaml

from eksa_temporal.providers.kubeadm import (
    BOOTSTRAP_V,
    CLUSTER_NAME_LABEL,
    CLUSTER_V,
    CONTROL_PLANE_ROLE,
    CONTROLPLANE_V,
    CRI_SOCKET,
    EVICTION_HARD,
    INFRA_V,
    kubelet_files,
    machine_deployment,
    mirror_commands,
    mirror_files,
    node_labels,
    ref,
    taints,
    template_hash,
)
from eksa_temporal.providers.proxy import proxy_commands, proxy_files
from eksa_temporal.spec.clusterspec import ClusterSpec
from eksa_temporal.spec.nutanix import (
    NutanixDatacenterConfig,
    NutanixDatacenterFailureDomain,
    NutanixMachineConfig,
    NutanixResourceIdentifier,
)

Obj = dict[str, Any]

API_PORT = 6443
KUBE_VIP_IMAGE = "public.ecr.aws/l0g8r8j6/kube-vip/kube-vip:v0.8.9-eks-a-v0.22.0-eks-a-84"
HOSTNAME = "{{ ds.meta_data.hostname }}"
# clusterctl moves objects carrying this label with the cluster (CAPX reads the ConfigMap)
MOVE_LABEL = "clusterctl.cluster.x-k8s.io/move"


def credentials_secret_name(spec: ClusterSpec, secret: str | None = None) -> str:
    """EKS-A's ``CAPXSecretName``: ``capx-<cluster>`` unless the workflow names one."""
    return secret or f"capx-{spec.name}"


def kube_version(spec: ClusterSpec, version: str | None = None) -> str:
    """``"1.31"`` -> ``"v1.31.0"`` (a full version is kept)."""
    v = str(version or spec.kubernetes_version).strip().lstrip("v")
    return f"v{v}" if v.count(".") >= 2 else f"v{v}.0"


def _minor(spec: ClusterSpec) -> int:
    try:
        return int(str(spec.kubernetes_version).lstrip("v").split(".")[1])
    except (IndexError, ValueError):
        return 0


def _meta(name: str, namespace: str, cluster: str | None = None) -> Obj:
    meta: Obj = {"name": name, "namespace": namespace}
    if cluster:
        meta["labels"] = {CLUSTER_NAME_LABEL: cluster}
    return meta


def _datacenter(spec: ClusterSpec) -> NutanixDatacenterConfig:
    dc = spec.datacenter
    if not isinstance(dc, NutanixDatacenterConfig):
        raise ValueError("not a Nutanix cluster spec (no NutanixDatacenterConfig)")
    return dc


def _machine(spec: ClusterSpec, name: str | None) -> NutanixMachineConfig | None:
    mc = spec.machine_configs.get(name or "")
    return mc if isinstance(mc, NutanixMachineConfig) else None


def identifier(ident: NutanixResourceIdentifier | None) -> Obj:
    """A CAPX resource identifier (``type: name|uuid`` with that value)."""
    if ident is None:
        return {}
    if ident.type == "uuid":
        return {"type": "uuid", "uuid": str(ident.uuid or "")}
    return {"type": "name", "name": str(ident.name or "")}


def _prism_host(spec: ClusterSpec) -> list[str]:
    """Prism Central's address, which EKS-A adds to the machines' ``NO_PROXY``."""
    return [str(_datacenter(spec).spec.endpoint)]


def endpoint_host(spec: ClusterSpec) -> str:
    endpoint = spec.cluster.spec.control_plane_configuration.endpoint
    return str(endpoint.host) if endpoint is not None and endpoint.host else ""


def machine_template(
    spec: ClusterSpec,
    base: str,
    namespace: str,
    mc: NutanixMachineConfig | None,
    fd: NutanixDatacenterFailureDomain | None = None,
) -> Obj:
    """A NutanixMachineTemplate named ``<base>-<hash of its spec>``; with a failure
    domain, its Prism Element cluster and subnets replace the machine config's."""
    s = mc.spec if mc is not None else None
    tspec: Obj = {
        "providerID": f"nutanix://{spec.name}-m1",
        "vcpusPerSocket": int(s.vcpus_per_socket) if s else 1,
        "vcpuSockets": int(s.vcpu_sockets) if s else 1,
        "memorySize": str(s.memory_size) if s else "4Gi",
        "systemDiskSize": str(s.system_disk_size) if s else "40Gi",
        "image": identifier(s.image if s else None),
        "cluster": identifier(s.cluster if s else None),
        "subnet": [identifier(s.subnet)] if s and s.subnet else [],
    }
    if fd is not None:
        tspec["cluster"] = identifier(fd.cluster)
        tspec["subnet"] = [identifier(x) for x in fd.subnets or []]
    if s is not None:
        if s.boot_type:
            tspec["bootType"] = str(s.boot_type)
        if s.project is not None:
            tspec["project"] = identifier(s.project)
        if s.additional_categories:
            tspec["additionalCategories"] = [
                {"key": str(c.key), "value": str(c.value)} for c in s.additional_categories
            ]
        if s.gpus:
            tspec["gpus"] = [
                {"type": "deviceID", "deviceID": int(g.device_id or 0)}
                if g.type == "deviceID"
                else {"type": "name", "name": str(g.name or "")}
                for g in s.gpus
            ]
    return {
        "apiVersion": INFRA_V,
        "kind": "NutanixMachineTemplate",
        "metadata": _meta(f"{base}-{template_hash(tspec)}", namespace),
        "spec": {"template": {"spec": tspec}},
    }


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


def _patches(kubelet_configuration: Any) -> Obj:
    return {"patches": {"directory": "/etc/kubernetes/patches"}} if kubelet_configuration else {}


def _pre_commands(spec: ClusterSpec) -> list[str]:
    commands = [c for c in mirror_commands(spec.cluster) if c.startswith("cat ")]
    if mirror_commands(spec.cluster) or proxy_commands(spec.cluster):
        commands += ["sudo systemctl daemon-reload", "sudo systemctl restart containerd"]
    return [*commands, f'hostnamectl set-hostname "{HOSTNAME}"']


def cluster(spec: ClusterSpec, namespace: str) -> Obj:
    net = spec.cluster.spec.cluster_network
    pods = list((net.pods.cidr_blocks if net and net.pods else None) or ["192.168.0.0/16"])
    services = list(
        (net.services.cidr_blocks if net and net.services else None) or ["10.96.0.0/12"]
    )
    return {
        "apiVersion": CLUSTER_V,
        "kind": "Cluster",
        "metadata": _meta(spec.name, namespace, spec.name),
        "spec": {
            "clusterNetwork": {
                "pods": {"cidrBlocks": [str(p) for p in pods]},
                "services": {"cidrBlocks": [str(s) for s in services]},
                "serviceDomain": "cluster.local",
            },
            "controlPlaneEndpoint": {"host": endpoint_host(spec), "port": API_PORT},
            "controlPlaneRef": ref(CONTROLPLANE_V, "KubeadmControlPlane", spec.name),
            "infrastructureRef": ref(INFRA_V, "NutanixCluster", spec.name),
        },
    }


def trust_bundle_name(spec: ClusterSpec) -> str:
    return f"{spec.name}-trust-bundle"


def trust_bundle(spec: ClusterSpec, namespace: str) -> list[Obj]:
    """The ConfigMap of the datacenter's ``additionalTrustBundle`` (none without one),
    labelled to move with the cluster."""
    bundle = _datacenter(spec).spec.additional_trust_bundle
    if not bundle:
        return []
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                **_meta(trust_bundle_name(spec), namespace),
                "labels": {MOVE_LABEL: "true"},
            },
            "data": {"ca.crt": str(bundle)},
        }
    ]


def nutanix_cluster(spec: ClusterSpec, namespace: str, secret: str | None) -> Obj:
    """NutanixCluster: Prism Central (address, port, insecure, credentials Secret, trust
    bundle ConfigMap) and the datacenter's failure domains, all usable by the control plane."""
    dc = _datacenter(spec).spec
    prism: Obj = {
        "address": str(dc.endpoint),
        "port": int(dc.port or 9440),
        "insecure": bool(dc.insecure),
        "credentialRef": {"kind": "Secret", "name": credentials_secret_name(spec, secret)},
    }
    if dc.additional_trust_bundle:
        prism["additionalTrustBundle"] = {
            "kind": "ConfigMap",
            "name": trust_bundle_name(spec),
            "namespace": namespace,
        }
    domains = [
        {
            "name": str(fd.name),
            "cluster": identifier(fd.cluster),
            "subnets": [identifier(s) for s in fd.subnets or []],
            "controlPlane": True,
        }
        for fd in dc.failure_domains or []
    ]
    return {
        "apiVersion": INFRA_V,
        "kind": "NutanixCluster",
        "metadata": _meta(spec.name, namespace, spec.name),
        "spec": {
            "failureDomains": domains,
            "prismCentral": prism,
            "controlPlaneEndpoint": {"host": endpoint_host(spec), "port": API_PORT},
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
        **({"cloud-provider": "external"} if _minor(spec) < 33 else {}),
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
        *proxy_files(spec.cluster, _prism_host(spec)),
    ]
    commands = [
        *_pre_commands(spec),
        'echo "::1         ipv6-localhost ipv6-loopback" >/etc/hosts',
        'echo "127.0.0.1   localhost" >>/etc/hosts',
        f'echo "127.0.0.1   {HOSTNAME}" >> /etc/hosts',
    ]
    if _minor(spec) >= 29:
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
        "initConfiguration": {"nodeRegistration": init_reg, **_patches(kc)},
        "joinConfiguration": {"nodeRegistration": join_reg, **_patches(kc)},
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
        "metadata": _meta(spec.name, namespace, spec.name),
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
    mc = _machine(spec, group.machine_group_ref.name if group.machine_group_ref else None)
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
        "joinConfiguration": {"nodeRegistration": registration, **_patches(kc)},
        "users": _users(mc),
    }
    files = (
        kubelet_files(kc)
        + proxy_files(spec.cluster, _prism_host(spec))
        + mirror_files(spec.cluster)
    )
    if files:
        join["files"] = files
    kct_name = f"{name}-template-{template_hash(join)}"
    kct = {
        "apiVersion": BOOTSTRAP_V,
        "kind": "KubeadmConfigTemplate",
        "metadata": _meta(kct_name, namespace),
        "spec": {"template": {"spec": join}},
    }
    domains = [
        fd
        for fd in _datacenter(spec).spec.failure_domains or []
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
            _meta(md_name, namespace, spec.name),
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


def machine_health_check(spec: ClusterSpec, namespace: str) -> Obj:
    """EKS-A's ``<cluster>-mhc``: every machine of the cluster, the node conditions it
    remediates after 5 minutes, 10 minutes to start, at most 40% unhealthy."""
    conditions = [
        ("Ready", "False"),
        ("Ready", "Unknown"),
        ("MemoryPressure", "True"),
        ("DiskPressure", "True"),
        ("PIDPressure", "True"),
        ("NetworkUnavailable", "True"),
    ]
    return {
        "apiVersion": CLUSTER_V,
        "kind": "MachineHealthCheck",
        "metadata": _meta(f"{spec.name}-mhc", namespace, spec.name),
        "spec": {
            "clusterName": spec.name,
            "selector": {"matchLabels": {CLUSTER_NAME_LABEL: spec.name}},
            "nodeStartupTimeout": "10m0s",
            "unhealthyConditions": [
                {"type": t, "status": s, "timeout": "5m0s"} for t, s in conditions
            ],
            "maxUnhealthy": "40%",
        },
    }


def render(spec: ClusterSpec, namespace: str, secret: str | None = None) -> list[Obj]:
    """Every CAPI/CAPX object of the cluster except the credentials Secret, owners first."""
    conf = spec.cluster.spec.control_plane_configuration
    cp_mc = _machine(spec, conf.machine_group_ref.name if conf.machine_group_ref else None)
    cp_template = machine_template(spec, f"{spec.name}-control-plane", namespace, cp_mc)
    docs: list[Obj] = [
        *trust_bundle(spec, namespace),
        cluster(spec, namespace),
        nutanix_cluster(spec, namespace, secret),
        cp_template,
        control_plane(spec, namespace, cp_template["metadata"]["name"]),
    ]
    for group in spec.cluster.workers:
        docs += workers(spec, namespace, group)
    docs.append(machine_health_check(spec, namespace))
    return docs
