"""The Cluster API release this build installs: which clusterctl providers (and versions)
make up "CAPI", where each provider's component files come from, and EKS Anywhere's CRDs -
all read from the release bundle (``eksa_temporal.bundle``, the one place versions, URLs
and checksums live). ``release_from_file`` loads another release (same shape as the
bundle's ``components``/``eksa``, YAML/JSON).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

from eksa_temporal.bundle import Bundle, ComponentFile, ProviderRelease, load_bundle

__all__ = [
    "CAPV_VERSION",
    "DEFAULT_RELEASE",
    "ORDER",
    "SIM_VERSION",
    "ComponentFile",
    "ProviderRelease",
    "Release",
    "release_from_bundle",
    "release_from_file",
]

# clusterctl inventory types, in install order
ORDER = (
    "CertManager",
    "CoreProvider",
    "BootstrapProvider",
    "ControlPlaneProvider",
    "InfrastructureProvider",
)


class Release(BaseModel):
    model_config = ConfigDict(frozen=True)
    providers: list[ProviderRelease]
    # EKS Anywhere's own CRDs, installed in management clusters
    eksa: ProviderRelease | None = None

    def plan(self, infrastructure: str, addons: Sequence[str] = ()) -> list[ProviderRelease]:
        """What ``clusterctl init --infrastructure <infrastructure>`` installs, in order,
        then the components named in ``addons`` (e.g. ``tinkerbell-stack``), in that order."""
        infra = f"infrastructure-{infrastructure}"
        chosen = [
            p
            for p in self.providers
            if (p.type in ORDER and p.type != "InfrastructureProvider") or p.name == infra
        ]
        if not any(p.name == infra for p in chosen):
            known = [p.name for p in self.providers if p.type == "InfrastructureProvider"]
            raise KeyError(f"{infra} is not in the release manifest (known: {', '.join(known)})")
        extra: list[ProviderRelease] = []
        for name in addons:
            found = [p for p in self.providers if p.name == name]
            if not found:
                raise KeyError(f"{name} is not in the release manifest")
            extra += found
        return sorted(chosen, key=lambda p: ORDER.index(p.type)) + extra

    def version(self, name: str) -> str:
        """The version of provider ``name`` (clusterctl label)."""
        return next(p.version for p in self.providers if p.name == name)


def release_from_bundle(bundle: Bundle) -> Release:
    return Release(providers=bundle.components, eksa=bundle.eksa)


def release_from_file(path: str | Path) -> Release:
    """A custom release (YAML or JSON with ``providers`` and optionally ``eksa``)."""
    return Release.model_validate(yaml.safe_load(Path(path).read_text()))


DEFAULT_RELEASE = release_from_bundle(load_bundle())
SIM_VERSION = DEFAULT_RELEASE.version("infrastructure-sim")
CAPV_VERSION = DEFAULT_RELEASE.version("infrastructure-vsphere")
