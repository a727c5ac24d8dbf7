"""Pieces every Nutanix renderer shares (``render.py``, ``kubeadm_config.py``): the
names EKS-A gives (the ``capx-<cluster>`` credentials Secret), the machine configs and
datacenter of a spec, CAPX resource identifiers, and the NutanixMachineTemplate of a
machine config (optionally placed in a failure domain), named by a hash of its content.
"""

from __future__ import annotations

from typing import Any

from eksa_temporal.providers.kubeadm import (
    CLUSTER_NAME_LABEL,
    INFRA_V,
    template_hash,
)
from eksa_temporal.providers.kubeadm import (
    kube_version as full_version,
)
from eksa_temporal.spec.clusterspec import ClusterSpec
from eksa_temporal.spec.nutanix import (
    NutanixDatacenterConfig,
    NutanixDatacenterFailureDomain,
    NutanixMachineConfig,
    NutanixResourceIdentifier,
)

Obj = dict[str, Any]

API_PORT = 6443
HOSTNAME = "{{ ds.meta_data.hostname }}"
# clusterctl moves objects carrying this label with the cluster (CAPX reads the ConfigMap)
MOVE_LABEL = "clusterctl.cluster.x-k8s.io/move"


def addon_labels(spec: ClusterSpec) -> dict[str, str]:
    """Labels of an object of this cluster that nothing owns (the CCM's, the trust bundle):
    clusterctl moves it with the cluster, and the cluster's delete removes it by its
    cluster-name label and owner label (Cluster API leaves it behind)."""
    return {MOVE_LABEL: "true", CLUSTER_NAME_LABEL: spec.name}


def credentials_secret_name(spec: ClusterSpec, secret: str | None = None) -> str:
    """EKS-A's ``CAPXSecretName``: ``capx-<cluster>`` unless the workflow names one."""
    return secret or f"capx-{spec.name}"


def kube_version(spec: ClusterSpec, version: str | None = None) -> str:
    """``"1.31"`` -> ``"v1.31.0"`` (a full version is kept)."""
    return full_version(version or spec.kubernetes_version)


def minor(spec: ClusterSpec) -> int:
    try:
        return int(str(spec.kubernetes_version).lstrip("v").split(".")[1])
    except (IndexError, ValueError):
        return 0


def meta(name: str, namespace: str, cluster: str | None = None) -> Obj:
    out: Obj = {"name": name, "namespace": namespace}
    if cluster:
        out["labels"] = {CLUSTER_NAME_LABEL: cluster}
    return out


def datacenter(spec: ClusterSpec) -> NutanixDatacenterConfig:
    dc = spec.datacenter
    if not isinstance(dc, NutanixDatacenterConfig):
        raise ValueError("not a Nutanix cluster spec (no NutanixDatacenterConfig)")
    return dc


def machine_config(spec: ClusterSpec, name: str | None) -> NutanixMachineConfig | None:
    mc = spec.machine_configs.get(name or "")
    return mc if isinstance(mc, NutanixMachineConfig) else None


def identifier(ident: NutanixResourceIdentifier | None) -> Obj:
    """A CAPX resource identifier (``type: name|uuid`` with that value)."""
    if ident is None:
        return {}
    if ident.type == "uuid":
        return {"type": "uuid", "uuid": str(ident.uuid or "")}
    return {"type": "name", "name": str(ident.name or "")}


def prism_host(spec: ClusterSpec) -> list[str]:
    """Prism Central's address, which EKS-A adds to the machines' ``NO_PROXY``."""
    return [str(datacenter(spec).spec.endpoint)]


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
        "metadata": meta(f"{base}-{template_hash(tspec)}", namespace),
        "spec": {"template": {"spec": tspec}},
    }
