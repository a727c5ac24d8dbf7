"""Whether the Cluster API components to be installed accept what the spec will render, read
from their CRDs before anything is made.

A Bottlerocket machine config renders KubeadmConfig ``format: bottlerocket``. EKS Anywhere's
own Cluster API build accepts that value; upstream Cluster API does not (v1.10's CRDs allow
``cloud-config`` and ``ignition``), so the API server would refuse the objects when they are
applied - after the bootstrap cluster exists. ``format_findings`` reads the bootstrap and
control-plane providers' CRDs from the component source the install step will use (the same
files, the same cache) and turns a refused format into one finding per machine config.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from eksa_temporal.bundle import ProviderRelease
from eksa_temporal.providers.base import Provider
from eksa_temporal.providers.capi.fetch import ComponentError, Fetched, provider_manifests
from eksa_temporal.providers.capi.release import Release
from eksa_temporal.providers.capi.source import ComponentSource
from eksa_temporal.providers.kubeadm import BOOTSTRAP_V, CONTROLPLANE_V
from eksa_temporal.spec.clusterspec import ClusterSpec
from eksa_temporal.spec.findings import Finding, Severity

Obj = dict[str, Any]

# where each kind the renderers use carries the KubeadmConfig format, at the version rendered
FORMAT_FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "KubeadmConfigTemplate": (BOOTSTRAP_V, ("spec", "template", "spec", "format")),
    "KubeadmControlPlane": (CONTROLPLANE_V, ("spec", "kubeadmConfigSpec", "format")),
}
PROVIDER_TYPES = ("BootstrapProvider", "ControlPlaneProvider")
CHECK = "components-accept-format"


def accepted_formats(crd: Obj) -> frozenset[str] | None:
    """The ``format`` values CRD ``crd`` accepts at the version the renderers use; None when
    it is not one of ``FORMAT_FIELDS``' kinds, lacks that version, or does not restrict them."""
    kind = ((crd.get("spec") or {}).get("names") or {}).get("kind", "")
    if kind not in FORMAT_FIELDS:
        return None
    api_version, path = FORMAT_FIELDS[kind]
    version = api_version.rpartition("/")[2]
    for entry in (crd.get("spec") or {}).get("versions") or []:
        if entry.get("name") != version:
            continue
        node: Obj = ((entry.get("schema") or {}).get("openAPIV3Schema")) or {}
        for part in path:
            node = (node.get("properties") or {}).get(part) or {}
        enum = node.get("enum")
        return frozenset(str(v) for v in enum) if enum else None
    return None


def _refusals(
    releases: Iterable[ProviderRelease], wanted: set[str], read: Callable[[ProviderRelease], Fetched]
) -> list[tuple[str, ProviderRelease, str, frozenset[str]]]:
    """(format, release, origin, accepted) for each wanted format a release's CRD refuses."""
    out = []
    for release in releases:
        fetched = read(release)
        for crd in fetched.docs:
            if crd.get("kind") != "CustomResourceDefinition":
                continue
            accepted = accepted_formats(crd)
            for fmt in sorted(wanted - (accepted or wanted)):
                out.append((fmt, release, fetched.origin, accepted or frozenset()))
    return out


def format_findings(
    spec: ClusterSpec,
    provider: Provider,
    *,
    release: Release,
    source: ComponentSource,
    cache_dir: Path,
    components_dir: str | None = None,
) -> list[Finding]:
    """One error per spec field choosing a format the components refuse; a warning when the
    components cannot be read now (the install step reports that itself)."""
    chosen = provider.bootstrap_formats(spec)
    if not chosen:
        return []  # every provider renders cloud-config otherwise: accepted everywhere
    infra = provider.infrastructure_component().name
    try:
        plan = [r for r in release.plan(infra) if r.type in PROVIDER_TYPES]
    except KeyError:
        return []  # the install step names the missing provider

    def read(r: ProviderRelease) -> Fetched:
        return provider_manifests(
            r,
            cache_dir=cache_dir,
            components_dir=source.folder(components_dir),
            embedded=source.embedded_for(infra),
        )

    try:
        refused = _refusals(plan, set(chosen), read)
    except (ComponentError, OSError) as exc:
        return [
            Finding(
                path="components",
                message=f"the Cluster API components could not be read to check the {', '.join(sorted(chosen))} format: {exc}",
                remediation="the install step reads them again and reports what fails",
                severity=Severity.WARNING,
                check=CHECK,
            )
        ]
    findings: dict[str, Finding] = {}
    for fmt, r, origin, accepted in refused:
        allowed = ", ".join(sorted(accepted)) or "none"
        for path in chosen[fmt]:
            findings.setdefault(
                path,
                Finding(
                    path=path,
                    message=(
                        f"{fmt} renders KubeadmConfig format {fmt!r}, which {r.name} {r.version} "
                        f"({origin}) does not accept (its CRDs allow: {allowed})"
                    ),
                    remediation=(
                        "use osFamily ubuntu, or install EKS Anywhere's Cluster API build "
                        "(EKSA_COMPONENTS_SOURCE or --components-dir)"
                    ),
                    check=CHECK,
                ),
            )
    return list(findings.values())
