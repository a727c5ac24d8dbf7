"""``delete-cluster``, ``delete-workload-cluster`` and ``cleanup-infrastructure``.

Delete removes the CAPI ``Cluster`` where it is managed and watches until it is gone (the
CAPI controllers delete machines first, then the Cluster), then removes the now useless
``<c>/<c>-eks-a-cluster.kubeconfig``; a missing Cluster is a no-op. Machines or VMs that
outlived the Cluster (leaked outside CAPI) are then removed by ``Provider.cleanup`` when
they carry the cluster's identity - the owner label its create put on the CAPI ``Cluster``
(read before the delete); best effort: a failure there is logged, the delete stands.
A workload delete ends by removing the cluster's EKS-A objects from the management cluster
(``activities.eksa_objects``: the controller's finalizer first).
Cleanup is the compensation of a failed or cancelled create: it removes what this very
create run made, recognised by its owner identity (``activities.ownership``: the label on
the CAPI ``Cluster``, the bootstrap cluster's labels, the provider's machine and VM marks),
never by name - the CAPI cluster objects (waiting for their machines to go), the bootstrap
cluster, ``Provider.cleanup`` for machines leaked outside CAPI, and the cluster's kubeconfig
file. Anything with a matching name but another or no owner is reported kept, and a cluster
whose folder another create run owns is not touched at all. The provider's cleanup runs
even when the bootstrap side fails (e.g. the simulated infrastructure is down: vSphere VMs
are removed straight on vCenter), and the failure is raised afterwards so Temporal retries.
Every part checks first and is skipped when already absent, so cleanup can run any number
of times.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from eksa_temporal.activities.common import (
    CAPI_V1,
    load_spec,
    log,
    owned_by_another_run,
    owner_marker,
    progress_interval,
)
from eksa_temporal.activities.eksa_objects import remove_eksa_objects
from eksa_temporal.activities.infrastructure import heartbeat, watching
from eksa_temporal.activities.models import (
    CleanupInput,
    CleanupResult,
    ClusterStepInput,
    DeleteClusterInput,
    DeleteClusterResult,
    DeleteProgress,
)
from eksa_temporal.activities.ownership import OWNER_LABEL, run_owner
from eksa_temporal.activities.steps import step
from eksa_temporal.errors import NotFound
from eksa_temporal.kube.client import Kube, Obj, kube_for
from eksa_temporal.ownership import is_owner_id
from eksa_temporal.providers.base import Ownership, Provider
from eksa_temporal.providers.registry import Registry
from eksa_temporal.spec.load import load_spec as parse_spec

CLUSTER_LABEL = "cluster.x-k8s.io/cluster-name"
NAMESPACES = ("eksa-system", "default")
# what Cluster API does not remove with a Cluster: add-on sets and the ConfigMaps and
# Secrets they carry have no owner reference (e.g. the Nutanix CCM). They go when they carry
# the cluster's owner label and its cluster-name label; an object several clusters share
# (a credentials Secret named by the spec) carries no cluster-name label and stays.
OUTLIVING_KINDS = (
    ("addons.cluster.x-k8s.io/v1beta1", "ClusterResourceSet"),
    ("v1", "ConfigMap"),
    ("v1", "Secret"),
)


def find_cluster(kube: Kube, name: str, namespaces: list[str]) -> str | None:
    """The namespace holding CAPI Cluster ``name``, or None."""
    if not kube.serves(CAPI_V1, "Cluster"):
        return None
    for ns in dict.fromkeys(namespaces):
        if kube.get(CAPI_V1, "Cluster", name, ns) is not None:
            return ns
    return None


def delete_capi_cluster(kube: Kube, name: str, namespace: str, timeout: float) -> None:
    """Delete the Cluster and watch until it and its Machines are gone."""
    kube.delete(CAPI_V1, "Cluster", name, namespace)
    state = DeleteProgress(phase="deleting")

    def report(objs: dict[str, Obj]) -> None:
        heartbeat(state.model_copy(update={"machines_left": len(objs)}))

    kube.wait_for_all(
        CAPI_V1,
        "Machine",
        namespace,
        lambda objs: not objs,
        label_selector=f"{CLUSTER_LABEL}={name}",
        timeout=timeout,
        on_progress=report,
        progress_interval=progress_interval(),
        description=f"machines of {name} deleted",
    )
    kube.wait_for(
        CAPI_V1,
        "Cluster",
        name,
        namespace,
        lambda o: o is None,
        timeout=timeout,
        on_progress=lambda _o: heartbeat(state.model_copy(update={"phase": "cluster"})),
        progress_interval=progress_interval(),
        description=f"Cluster {namespace}/{name} deleted",
    )


def remove_leftovers(kube: Kube, name: str, namespace: str, ownership: Ownership) -> list[str]:
    """After Cluster ``namespace/name`` is gone: delete the ``OUTLIVING_KINDS`` objects in
    ``namespace`` labelled with ``ownership``'s owner and with cluster ``name``."""
    removed: list[str] = []
    selector = f"{OWNER_LABEL}={ownership.owner},{CLUSTER_LABEL}={name}"
    for api_version, kind in OUTLIVING_KINDS:
        if not kube.serves(api_version, kind):
            continue
        items, _ = kube.list_objects(api_version, kind, namespace, label_selector=selector)
        for item in items:
            obj_name = item["metadata"]["name"]
            if kube.delete(api_version, kind, obj_name, namespace):
                removed.append(f"{kind} {namespace}/{obj_name}")
    if removed:
        log.info("removed what outlived the Cluster", cluster=name, removed=removed)
    return removed


