"""A cluster's EKS-A spec read back from the management cluster: the ``Cluster`` object and
every EKS-A object it references (datacenter config, machine configs, identity providers,
GitOps/Flux config, Tinkerbell templates, Snow IP pools - any ``{kind, name}`` reference to
an EKS-A kind, followed transitively), each stripped to what a spec file holds (no status,
no server-set metadata), as the multi-document text a workflow input carries.

Called by ``controller.reconcile``; ``config_kinds`` lists the kinds the watch loop follows
besides ``Cluster``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from eksa_temporal.controller.names import CLUSTER_KIND, EKSA_API
from eksa_temporal.kube import Kube, Obj, UnknownKind
from eksa_temporal.spec import Finding
from eksa_temporal.spec.kinds import MODEL_BY_KIND, PLUGIN_KINDS


def eksa_kinds() -> set[str]:
    """Every EKS-A kind a spec may hold (built-in and contributed by provider plug-ins)."""
    return set(MODEL_BY_KIND) | set(PLUGIN_KINDS)


def config_kinds() -> list[str]:
    """The kinds a Cluster references (all EKS-A kinds but ``Cluster``), sorted."""
    return sorted(eksa_kinds() - {CLUSTER_KIND})


def is_self_managed(cluster: Obj) -> bool:
    """A management (or standalone) cluster's own object: managed by itself."""
    name = (cluster.get("metadata") or {}).get("name") or ""
    managed_by = ((cluster.get("spec") or {}).get("managementCluster") or {}).get("name") or ""
    return managed_by in ("", name)


def management_names(kube: Kube) -> set[str]:
    """Names of the self-managed Clusters on this API server (the management cluster's own
    object, when it is there); empty when none is."""
    clusters, _ = kube.list_objects(EKSA_API, CLUSTER_KIND)
    return {str((c.get("metadata") or {}).get("name")) for c in clusters if is_self_managed(c)}


def wrong_management(kube: Kube, cluster: Obj) -> Finding | None:
    """A Cluster naming a management cluster other than the one it was applied to."""
    found = management_names(kube)
    named = ((cluster.get("spec") or {}).get("managementCluster") or {}).get("name") or ""
    if not found or named in found:
        return None
    here = sorted(found)[0]
    return Finding(
        path="spec.managementCluster.name",
        message=f"names {named}, but this management cluster is {here}",
        remediation=f"set spec.managementCluster.name: {here}, or apply the objects to {named}'s API server",
        check="controller-objects",
    )


def as_spec_document(obj: Obj) -> Obj:
    """The object as a spec file holds it: apiVersion, kind, name, namespace and the rest of
    its body; no status, no server-set metadata, no labels or annotations."""
    meta = obj.get("metadata") or {}
    doc: Obj = {
        "apiVersion": obj.get("apiVersion") or EKSA_API,
        "kind": obj.get("kind") or "",
        "metadata": {"name": meta.get("name") or ""},
    }
    if meta.get("namespace"):
        doc["metadata"]["namespace"] = meta["namespace"]
    for key, value in obj.items():
        if key not in ("apiVersion", "kind", "metadata", "status"):
            doc[key] = value
    return doc


def references(obj: Obj) -> Iterator[tuple[str, str]]:
    """``(kind, name)`` of every EKS-A object the object's spec refers to."""
    kinds = eksa_kinds()

    def walk(value: Any) -> Iterator[tuple[str, str]]:
        if isinstance(value, dict):
            kind, name = value.get("kind"), value.get("name")
            if isinstance(kind, str) and isinstance(name, str) and kind in kinds and kind != CLUSTER_KIND and name:
                yield kind, name
            for child in value.values():
                yield from walk(child)
        elif isinstance(value, list):
            for child in value:
                yield from walk(child)

    yield from walk(obj.get("spec"))


@dataclass
class Gathered:
    """The spec documents found (Cluster first) and what was missing."""

    documents: list[Obj] = field(default_factory=list)
    missing: list[Finding] = field(default_factory=list)

    def text(self) -> str:
        return "---\n".join(yaml.safe_dump(d, sort_keys=False) for d in self.documents)


def gather(kube: Kube, cluster: Obj) -> Gathered:
    """The Cluster and every object it references, in its namespace (blocking API reads)."""
    namespace = (cluster.get("metadata") or {}).get("namespace") or "default"
    out = Gathered(documents=[as_spec_document(cluster)])
    queue = list(references(cluster))
    seen: set[tuple[str, str]] = set()
    while queue:
        kind, name = queue.pop(0)
        if (kind, name) in seen:
            continue
        seen.add((kind, name))
        try:
            found = kube.get(EKSA_API, kind, name, namespace)
        except UnknownKind:
            out.missing.append(
                Finding(
                    path=f"{kind}/{name}",
                    message=f"the management cluster does not serve {kind}",
                    remediation="install EKS Anywhere's CRDs on the management cluster",
                    check="controller-objects",
                )
            )
            continue
        if found is None:
            out.missing.append(
                Finding(
                    path=f"{kind}/{name}",
                    message=f"not found in namespace {namespace}",
                    remediation=f"apply the {kind} {name} the Cluster references in namespace {namespace}",
                    check="controller-objects",
                )
            )
            continue
        found.setdefault("apiVersion", EKSA_API)
        found.setdefault("kind", kind)
        out.documents.append(as_spec_document(found))
        queue.extend(references(found))
    return out
