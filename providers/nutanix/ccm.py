"""The Nutanix cloud controller manager (CCM) of a cluster, as EKS-A's ``cp-template.yaml``
deploys it: the kubelets run with ``cloud-provider: external``, so until a CCM initializes
a node it keeps the ``node.cloudprovider.kubernetes.io/uninitialized`` taint and ordinary
pods do not schedule there.

Cluster API's ClusterResourceSet controller (core CAPI) applies the CCM to the new cluster:
the ConfigMap ``<c>-nutanix-ccm`` holds the manifests (ServiceAccount, the ``nutanix-config``
ConfigMap naming Prism Central, RBAC, the Deployment, and the ``user-ca-bundle`` ConfigMap
when the datacenter has ``additionalTrustBundle``), the Secret ``<c>-nutanix-ccm-secret``
(type ``addons.cluster.x-k8s.io/resource-set``) holds the ``kube-system/nutanix-creds``
Secret with the Prism Central login, and the ClusterResourceSet ``<c>-nutanix-ccm-crs``
selects the cluster by its ``cluster.x-k8s.io/cluster-name`` label.

The ConfigMap and the ClusterResourceSet are rendered with the other CAPI objects; the
Secret is built inside the apply activity only (``NutanixProvider.secret_objects``), like
CAPX's credentials Secret. All three carry clusterctl's move label so they move with the
cluster, and its cluster-name label (with the owner label every applied object gets) so
its delete removes them: nothing owns them. ``ignored_node_ips`` follows EKS-A's
``generateCcmIgnoredNodeIPsList``: the control-plane endpoint, then each ``ccmExcludeNodeIPs`` entry (an address, a CIDR - every
address in it - or an ``a-b`` range, both ends included).
"""

from __future__ import annotations

import base64
import ipaddress
import json
from typing import Any

import yaml

from eksa_temporal.providers.kubeadm import CLUSTER_NAME_LABEL, endpoint_host
from eksa_temporal.providers.nutanix.credentials import Credentials, capx_credentials_json
from eksa_temporal.providers.nutanix.objects import addon_labels, datacenter
from eksa_temporal.spec.clusterspec import ClusterSpec

Obj = dict[str, Any]

# the Nutanix CCM release that goes with CAPX v1.10 (EKS-A's bundle builds the same source)
CCM_IMAGE = "ghcr.io/nutanix-cloud-native/cloud-provider-nutanix/controller:v0.5.2"
ADDONS_V = "addons.cluster.x-k8s.io/v1beta1"
RESOURCE_SET_SECRET_TYPE = "addons.cluster.x-k8s.io/resource-set"
# a CIDR larger than this is refused by the spec rules: the CCM's config lists every address
MAX_EXCLUDED_ADDRESSES = 65536


def config_map_name(spec: ClusterSpec) -> str:
    return f"{spec.name}-nutanix-ccm"


def secret_name(spec: ClusterSpec) -> str:
    return f"{spec.name}-nutanix-ccm-secret"


def excluded_addresses(entry: str) -> list[str]:
    """The addresses of one ``ccmExcludeNodeIPs`` entry; ``ValueError`` (one line) when it
    is neither an address, a CIDR nor an ``a-b`` range with ``a`` <= ``b``."""
    text = entry.strip()
    if "/" in text:
        try:
            net = ipaddress.ip_network(text, strict=False)
        except ValueError as exc:
            raise ValueError(f"invalid CIDR {text}: {exc}") from None
        if net.num_addresses > MAX_EXCLUDED_ADDRESSES:
            raise ValueError(f"CIDR {text} holds {net.num_addresses} addresses, more than {MAX_EXCLUDED_ADDRESSES}")
        return [str(a) for a in net]
    if "-" in text:
        parts = text.split("-")
        if len(parts) != 2:
            raise ValueError(f"invalid IP range {text}")
        ends = []
        for which, part in zip(("start", "end"), parts, strict=True):
            try:
                ends.append(ipaddress.ip_address(part.strip()))
            except ValueError:
                raise ValueError(f"invalid {which} IP address {part.strip()}") from None
        start, end = ends
        if start.version != end.version:
            raise ValueError(f"IP range {text} mixes IPv4 and IPv6")
        if start > end:  # type: ignore[operator]
            raise ValueError(f"start IP address {start} is greater than end IP address {end}")
        count = int(end) - int(start) + 1
        if count > MAX_EXCLUDED_ADDRESSES:
            raise ValueError(f"IP range {text} holds {count} addresses, more than {MAX_EXCLUDED_ADDRESSES}")
        return [str(ipaddress.ip_address(int(start) + i)) for i in range(count)]
    try:
        return [str(ipaddress.ip_address(text))]
    except ValueError:
        raise ValueError(f"invalid IP address {text}") from None


def ignored_node_ips(spec: ClusterSpec) -> list[str]:
    """The control-plane endpoint, then the addresses of ``ccmExcludeNodeIPs``."""
    out = [endpoint_host(spec)]
    for entry in datacenter(spec).spec.ccm_exclude_node_ips or []:
        out += excluded_addresses(str(entry))
    return out


