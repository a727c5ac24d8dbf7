"""Renders a Nutanix ``ClusterSpec`` into the Cluster API objects of CAPX (Cluster API
Provider Nutanix) in the shapes of EKS-A's Nutanix templates (``cp-template.yaml``,
``md-template.yaml``, ``machine-health-check-template.yaml``), at the v1beta1 API versions
of Cluster API v1.10 and CAPX v1.10: the trust-bundle ConfigMap (when the datacenter has
``additionalTrustBundle``), Cluster, NutanixCluster (Prism Central's address, port,
``insecure``, the credentials Secret and the failure domains), a NutanixMachineTemplate for
the control plane and KubeadmControlPlane, per worker group a KubeadmConfigTemplate and a
NutanixMachineTemplate and MachineDeployment (one pair per failure domain that names the
group), the cluster's MachineHealthCheck, and the cloud controller manager's ConfigMap and
ClusterResourceSet (``ccm``).

The credentials Secrets are not rendered here: CAPX's and the CCM's are built inside the
apply activity only (``NutanixProvider.secret_objects``). Template names carry a
hash of what they render from (``providers.kubeadm.template_hash``), so a changed machine
config yields new templates and Cluster API rolls the machines; unchanged input renders
identical objects. The control-plane endpoint is held by kube-vip, as EKS-A renders it.
"""

from __future__ import annotations

from typing import Any

from eksa_temporal.providers.kubeadm import (
    CLUSTER_NAME_LABEL,
    CLUSTER_V,
    CONTROLPLANE_V,
    INFRA_V,
    endpoint_host,
    ref,
)
from eksa_temporal.providers.nutanix import ccm
from eksa_temporal.providers.nutanix.kubeadm_config import control_plane, workers
from eksa_temporal.providers.nutanix.objects import (
    API_PORT,
    addon_labels,
    credentials_secret_name,
    datacenter,
    identifier,
    machine_config,
    machine_template,
    meta,
)
from eksa_temporal.spec.clusterspec import ClusterSpec

__all__ = ["credentials_secret_name", "render"]

Obj = dict[str, Any]


def cluster(spec: ClusterSpec, namespace: str) -> Obj:
    net = spec.cluster.spec.cluster_network
    pods = list((net.pods.cidr_blocks if net and net.pods else None) or ["192.168.0.0/16"])
    services = list(
        (net.services.cidr_blocks if net and net.services else None) or ["10.96.0.0/12"]
    )
    return {
        "apiVersion": CLUSTER_V,
        "kind": "Cluster",
        "metadata": meta(spec.name, namespace, spec.name),
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
    bundle = datacenter(spec).spec.additional_trust_bundle
    if not bundle:
        return []
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                **meta(trust_bundle_name(spec), namespace),
                "labels": addon_labels(spec),
            },
            "data": {"ca.crt": str(bundle)},
        }
    ]


def nutanix_cluster(spec: ClusterSpec, namespace: str, secret: str | None) -> Obj:
    """NutanixCluster: Prism Central (address, port, insecure, credentials Secret, trust
    bundle ConfigMap) and the datacenter's failure domains, all usable by the control plane."""
    dc = datacenter(spec).spec
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
        "metadata": meta(spec.name, namespace, spec.name),
        "spec": {
            "failureDomains": domains,
            "prismCentral": prism,
            "controlPlaneEndpoint": {"host": endpoint_host(spec), "port": API_PORT},
        },
    }


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
        "metadata": meta(f"{spec.name}-mhc", namespace, spec.name),
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
    """Every CAPI/CAPX object of the cluster except the credentials Secrets, owners first."""
    conf = spec.cluster.spec.control_plane_configuration
    cp_mc = machine_config(spec, conf.machine_group_ref.name if conf.machine_group_ref else None)
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
    docs += [ccm.config_map(spec, namespace), ccm.resource_set(spec, namespace)]
    return docs
