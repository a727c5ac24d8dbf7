"""Upgrade rules, as pure functions over two loaded specs (current and desired): Kubernetes
moves at most one minor version and never down; immutable fields (cluster name and
namespace, datacenterRef, pod/service CIDRs, control-plane endpoint, managementCluster) do
not change. The current side is a ``Baseline``: read from the live cluster (its EKS-A
objects when it holds them, else reconstructed from its CAPI objects: control plane
version, Cluster network, infrastructure kind, endpoint) or, as a last fallback, from a
spec. Each violation is a ``Finding`` naming the field and the fix; used by
``setup-validate-upgrade``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eksa_temporal.spec import ClusterSpec, Finding

IMMUTABLE = "immutable-field"
VERSION_SKEW = "kubernetes-version-skew"


def minor(version: str) -> tuple[int, int] | None:
    """``"1.30"`` / ``"v1.30.2"`` -> (1, 30); None when unreadable."""
    parts = version.strip().lstrip("v").split(".")
    try:
        return int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        return None


def version_findings(current: str, desired: str) -> list[Finding]:
    cur, new = minor(current), minor(desired)
    path = "spec.kubernetesVersion"
    if cur is None or new is None:
        return [
            Finding(
                path=path,
                message=f"cannot compare versions {current!r} -> {desired!r}",
                remediation="use a version like 1.31",
                check=VERSION_SKEW,
            )
        ]
    if new < cur:
        return [
            Finding(
                path=path,
                message=f"downgrading Kubernetes {current} -> {desired} is not supported",
                remediation=f"keep kubernetesVersion at {current} or move up",
                check=VERSION_SKEW,
            )
        ]
    if new[0] != cur[0] or new[1] - cur[1] > 1:
        nxt = f"{cur[0]}.{cur[1] + 1}"
        return [
            Finding(
                path=path,
                message=f"Kubernetes can move one minor version per upgrade ({current} -> {desired})",
                remediation=f"upgrade to {nxt} first",
                check=VERSION_SKEW,
            )
        ]
    return []


# CAPI infrastructure Cluster kind -> the EKS-A datacenter kind it is rendered from
DATACENTER_OF_INFRA = {
    "SimCluster": "SimDatacenterConfig",
    "DockerCluster": "DockerDatacenterConfig",
    "VSphereCluster": "VSphereDatacenterConfig",
    "CloudStackCluster": "CloudStackDatacenterConfig",
    "NutanixCluster": "NutanixDatacenterConfig",
    "TinkerbellCluster": "TinkerbellDatacenterConfig",
    "AWSSnowCluster": "SnowDatacenterConfig",
}
# infrastructure kinds whose control-plane endpoint comes from the spec (the others, like
# the sim's, are assigned by the infrastructure and say nothing about the spec)
ENDPOINT_FROM_SPEC = frozenset({"VSphereCluster", "CloudStackCluster", "NutanixCluster", "TinkerbellCluster"})


@dataclass(frozen=True)
class Baseline:
    """What the running cluster is, as far as the upgrade rules need it: its Kubernetes
    version and the immutable fields that could be read (``path -> value``; a field that
    is not known is not compared). ``source`` names where it was read."""

    source: str
    kubernetes_version: str | None
    fields: tuple[tuple[str, Any], ...] = ()
    # the whole running spec when it was read from EKS-A objects or the written config (the
    # provider's own upgrade limits need it); None when rebuilt from CAPI objects
    spec: ClusterSpec | None = field(default=None, compare=False)


def _fields(spec: ClusterSpec) -> dict[str, Any]:
    def cidrs(which: str) -> list[str]:
        blocks = getattr(spec.cluster.spec.cluster_network, which)
        return list((blocks.cidr_blocks if blocks else None) or [])

    ep = spec.cluster.spec.control_plane_configuration.endpoint
    ref = spec.cluster.spec.datacenter_ref
    return {
        "metadata.name": spec.name,
        "metadata.namespace": spec.namespace,
        "spec.datacenterRef": f"{ref.kind}/{ref.name}",
        "spec.datacenterRef.kind": ref.kind,
        "spec.clusterNetwork.pods.cidrBlocks": cidrs("pods"),
        "spec.clusterNetwork.services.cidrBlocks": cidrs("services"),
        "spec.controlPlaneConfiguration.endpoint.host": (ep.host if ep else "") or "",
        "spec.managementCluster.name": spec.management_cluster_name,
    }


def baseline_of_spec(spec: ClusterSpec, source: str) -> Baseline:
    """The baseline an EKS-A spec describes (the live EKS-A objects, or the local file)."""
    fields = {k: v for k, v in _fields(spec).items() if k != "spec.datacenterRef.kind"}
    return Baseline(source, spec.kubernetes_version, tuple(fields.items()), spec)


def eksa_version(capi_version: str) -> str | None:
    """``"v1.31.6"`` -> ``"1.31"`` (EKS-A's form), None when unreadable."""
    found = minor(capi_version)
    return f"{found[0]}.{found[1]}" if found else None


def baseline_from_capi(cluster: dict[str, Any], control_plane: dict[str, Any] | None) -> Baseline:
    """The baseline the live CAPI objects give: the control plane's version, the Cluster's
    name, pod and service CIDRs, the datacenter kind behind its infrastructure and - where
    the spec sets it - the control-plane endpoint."""
    spec = cluster.get("spec") or {}
    net = spec.get("clusterNetwork") or {}
    infra_kind = str((spec.get("infrastructureRef") or {}).get("kind") or "")
    fields: dict[str, Any] = {"metadata.name": (cluster.get("metadata") or {}).get("name")}
    for which in ("pods", "services"):
        blocks = (net.get(which) or {}).get("cidrBlocks")
        if blocks:
            fields[f"spec.clusterNetwork.{which}.cidrBlocks"] = list(blocks)
    if infra_kind in DATACENTER_OF_INFRA:
        fields["spec.datacenterRef.kind"] = DATACENTER_OF_INFRA[infra_kind]
    host = (spec.get("controlPlaneEndpoint") or {}).get("host")
    if infra_kind in ENDPOINT_FROM_SPEC and host:
        fields["spec.controlPlaneConfiguration.endpoint.host"] = host
    version = str(((control_plane or {}).get("spec") or {}).get("version") or "")
    return Baseline("live CAPI objects", eksa_version(version) if version else None, tuple(fields.items()))


def upgrade_findings(current: ClusterSpec | Baseline, desired: ClusterSpec) -> list[Finding]:
    """Every rule the desired spec breaks against the current cluster (a spec, or the
    baseline read from the live cluster)."""
    base = current if isinstance(current, Baseline) else baseline_of_spec(current, "spec")
    wanted = _fields(desired)
    found = [
        Finding(
            path=path,
            message=f"{path} is immutable ({old!r} -> {wanted[path]!r}; running cluster per {base.source})",
            remediation=f"set {path} back to {old!r}",
            check=IMMUTABLE,
        )
        for path, old in base.fields
        if path in wanted and old != wanted[path]
    ]
    if base.kubernetes_version is None:
        unknown = Finding(
            path="spec.kubernetesVersion",
            message=f"the running Kubernetes version is unknown ({base.source})",
            remediation="check that the control plane object is readable on the management cluster",
            check=VERSION_SKEW,
        )
        return [*found, unknown]
    return found + version_findings(base.kubernetes_version, desired.kubernetes_version)
