"""Does a cluster of this name already exist? The check a create makes before any side
effect - asked of the truth (the infrastructure, the management cluster), not of a local
file alone.

A management create asks the provider (``Provider.find_existing``: sim virtual clusters and
machines, vSphere VMs), the bootstrap cluster ``<c>-eks-a-cluster`` (a create of that name
under way) and the output folder (its ownership marker and kubeconfig). A workload create
also asks its management cluster for a CAPI ``Cluster`` or an EKS-A ``Cluster`` of that
name in any namespace: EKS-A requires a workload cluster's name to be unique on its
management cluster, and the CAPI objects of every cluster live in ``eksa-system``, so two
namespaces' clusters of one name would be one cluster. What the asking create run made
itself (carrying its owner identity, ``activities.ownership``) is its own: a create
resumed after a crash is not refused.

Used by ``activities.validate`` (``setup-validate``, ``setup-validate-create``: the
authority) and by ``eksa_temporal.client`` (the same check at submission, best effort).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from eksa_temporal.activities.common import CAPI_V1, log, owner_marker
from eksa_temporal.activities.models import ClusterStepInput
from eksa_temporal.activities.ownership import OWNER_LABEL, Owner
from eksa_temporal.kube.client import Kube, UnknownKind, kube_for
from eksa_temporal.providers.base import Provider
from eksa_temporal.providers.registry import Registry
from eksa_temporal.spec import ClusterSpec, check_spec_text

EKSA_API = "anywhere.eks.amazonaws.com/v1alpha1"


@dataclass(frozen=True)
class Existing:
    """Where a cluster of the name was found, and what to do about it (one line each)."""

    where: str
    remedy: str

    def line(self, namespace: str, name: str) -> str:
        return f"cluster {namespace}/{name} already exists: {self.where} (fix: {self.remedy})"


def _upgrade_or_delete(name: str) -> str:
    return (
        f"change it with `eksa-temporal start upgrade-cluster -f <spec>`, or delete it first "
        f"(`eksa-temporal start delete-cluster {name}`)"
    )


def _read_marker(path: Path) -> dict[str, str] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return {k: str(v) for k, v in data.items()} if isinstance(data, dict) else None


def folder_claim(inp: ClusterStepInput, workflow_id: str, owner: Owner | None) -> Existing | None:
    """The output folder belongs to another cluster's create, or holds a finished cluster.

    The ownership marker names the create run that passed validation for this folder: one
    of another workflow (the same name in another namespace, or another service's create)
    refuses; an earlier run of this cluster's own workflow does not (a failed create may be
    run again). A kubeconfig written by anyone but this run means the cluster was made."""
    marker = _read_marker(owner_marker(inp))
    mine = owner is not None and marker == {"workflow_id": owner.workflow_id, "run_id": owner.run_id}
    if marker and not mine and marker.get("workflow_id") not in ("", workflow_id):
        return Existing(
            f"folder {inp.dir} belongs to operation {marker.get('workflow_id')} (a cluster of the same "
            "name; names are unique across namespaces)",
            f"choose another name, or delete that cluster first (remove {inp.dir} if it is gone)",
        )
    if inp.kubeconfig_path.exists() and not mine:
        return Existing(f"its kubeconfig {inp.kubeconfig_path} exists", _upgrade_or_delete(inp.cluster_name))
    return None


def _named(kube: Kube, api: str, kind: str, name: str) -> list[dict[str, object]]:
    """Objects ``kind`` named ``name`` in any namespace ([] when the kind is not served),
    selected by the API server (``metadata.name``, which every kind supports)."""
    try:
        if not kube.serves(api, kind):
            return []
        objs, _ = kube.list_objects(api, kind, field_selector=f"metadata.name={name}")
    except UnknownKind:
        return []
    return [o for o in objs if (o.get("metadata") or {}).get("name") == name]


def on_management_cluster(
    kubeconfig: str, name: str, owner: Owner | None, request_namespace: str | None = None
) -> Existing | None:
    """A CAPI or EKS-A ``Cluster`` named ``name`` (any namespace) on the management cluster
    not carrying ``owner``'s identity. ``request_namespace``: a create asked for by applying
    the EKS-A objects (the controller's route) - the EKS-A ``Cluster`` in that namespace is
    the request itself, not an existing cluster."""
    kube = kube_for(kubeconfig)
    for api, kind in ((CAPI_V1, "Cluster"), (EKSA_API, "Cluster")):
        for obj in _named(kube, api, kind, name):
            meta = obj.get("metadata") or {}
            labels = meta.get("labels") if isinstance(meta, dict) else None
            if owner is not None and isinstance(labels, dict) and labels.get(OWNER_LABEL) == owner.id:
                continue
            ns = meta.get("namespace") if isinstance(meta, dict) else None
            if api == EKSA_API and request_namespace is not None and ns == request_namespace:
                continue
            group = api.split("/")[0]
            return Existing(
                f"the management cluster ({kubeconfig}) holds {kind}.{group} {ns}/{name}",
                "workload cluster names are unique on their management cluster: choose another "
                f"name, or {_upgrade_or_delete(name)}",
            )
    return None


def bootstrap_in_use(registry: Registry, inp: ClusterStepInput, owner: Owner | None) -> Existing | None:
    """The bootstrap cluster ``<c>-eks-a-cluster`` exists and is not this run's."""
    name = inp.bootstrap_cluster_name
    boot = registry.bootstrapper(inp.provider)
    if not boot.exists(name):
        return None
    labels = boot.labels(name) or {}  # the owner labels it was made with
    if owner is not None and labels.get(OWNER_LABEL) == owner.id:
        return None
    return Existing(
        f"its bootstrap cluster {name} exists (a create of {inp.cluster_name} is under way, or was "
        "left behind)",
        f"wait for that create, or delete it (`eksa-temporal start delete-cluster {inp.cluster_name}`)",
    )


def find_existing_cluster(
    registry: Registry,
    provider: Provider | None,
    spec: ClusterSpec,
    inp: ClusterStepInput,
    *,
    workflow_id: str,
    owner: Owner | None,
) -> Existing | None:
    """The first place a cluster named ``inp.cluster_name`` is found, apart from what
    ``owner`` (the asking create run; None at submission) made; None when it is nowhere.
    ``provider`` None skips the infrastructure (a client without its credentials). Errors
    reaching the infrastructure propagate (transient: the caller retries)."""
    where = provider.find_existing(spec, owner.id if owner is not None else "") if provider else None
    if where:
        return Existing(where, _upgrade_or_delete(inp.cluster_name))
    if not spec.is_self_managed and inp.management_kubeconfig and Path(inp.management_kubeconfig).exists():
        request_ns = inp.namespace if inp.origin == "controller" else None
        found = on_management_cluster(inp.management_kubeconfig, inp.cluster_name, owner, request_ns)
        if found:
            return found
    if spec.is_self_managed:
        found = bootstrap_in_use(registry, inp, owner)
        if found:
            return found
    return folder_claim(inp, workflow_id, owner)


def existing_at_submission(
    registry: Registry,
    *,
    spec_yaml: str,
    workdir: str,
    management_kubeconfig: str | None,
    workflow_id: str,
    origin: str = "cli",
) -> Existing | None:
    """The same check where a client submits a create, as far as the client can see: the
    infrastructure only with credentials the client holds; an invalid spec, an unknown
    provider or something it cannot reach make it answer None (the workflow's
    ``setup-validate`` decides then)."""
    spec, _ = check_spec_text(spec_yaml)
    if spec is None:
        return None
    inp = ClusterStepInput(
        cluster_name=spec.name,
        namespace=spec.namespace or "default",
        provider=spec.provider or "sim",
        spec_yaml=spec_yaml,
        workdir=workdir,
        management_kubeconfig=management_kubeconfig,
        origin=origin,
    )
    try:
        provider: Provider | None = registry.provider(inp.provider)
        if provider is not None and any(f.is_error for f in provider.validate_credentials(spec)):
            log.debug("infrastructure not checked at submission: no usable credentials", cluster=spec.name)
            provider = None
        return find_existing_cluster(registry, provider, spec, inp, workflow_id=workflow_id, owner=None)
    except Exception as exc:  # best effort: the workflow's check is the authority
        log.debug("existence check at submission incomplete", cluster=spec.name, reason=type(exc).__name__)
        return folder_claim(inp, workflow_id, None)
