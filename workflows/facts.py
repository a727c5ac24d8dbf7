"""The few facts a workflow needs from the spec text to choose its steps: cluster name,
namespace, provider, and whether the cluster manages itself. Pure and deterministic (YAML
parsing only); the full validation is the ``setup-validate*`` activity's job.

Used by the workflows and by ``eksa_temporal.client`` (workflow id, search attributes).
"""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict


class SpecError(ValueError):
    """The spec text has no usable ``Cluster`` document."""


class ClusterFacts(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    namespace: str = "default"
    provider: str = ""
    management_cluster: str = ""

    @property
    def self_managed(self) -> bool:
        """Management/standalone cluster: ``spec.managementCluster.name`` is itself (or unset)."""
        return self.management_cluster in ("", self.name)

    @property
    def workflow_id(self) -> str:
        return workflow_id(self.namespace, self.name)


def workflow_id(namespace: str, name: str) -> str:
    """One operation per cluster: every lifecycle workflow of a cluster has this id."""
    return f"eksa/{namespace}/{name}"


def provider_of(datacenter_kind: str) -> str:
    """``VSphereDatacenterConfig`` -> ``vsphere``, ``SimDatacenterConfig`` -> ``sim``."""
    return datacenter_kind.removesuffix("DatacenterConfig").lower()


def cluster_facts(spec_yaml: str) -> ClusterFacts:
    try:
        docs = [d for d in yaml.safe_load_all(spec_yaml) if isinstance(d, dict)]
    except yaml.YAMLError as exc:
        raise SpecError(f"the spec is not valid YAML: {exc}") from exc
    clusters = [d for d in docs if d.get("kind") == "Cluster"]
    if len(clusters) != 1:
        raise SpecError(f"the spec must hold exactly one Cluster document, found {len(clusters)}")
    doc: dict[str, Any] = clusters[0]
    meta = doc.get("metadata") or {}
    spec = doc.get("spec") or {}
    name = str(meta.get("name") or "")
    if not name:
        raise SpecError("Cluster.metadata.name is empty")
    dc_kind = str((spec.get("datacenterRef") or {}).get("kind") or "")
    mgmt = str((spec.get("managementCluster") or {}).get("name") or "")
    return ClusterFacts(
        name=name,
        namespace=str(meta.get("namespace") or "default"),
        provider=provider_of(dc_kind) if dc_kind else "",
        management_cluster=mgmt,
    )
