"""The kube-vip static pod that holds the control-plane endpoint IP on vSphere.

EKS-A writes it into the KubeadmControlPlane's ``files`` at
``/etc/kubernetes/manifests/kube-vip.yaml`` (ARP mode, leader election, port 6443); the
renderer (``providers.vsphere.render``) calls ``kube_vip_file`` with the endpoint IP.
"""

from __future__ import annotations

from typing import Any

import yaml

DEFAULT_IMAGE = "public.ecr.aws/l0g8r8j6/kube-vip/kube-vip:v0.8.9-eks-a-v0.22.0-eks-a-84"


def kube_vip_pod(
    address: str, image: str = DEFAULT_IMAGE, admin_conf: str = "/etc/kubernetes/admin.conf"
) -> dict[str, Any]:
    env = {
        "vip_arp": "true",
        "port": "6443",
        "vip_cidr": "32",
        "cp_enable": "true",
        "cp_namespace": "kube-system",
        "vip_ddns": "false",
        "vip_leaderelection": "true",
        "vip_leaseduration": "15",
        "vip_renewdeadline": "10",
        "vip_retryperiod": "2",
        "address": address,
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
    address: str, image: str = DEFAULT_IMAGE, bottlerocket: bool = False
) -> dict[str, Any]:
    """A KubeadmConfigSpec ``files`` entry with the kube-vip manifest for ``address``."""
    admin_conf = "/var/lib/kubeadm/admin.conf" if bottlerocket else "/etc/kubernetes/admin.conf"
    pod = kube_vip_pod(address, image, admin_conf)
    return {
        "content": yaml.safe_dump(pod, sort_keys=False),
        "owner": "root:root",
        "path": "/etc/kubernetes/manifests/kube-vip.yaml",
    }
