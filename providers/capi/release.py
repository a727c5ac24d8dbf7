"""The pinned release manifest: which clusterctl providers (and versions) make up "CAPI",
and where each provider's component files come from, with their sha256.

This is the ONE place versions and checksums live (like EKS-A's bundle manifest). The
embedded default serves core, kubeadm bootstrap/control plane and cert-manager from the
package data in ``providers.capi.components`` and the sim infrastructure provider from the
simulator's package data (no network).
Entries downloaded over HTTP(S) must carry a sha256; ``release_from_file`` loads a custom
manifest (same shape, YAML/JSON) for other installations.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from eksa_temporal.providers.capi.components import CORE, ProviderComponent

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


def _embedded(comp: ProviderComponent) -> ProviderRelease:
    label = "cert-manager" if comp.name == "cert-manager" else comp.inventory_name
    return ProviderRelease(
        name=label,
        type=comp.type,
        version=comp.version,
        namespace=comp.namespace,
        files=[ComponentFile(url=comp.url)],
    )


SIM_VERSION = "v0.1.0"
CAPV_VERSION = "v1.13.1"

DEFAULT_RELEASE = Release(
    providers=[
        *(_embedded(comp) for comp in CORE),
        # the simulated infrastructure's own provider, shipped with the simulator
        ProviderRelease(
            name="infrastructure-sim",
            type="InfrastructureProvider",
            version=SIM_VERSION,
            namespace="capsim-system",
            files=[ComponentFile(url="package://eksa_temporal.simulator.components/sim.yaml")],
        ),
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


def release_from_file(path: str | Path) -> Release:
    """A custom release manifest (YAML or JSON of ``Release``)."""
    return Release.model_validate(yaml.safe_load(Path(path).read_text()))
