"""The pinned release manifest: which clusterctl providers (and versions) make up "CAPI",
and where each provider's component files come from, with their sha256.

This is the ONE place versions and checksums live (like EKS-A's bundle manifest). The
embedded default serves core, kubeadm bootstrap/control plane, cert-manager and the sim
infrastructure provider from the package data in ``providers.sim.components`` (no network).
Entries downloaded over HTTP(S) must carry a sha256; ``release_from_file`` loads a custom
manifest (same shape, YAML/JSON) for other installations.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from eksa_temporal.providers.sim import components as sim_components

# clusterctl inventory types, in install order
ORDER = (
    "CertManager",
    "CoreProvider",
    "BootstrapProvider",
    "ControlPlaneProvider",
    "InfrastructureProvider",
)


class ComponentFile(BaseModel):
    """One component file: ``url`` is ``https://...``, ``file://...`` or
    ``package://<python package>/<file>`` (data shipped with this product)."""

    model_config = ConfigDict(frozen=True)
    url: str
    sha256: str = ""


class ProviderRelease(BaseModel):
    """One clusterctl provider at one version."""

    model_config = ConfigDict(frozen=True)
    name: str  # clusterctl label: cluster-api, bootstrap-kubeadm, infrastructure-sim, ...
    type: str  # CertManager | CoreProvider | BootstrapProvider | ...
    version: str
    namespace: str
    files: list[ComponentFile] = Field(default_factory=list)

    @property
    def provider_name(self) -> str:
        """The short provider name clusterctl records (``kubeadm``, ``sim``, ``cluster-api``)."""
        for prefix in ("bootstrap-", "control-plane-", "infrastructure-"):
            if self.name.startswith(prefix):
                return self.name.removeprefix(prefix)
        return self.name


class Release(BaseModel):
    model_config = ConfigDict(frozen=True)
    providers: list[ProviderRelease]

    def plan(self, infrastructure: str) -> list[ProviderRelease]:
        """What ``clusterctl init --infrastructure <infrastructure>`` installs, in order."""
        infra = f"infrastructure-{infrastructure}"
        chosen = [
            p for p in self.providers if p.type != "InfrastructureProvider" or p.name == infra
        ]
        if not any(p.name == infra for p in chosen):
            known = [p.name for p in self.providers if p.type == "InfrastructureProvider"]
            raise KeyError(f"{infra} is not in the release manifest (known: {', '.join(known)})")
        return sorted(chosen, key=lambda p: ORDER.index(p.type))


def _sim_entry(name: str) -> ProviderRelease:
    comp = sim_components.provider(name)
    label = "cert-manager" if comp.name == "cert-manager" else comp.inventory_name
    return ProviderRelease(
        name=label,
        type=comp.type,
        version=comp.version,
        namespace=comp.namespace,
        files=[ComponentFile(url=f"package://providers.sim.components/{comp.file}")],
    )


CAPV_VERSION = "v1.13.1"

DEFAULT_RELEASE = Release(
    providers=[
        _sim_entry("cert-manager"),
        _sim_entry("cluster-api"),
        _sim_entry("kubeadm-bootstrap"),
        _sim_entry("kubeadm-control-plane"),
        _sim_entry("sim"),
        # Published CAPV components. Its sha256 is pinned when a release of this product
        # is cut (downloads refuse unpinned files); air-gapped installs pass a components
        # folder instead.
        ProviderRelease(
            name="infrastructure-vsphere",
            type="InfrastructureProvider",
            version=CAPV_VERSION,
            namespace="capv-system",
            files=[
                ComponentFile(
                    url=(
                        "https://github.com/kubernetes-sigs/cluster-api-provider-vsphere/"
                        f"releases/download/{CAPV_VERSION}/infrastructure-components.yaml"
                    )
                )
            ],
        ),
    ]
)


def sim_standins(plan: list[ProviderRelease]) -> list[ProviderRelease]:
    """``plan`` for a virtual cluster of the simulated infrastructure: an infrastructure
    provider that the sim plays (``providers.sim.components.STANDINS``, e.g. vSphere) comes
    from the sim's package data at the same version, since no sim cluster could run the
    published controllers. Every other provider is unchanged."""
    out: list[ProviderRelease] = []
    for p in plan:
        comp = (
            sim_components.standin(p.provider_name)
            if p.type == "InfrastructureProvider"
            else None
        )
        if comp is not None:
            url = f"package://providers.sim.components/{comp.file}"
            p = p.model_copy(update={"files": [ComponentFile(url=url)]})
        out.append(p)
    return out


def release_from_file(path: str | Path) -> Release:
    """A custom release manifest (YAML or JSON of ``Release``)."""
    return Release.model_validate(yaml.safe_load(Path(path).read_text()))
