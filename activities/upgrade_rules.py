"""Upgrade rules, as pure functions over two loaded specs (current and desired): Kubernetes
moves at most one minor version and never down; immutable fields (cluster name and
namespace, datacenterRef, pod/service CIDRs, control-plane endpoint, managementCluster) do
not change. Each violation is a ``Finding`` naming the field and the fix; used by
``setup-validate-upgrade``.
"""

from __future__ import annotations

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


def _immutable(current: ClusterSpec, desired: ClusterSpec) -> list[tuple[str, Any, Any]]:
    def cidrs(spec: ClusterSpec, which: str) -> list[str]:
        blocks = getattr(spec.cluster.spec.cluster_network, which)
        return list((blocks.cidr_blocks if blocks else None) or [])

    def endpoint(spec: ClusterSpec) -> str:
        ep = spec.cluster.spec.control_plane_configuration.endpoint
        return (ep.host if ep else "") or ""

    def dc(spec: ClusterSpec) -> str:
        ref = spec.cluster.spec.datacenter_ref
        return f"{ref.kind}/{ref.name}"

    return [
        ("metadata.name", current.name, desired.name),
        ("metadata.namespace", current.namespace, desired.namespace),
        ("spec.datacenterRef", dc(current), dc(desired)),
        ("spec.clusterNetwork.pods.cidrBlocks", cidrs(current, "pods"), cidrs(desired, "pods")),
        (
            "spec.clusterNetwork.services.cidrBlocks",
            cidrs(current, "services"),
            cidrs(desired, "services"),
        ),
        ("spec.controlPlaneConfiguration.endpoint.host", endpoint(current), endpoint(desired)),
        (
            "spec.managementCluster.name",
            current.management_cluster_name,
            desired.management_cluster_name,
        ),
    ]


def upgrade_findings(current: ClusterSpec, desired: ClusterSpec) -> list[Finding]:
    """Every rule the desired spec breaks against the current one."""
    found = [
        Finding(
            path=path,
            message=f"{path} is immutable ({old!r} -> {new!r})",
            remediation=f"set {path} back to {old!r}",
            check=IMMUTABLE,
        )
        for path, old, new in _immutable(current, desired)
        if old != new
    ]
    return found + version_findings(current.kubernetes_version, desired.kubernetes_version)