def _manifests(spec: ClusterSpec) -> list[Obj]:
    dc = datacenter(spec).spec
    prism: Obj = {
        "address": str(dc.endpoint),
        "port": int(dc.port or 9440),
        "insecure": bool(dc.insecure),
        "credentialRef": {"kind": "secret", "name": "nutanix-creds", "namespace": "kube-system"},
    }
    docs: list[Obj] = []
    if dc.additional_trust_bundle:
        prism["additionalTrustBundle"] = {"kind": "ConfigMap", "name": "user-ca-bundle", "namespace": "kube-system"}
        docs.append({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "user-ca-bundle", "namespace": "kube-system"},
            "data": {"ca.crt": str(dc.additional_trust_bundle)},
        })
    config = {
        "prismCentral": prism,
        "enableCustomLabeling": False,
        "topologyDiscovery": {"type": "Prism"},
        "ignoredNodeIPs": ignored_node_ips(spec),
    }
    sa = {"name": "cloud-controller-manager", "namespace": "kube-system"}
    labels = {"k8s-app": "nutanix-cloud-controller-manager"}
    rules = [
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch"]},
        {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]},
        {"apiGroups": [""], "resources": ["events"], "verbs": ["create", "patch", "update"]},
        {"apiGroups": [""], "resources": ["nodes"], "verbs": ["*"]},
        {"apiGroups": [""], "resources": ["nodes/status"], "verbs": ["patch"]},
        {"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["create"]},
        {"apiGroups": [""], "resources": ["endpoints"], "verbs": ["create", "get", "list", "watch", "update"]},
        {
            "apiGroups": ["coordination.k8s.io"], "resources": ["leases"],
            "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"],
        },
    ]
    tolerations = [
        {"effect": "NoSchedule", "key": "node-role.kubernetes.io/master", "operator": "Exists"},
        {"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane", "operator": "Exists"},
        {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists", "tolerationSeconds": 120},
        {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists", "tolerationSeconds": 120},
        {"effect": "NoSchedule", "key": "node.cloudprovider.kubernetes.io/uninitialized", "operator": "Exists"},
        {"effect": "NoSchedule", "key": "node.kubernetes.io/not-ready", "operator": "Exists"},
    ]
    container = {
        "image": CCM_IMAGE,
        "imagePullPolicy": "IfNotPresent",
        "name": "nutanix-cloud-controller-manager",
        "env": [{"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}}],
        "args": ["--leader-elect=true", "--cloud-config=/etc/cloud/nutanix_config.json"],
        "resources": {"requests": {"cpu": "100m", "memory": "50Mi"}},
        "volumeMounts": [{"mountPath": "/etc/cloud", "name": "nutanix-config-volume", "readOnly": True}],
    }
    docs += [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": dict(sa)},
        {
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "nutanix-config", "namespace": "kube-system"},
            "data": {"nutanix_config.json": json.dumps(config, indent=2)},
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {
                "name": "system:cloud-controller-manager",
                "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"},
            },
            "rules": rules,
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": "system:cloud-controller-manager"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:cloud-controller-manager"},
            "subjects": [{"kind": "ServiceAccount", **sa}],
        },
        {
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "nutanix-cloud-controller-manager", "namespace": "kube-system", "labels": dict(labels)},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": dict(labels)},
                "strategy": {"type": "Recreate"},
                "template": {
                    "metadata": {"labels": dict(labels)},
                    "spec": {
                        "hostNetwork": True,
                        "priorityClassName": "system-cluster-critical",
                        "nodeSelector": {"node-role.kubernetes.io/control-plane": ""},
                        "serviceAccountName": sa["name"],
                        "affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                            {"labelSelector": {"matchLabels": dict(labels)}, "topologyKey": "kubernetes.io/hostname"}
                        ]}},
                        "dnsPolicy": "Default",
                        "tolerations": tolerations,
                        "containers": [container],
                        "volumes": [{"name": "nutanix-config-volume", "configMap": {"name": "nutanix-config"}}],
                    },
                },
            },
        },
    ]
    return docs


def config_map(spec: ClusterSpec, namespace: str) -> Obj:
    """``<c>-nutanix-ccm``: the CCM's manifests (no credentials) for the ClusterResourceSet."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": config_map_name(spec), "namespace": namespace, "labels": addon_labels(spec)},
        "data": {"nutanix-ccm.yaml": yaml.safe_dump_all(_manifests(spec), sort_keys=False)},
    }


def resource_set(spec: ClusterSpec, namespace: str) -> Obj:
    """``<c>-nutanix-ccm-crs``: applies the CCM ConfigMap and Secret to the cluster."""
    return {
        "apiVersion": ADDONS_V,
        "kind": "ClusterResourceSet",
        "metadata": {"name": f"{spec.name}-nutanix-ccm-crs", "namespace": namespace, "labels": addon_labels(spec)},
        "spec": {
            "clusterSelector": {"matchLabels": {CLUSTER_NAME_LABEL: spec.name}},
            "resources": [
                {"kind": "ConfigMap", "name": config_map_name(spec)},
                {"kind": "Secret", "name": secret_name(spec)},
            ],
            "strategy": "Reconcile",
        },
    }


def credentials_secret(spec: ClusterSpec, namespace: str, creds: Credentials) -> Obj:
    """``<c>-nutanix-ccm-secret``: the ``kube-system/nutanix-creds`` Secret the CCM reads,
    wrapped for the ClusterResourceSet. Built in the apply activity only."""
    inner = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "nutanix-creds", "namespace": "kube-system"},
        "data": {"credentials": base64.b64encode(capx_credentials_json(creds).encode()).decode()},
    }
    doc = yaml.safe_dump(inner, sort_keys=False)
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": RESOURCE_SET_SECRET_TYPE,
        "metadata": {"name": secret_name(spec), "namespace": namespace, "labels": addon_labels(spec)},
        "data": {"nutanix-ccm-secret.yaml": base64.b64encode(doc.encode()).decode()},
    }