def run_ownership() -> Ownership:
    """The owner identity of the operation running the current activity."""
    owner = run_owner()
    return Ownership(owner=owner.id, description=owner.describe())


def labels_of(obj: Obj | None) -> dict[str, str]:
    return dict(((obj or {}).get("metadata") or {}).get("labels") or {})


def cluster_identity(cluster: Obj | None) -> Ownership | None:
    """The identity our create gave a cluster: the owner label on its CAPI ``Cluster``
    (None for a cluster without it, e.g. made by other tools)."""
    value = labels_of(cluster).get(OWNER_LABEL)
    if not is_owner_id(value):
        return None
    name = ((cluster or {}).get("metadata") or {}).get("name")
    return Ownership(owner=str(value), description=f"cluster {name}")


def forget_cluster(inp: DeleteClusterInput | CleanupInput) -> None:
    """After the cluster is gone: remove its kubeconfig (it points nowhere now, and a later
    create of the same name must not be refused) and the create's ownership marker; the
    cluster config ``<c>/<c>-eks-a-cluster.yaml`` is kept as the record of what it was."""
    inp.kubeconfig_path.unlink(missing_ok=True)
    owner_marker(inp).unlink(missing_ok=True)


def deleted_marker(inp: ClusterStepInput) -> Path:
    """``<c>/generated/<c>.deleted``: written by a delete before it asks for the Cluster's
    deletion (and before the kubeconfig goes), so a delete run again after that point knows
    the cluster is going or gone - nothing left to move, even when its API no longer
    answers. Stale (ignored) once a later create wrote the cluster config again."""
    return inp.dir / "generated" / f"{inp.cluster_name}.deleted"


def deleted_before(inp: ClusterStepInput) -> bool:
    """Whether an earlier delete started removing this cluster (and no create made it
    again since)."""
    marker = deleted_marker(inp)
    if not marker.exists():
        return False
    config = inp.cluster_config_path
    return not config.exists() or config.stat().st_mtime <= marker.stat().st_mtime


def _mark_deleted(inp: DeleteClusterInput) -> None:
    marker = deleted_marker(inp)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(f"{inp.cluster_name} deleted\n")


