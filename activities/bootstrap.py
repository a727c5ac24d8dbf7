"""``bootstrap-cluster-init`` and ``delete-kind-cluster``: the throwaway bootstrap cluster
``<c>-eks-a-cluster`` (what ``kind create cluster`` is to EKS-A), through the
``providers.bootstrap.Bootstrapper`` seam.

Create is idempotent (an existing cluster gets its kubeconfig rewritten to
``<c>/generated/<c>.kind.kubeconfig``, 0600, and namespace ``eksa-system`` ensured); a new
bootstrap cluster is created with the operation's owner identity as labels
(``activities.ownership``), which is what cleanup checks before removing it. Delete
refuses while the bootstrap cluster still holds a provisioned CAPI Cluster that was not
moved away - deleting it would strand real machines - and is a no-op when already gone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from temporalio import activity

from activities import steps
from activities.common import CAPI_V1, EKSA_SYSTEM, PREFLIGHT_FAILED, log, permanent
from activities.models import (
    BootstrapInput,
    BootstrapResult,
    DeleteBootstrapInput,
    DeleteBootstrapResult,
)
from activities.ownership import run_owner
from eksa_temporal.kube.client import Kube, UnknownKind, kube_for
from providers.registry import Registry


def ensure_namespace(kube: Kube, name: str) -> bool:
    """Create namespace ``name`` unless it exists; True when created."""
    if kube.get("v1", "Namespace", name) is not None:
        return False
    return (
        kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
        is not None
    )


def provisioned(cluster: dict[str, Any]) -> bool:
    """Whether a CAPI Cluster has real infrastructure behind it (v1beta1 and v1beta2 fields)."""
    status = cluster.get("status") or {}
    init = status.get("initialization") or {}
    return bool(
        status.get("infrastructureReady")
        or status.get("controlPlaneReady")
        or init.get("infrastructureProvisioned")
        or init.get("controlPlaneInitialized")
        or status.get("phase") in ("Provisioning", "Provisioned")
    )


def unmoved_clusters(kube: Kube) -> list[str]:
    """Provisioned CAPI Clusters (not being deleted) the bootstrap cluster still holds."""
    try:
        clusters, _ = kube.list_objects(CAPI_V1, "Cluster")
    except UnknownKind:
        return []  # CAPI was never installed here
    held = []
    for c in clusters:
        meta = c.get("metadata") or {}
        if provisioned(c) and not meta.get("deletionTimestamp"):
            held.append(f"{meta.get('namespace')}/{meta.get('name')}")
    return held


class BootstrapActivities:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    @activity.defn(name=steps.BOOTSTRAP_CLUSTER_INIT)
    def bootstrap_cluster_init(self, inp: BootstrapInput) -> BootstrapResult:
        """Create the bootstrap cluster (idempotent) and namespace eksa-system."""
        boot = self.registry.bootstrapper(inp.provider)
        name = inp.bootstrap_cluster_name
        existed = boot.exists(name)
        path = boot.create(name, inp.bootstrap_kubeconfig_path, run_owner().labels())
        created_ns = ensure_namespace(kube_for(path), EKSA_SYSTEM)
        if existed and not created_ns:
            log.info("bootstrap cluster already exists; no-op", cluster=name)
        return BootstrapResult(
            changed=not existed or created_ns,
            bootstrap_kubeconfig=str(path),
            message=f"bootstrap cluster {name} {'exists' if existed else 'created'}",
        )

    @activity.defn(name=steps.DELETE_KIND_CLUSTER)
    def delete_kind_cluster(self, inp: DeleteBootstrapInput) -> DeleteBootstrapResult:
        """Delete the bootstrap cluster unless it still holds a provisioned CAPI cluster."""
        boot = self.registry.bootstrapper(inp.provider)
        name = inp.bootstrap_cluster_name
        if not boot.exists(name):
            log.info("bootstrap cluster already gone; no-op", cluster=name)
            _remove(inp.bootstrap_kubeconfig_path)
            return DeleteBootstrapResult(changed=False, message=f"{name} already deleted")
        path = boot.create(name, inp.bootstrap_kubeconfig_path)  # (re)writes its kubeconfig only
        held = unmoved_clusters(kube_for(path))
        if held:
            raise permanent(
                f"bootstrap cluster {name} still holds provisioned CAPI cluster(s) {', '.join(held)}",
                "move them to the new cluster (capi-management-move) or delete them first",
                PREFLIGHT_FAILED,
            )
        boot.delete(name)
        _remove(inp.bootstrap_kubeconfig_path)
        return DeleteBootstrapResult(changed=True, message=f"{name} deleted")


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)
