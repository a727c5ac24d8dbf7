"""``bootstrap-cluster-init`` and ``delete-kind-cluster``: the throwaway bootstrap cluster
``<c>-eks-a-cluster`` (what ``kind create cluster`` is to EKS-A), through the
``providers.bootstrap.Bootstrapper`` seam.

A new bootstrap cluster is created with the operation's owner identity and the identity of
the cluster it works on as labels (``Owner.cluster_labels``), which is what cleanup checks
before removing it. Create is idempotent for a bootstrap cluster an operation of the same
cluster made (this run, an earlier run of it, or an earlier create or delete of the same
cluster left behind): it gets its kubeconfig rewritten to
``<c>/generated/<c>.kind.kubeconfig``, 0600, and namespace ``eksa-system`` ensured. One of
that name made by anyone else is refused (``ClusterExists``), never taken over. Delete
removes only such a bootstrap cluster (another one is reported kept, with its kubeconfig
file), refuses while it still holds a provisioned CAPI Cluster that was not moved away -
deleting it would strand real machines - and is a no-op when already gone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eksa_temporal.activities.common import (
    CAPI_V1,
    EKSA_SYSTEM,
    cancelled,
    heartbeat,
    load_spec,
    log,
)
from eksa_temporal.activities.models import (
    BootstrapInput,
    BootstrapProgress,
    BootstrapResult,
    DeleteBootstrapInput,
    DeleteBootstrapResult,
)
from eksa_temporal.activities.ownership import CLUSTER_LABEL, OWNER_LABEL, Owner, run_owner
from eksa_temporal.activities.steps import step
from eksa_temporal.errors import ClusterExists, InvalidSpec, PreflightFailed
from eksa_temporal.kube.client import Kube, UnknownKind, kube_for
from eksa_temporal.providers.base import BootstrapOptions
from eksa_temporal.providers.bootstrap import Progress
from eksa_temporal.providers.registry import Registry, UnknownProvider


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


def made_for_this_cluster(labels: dict[str, str] | None, owner: Owner) -> bool:
    """Whether a bootstrap cluster's ``labels`` say an operation of ``owner``'s cluster made
    it: this very run, or another run of the same workflow (same cluster identity)."""
    if not labels:
        return False
    mine = owner.cluster_labels()
    return (
        labels.get(OWNER_LABEL) == mine[OWNER_LABEL]
        or labels.get(CLUSTER_LABEL) == mine[CLUSTER_LABEL]
    )


class BootstrapActivities:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    @step(
        "bootstrap-cluster-init",
        long=True,
        changes="creates the bootstrap (kind) cluster",
        errors=(InvalidSpec, ClusterExists),
    )
    def bootstrap_cluster_init(self, inp: BootstrapInput) -> BootstrapResult:
        """Create the bootstrap cluster (idempotent) and namespace eksa-system."""
        boot = self.registry.bootstrapper(inp.provider)
        name = inp.bootstrap_cluster_name
        owner = run_owner()
        labels = boot.labels(name)
        existed = labels is not None
        if existed and not made_for_this_cluster(labels, owner):
            raise ClusterExists(
                f"bootstrap cluster {name} exists and was not made by an operation of cluster "
                f"{inp.namespace}/{inp.cluster_name}",
                fix=f"delete bootstrap cluster {name} if it is no longer used, or choose another cluster name",
            )
        progress = BootstrapProgress(phase=f"creating bootstrap cluster {name}")
        path = boot.create(
            name,
            inp.bootstrap_kubeconfig_path,
            owner.cluster_labels(),
            self._options(inp),
            Progress(tick=lambda: heartbeat(progress), cancelled=cancelled),
        )
        created_ns = ensure_namespace(kube_for(path), EKSA_SYSTEM)
        if existed and not created_ns:
            log.info("bootstrap cluster already exists; no-op", cluster=name)
        return BootstrapResult(
            changed=not existed or created_ns,
            bootstrap_kubeconfig=str(path),
            message=f"bootstrap cluster {name} {'exists' if existed else 'created'}",
        )

    def _options(self, inp: BootstrapInput) -> BootstrapOptions | None:
        """How the spec's provider wants its bootstrap cluster made (None without a spec)."""
        if not inp.spec_yaml:
            return None
        spec = load_spec(inp)
        try:
            provider = self.registry.provider(spec.provider or inp.provider)
        except UnknownProvider:
            return None
        return provider.bootstrap_options(spec)

    @step(
        "delete-kind-cluster",
        changes="deletes the bootstrap cluster (only one this cluster's operations made)",
        errors=(PreflightFailed,),
    )
    def delete_kind_cluster(self, inp: DeleteBootstrapInput) -> DeleteBootstrapResult:
        """Delete the bootstrap cluster unless it still holds a provisioned CAPI cluster."""
        boot = self.registry.bootstrapper(inp.provider)
        name = inp.bootstrap_cluster_name
        labels = boot.labels(name)
        if labels is None:
            log.info("bootstrap cluster already gone; no-op", cluster=name)
            _remove(inp.bootstrap_kubeconfig_path)
            return DeleteBootstrapResult(changed=False, message=f"{name} already deleted")
        if not made_for_this_cluster(labels, run_owner()):
            log.warning("bootstrap cluster made by someone else; kept", cluster=name)
            return DeleteBootstrapResult(
                changed=False,
                message=f"{name} kept (not made by an operation of this cluster)",
                kept=[f"bootstrap cluster {name} (not made by an operation of this cluster)"],
            )
        path = boot.write_kubeconfig(name, inp.bootstrap_kubeconfig_path)
        held = unmoved_clusters(kube_for(path))
        if held:
            raise PreflightFailed(
                f"bootstrap cluster {name} still holds provisioned CAPI cluster(s) {', '.join(held)}",
                fix="move them to the new cluster (capi-management-move) or delete them first",
            )
        boot.delete(name)
        _remove(inp.bootstrap_kubeconfig_path)
        return DeleteBootstrapResult(changed=True, message=f"{name} deleted")


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)