class TeardownActivities:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    @step(
        "delete-cluster",
        long=True,
        changes="deletes the CAPI Cluster: its machines go, then the add-on objects it owns",
        errors=(NotFound,),
    )
    def delete_cluster(self, inp: DeleteClusterInput) -> DeleteClusterResult:
        """Delete the CAPI Cluster where it is now managed (bootstrap or itself) and wait."""
        target = inp.bootstrap_kubeconfig or inp.management_kubeconfig or inp.kubeconfig
        return self._delete(inp, target or str(inp.bootstrap_kubeconfig_path))

    @step(
        "delete-workload-cluster",
        long=True,
        changes="deletes the workload cluster from its management cluster: its machines go, then the add-on objects and EKS-A objects it owns",
        errors=(NotFound,),
    )
    def delete_workload_cluster(self, inp: DeleteClusterInput) -> DeleteClusterResult:
        """Delete a workload cluster's CAPI Cluster on its management cluster and wait;
        then remove its EKS-A objects there (``eksa_objects.remove_eksa_objects``)."""
        if not inp.management_kubeconfig:
            raise NotFound(
                f"no management kubeconfig given for workload cluster {inp.cluster_name}",
                fix="pass --kubeconfig <management cluster kubeconfig>",
            )
        result = self._delete(inp, inp.management_kubeconfig)
        spec = parse_spec(inp.spec_yaml).spec  # names the objects once the Cluster is gone
        removed = remove_eksa_objects(kube_for(inp.management_kubeconfig), inp.cluster_name, inp.namespace, spec)
        if not removed:
            return result
        return DeleteClusterResult(
            changed=True, message=f"{result.message}; EKS-A objects removed: {', '.join(removed)}"
        )

    def _delete(self, inp: DeleteClusterInput, target: str) -> DeleteClusterResult:
        if not Path(target).exists():
            raise NotFound(f"kubeconfig {target} does not exist", fix="pass the right --kubeconfig")
        kube = kube_for(target)
        ns = find_cluster(kube, inp.cluster_name, [*NAMESPACES, inp.namespace])
        if ns is None:
            log.info("CAPI cluster already gone; no-op", cluster=inp.cluster_name)
            _mark_deleted(inp)
            forget_cluster(inp)
            return DeleteClusterResult(changed=False, message=f"{inp.cluster_name} already deleted")
        identity = cluster_identity(kube.get(CAPI_V1, "Cluster", inp.cluster_name, ns))
        _mark_deleted(inp)
        with self._watching(inp, target):
            delete_capi_cluster(kube, inp.cluster_name, ns, inp.control_plane_wait_seconds)
        leftovers: list[str] = []
        if identity is not None:
            try:
                leftovers = remove_leftovers(kube, inp.cluster_name, ns, identity)
            except Exception as exc:  # the cluster is deleted; leftovers are logged, not fatal
                log.warning("objects left by the deleted Cluster not removed", error=str(exc)[:200])
        self._leak_cleanup(inp, identity)
        forget_cluster(inp)
        also = f"; removed what Cluster API left: {', '.join(leftovers)}" if leftovers else ""
        return DeleteClusterResult(changed=True, message=f"{inp.cluster_name} deleted{also}")

    def _leak_cleanup(self, inp: DeleteClusterInput, identity: Ownership | None) -> None:
        """Remove what outlived the deleted Cluster and carries its identity (best effort)."""
        if identity is None or not inp.spec_yaml:
            log.info("no cluster identity; leak cleanup skipped", cluster=inp.cluster_name)
            return
        try:
            leaked = self._provider_cleanup(inp, identity)
        except Exception as exc:  # the cluster is deleted; leftovers are logged, not fatal
            log.warning("leak cleanup failed", cluster=inp.cluster_name, error=str(exc))
            return
        if leaked.removed:
            log.warning(
                "removed leaked infrastructure", cluster=inp.cluster_name, removed=leaked.removed
            )

    @step(
        "cleanup-infrastructure",
        long=True,
        changes="removes what this run created: bootstrap cluster, applied objects, machines",
    )
    def cleanup_infrastructure(self, inp: CleanupInput) -> CleanupResult:
        """Compensation: remove the CAPI objects, the bootstrap cluster and leaked machines."""
        removed: list[str] = []
        kept: list[str] = []
        if owned_by_another_run(inp):
            # another create owns this cluster's folder (e.g. this run was refused with
            # ClusterExists): its cluster is not ours to remove
            log.warning(
                "cleanup: the cluster belongs to another operation; nothing removed",
                cluster=inp.cluster_name,
            )
            return CleanupResult(
                changed=False, kept=[f"cluster {inp.cluster_name} (owned by another operation)"]
            )
        ownership = run_ownership()
        failure: Exception | None = None
        try:
            self._cleanup_clusters(inp, ownership, removed, kept)
        except Exception as exc:  # the provider's own cleanup must not depend on it
            log.warning("cleanup: the cluster objects could not be removed yet", error=str(exc))
            failure = exc
        leaked = self._provider_cleanup(inp, ownership)
        removed += leaked.removed
        kept += leaked.kept
        if failure is not None:
            raise failure  # retried by Temporal; what was removed stays removed
        if inp.kubeconfig_path.exists():
            removed.append(str(inp.kubeconfig_path))
        forget_cluster(inp)
        if not removed:
            log.info("cleanup: nothing left to remove; no-op", cluster=inp.cluster_name)
        return CleanupResult(changed=bool(removed), removed=removed, kept=kept)

    def _cleanup_clusters(
        self, inp: CleanupInput, ownership: Ownership, removed: list[str], kept: list[str]
    ) -> None:
        """The CAPI Cluster (where it is managed) and the bootstrap cluster, when owned."""
        boot = self.registry.bootstrapper(inp.provider)
        name = inp.bootstrap_cluster_name
        targets: list[str] = []
        boot_labels = boot.labels(name)
        ours = ownership.owns(boot_labels)
        if boot_labels is not None and not ours:
            kept.append(f"bootstrap cluster {name} (not made by this operation)")
        if ours:
            targets.append(str(boot.write_kubeconfig(name, inp.bootstrap_kubeconfig_path)))
        if inp.management_kubeconfig and Path(inp.management_kubeconfig).exists():
            targets.append(inp.management_kubeconfig)
        found = False
        for path in targets:
            with self._watching(inp, path):
                found = (
                    self._delete_owned_cluster(inp, ownership, kube_for(path), removed, kept)
                    or found
                )
        if not found and inp.kubeconfig_path.exists():
            # after a completed move the cluster manages itself: its Cluster is deleted
            # there, through Cluster API, like anywhere else
            self._delete_self_managed(inp, ownership, removed, kept)
        if ours and boot.delete(name):
            removed.append(f"bootstrap cluster {name}")
        if boot_labels is None or ours:  # a kept bootstrap cluster keeps its kubeconfig
            inp.bootstrap_kubeconfig_path.unlink(missing_ok=True)

    @staticmethod
    def _delete_owned_cluster(
        inp: CleanupInput, ownership: Ownership, kube: Kube, removed: list[str], kept: list[str]
    ) -> bool:
        """Delete the CAPI Cluster held by ``kube`` when this operation made it; whether
        the Cluster was there at all."""
        ns = find_cluster(kube, inp.cluster_name, [*NAMESPACES, inp.namespace])
        if ns is None:
            return False
        what = f"CAPI Cluster {ns}/{inp.cluster_name}"
        if not ownership.owns(labels_of(kube.get(CAPI_V1, "Cluster", inp.cluster_name, ns))):
            kept.append(f"{what} (not made by this operation)")
            return True
        delete_capi_cluster(kube, inp.cluster_name, ns, inp.per_machine_wait_seconds)
        removed.append(what)
        removed += remove_leftovers(kube, inp.cluster_name, ns, ownership)
        return True

    @staticmethod
    def _delete_self_managed(
        inp: CleanupInput, ownership: Ownership, removed: list[str], kept: list[str]
    ) -> None:
        """The Cluster in the cluster itself; its API may go away with its control plane."""
        try:
            kube = kube_for(str(inp.kubeconfig_path))
            ns = find_cluster(kube, inp.cluster_name, [*NAMESPACES, inp.namespace])
        except Exception as exc:  # nothing reachable there: the provider's cleanup follows
            log.info("cleanup: the cluster's own API is not reachable", error=str(exc)[:200])
            return
        if ns is None:
            return
        what = f"CAPI Cluster {ns}/{inp.cluster_name} (in the cluster itself)"
        if not ownership.owns(labels_of(kube.get(CAPI_V1, "Cluster", inp.cluster_name, ns))):
            kept.append(f"{what} (not made by this operation)")
            return
        try:
            delete_capi_cluster(kube, inp.cluster_name, ns, inp.per_machine_wait_seconds)
        except Exception as exc:  # the cluster's API ends with its control plane machines
            log.info(
                "cleanup: the cluster's API went away while it was deleted", error=str(exc)[:200]
            )
        removed.append(what)

    def _watching(
        self, inp: CleanupInput | DeleteClusterInput, kubeconfig: str
    ) -> AbstractContextManager[object]:
        """The provider's own infrastructure controller (if any) while machines go."""
        if not inp.spec_yaml or not inp.provider:
            return nullcontext()
        provider = self.registry.provider(inp.provider)
        if type(provider).infrastructure_controller is Provider.infrastructure_controller:
            return nullcontext()  # the provider's controllers run in the cluster
        return watching(provider, load_spec(inp), kubeconfig)

    def _provider_cleanup(
        self, inp: CleanupInput | DeleteClusterInput, ownership: Ownership
    ) -> CleanupResult:
        spec = load_spec(inp)
        result = self.registry.provider(spec.provider or inp.provider).cleanup(spec, ownership)
        return CleanupResult(removed=list(result.removed), kept=list(result.kept))
