"""The embedded Cluster API components: the core clusterctl providers' manifests shipped
as package data beside this module (namespaces, CRDs and controller Deployments) and the
catalog naming them.

========================  ==================================  =============================================
clusterctl provider       namespace                            controller Deployment
========================  ==================================  =============================================
cert-manager              cert-manager                         cert-manager, -cainjector, -webhook
cluster-api (core)        capi-system                          capi-controller-manager
kubeadm (bootstrap)       capi-kubeadm-bootstrap-system        capi-kubeadm-bootstrap-controller-manager
kubeadm (control plane)   capi-kubeadm-control-plane-system    capi-kubeadm-control-plane-controller-manager
========================  ==================================  =============================================

The CRDs are minimal stand-ins (``x-kubernetes-preserve-unknown-fields`` schemas with a
status subresource) for when the published CRDs are not available; ``crds=False`` gives
only namespaces and Deployments. ``ProviderComponent`` also describes components shipped by
other packages (``package`` names the Python package holding the file).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from eksa_temporal.bundle import load_bundle


def _bundle_version(name: str) -> str:
    return next(p.version for p in load_bundle().components if p.name == name)


# the versions these stand-ins play, from the release bundle
CAPI_VERSION = _bundle_version("cluster-api")
CERT_MANAGER_VERSION = _bundle_version("cert-manager")
PACKAGE = __name__

_INVENTORY_NAMES = {
    "kubeadm-bootstrap": "bootstrap-kubeadm",
    "kubeadm-control-plane": "control-plane-kubeadm",
}


@dataclass(frozen=True)
class ProviderComponent:
    """One clusterctl provider: ``name`` as clusterctl spells it, its ``type`` (as in the
    clusterctl inventory: CoreProvider, BootstrapProvider, ...), version, namespace, the
    controller Deployment(s), the file holding its manifests and the package shipping it."""

    name: str
    type: str
    version: str
    namespace: str
    deployments: tuple[str, ...]
    file: str
    package: str = PACKAGE

    @property
    def deployment(self) -> str:
        return self.deployments[0]

    @property
    def inventory_name(self) -> str:
        """The clusterctl inventory (``Provider`` object) name, e.g. ``bootstrap-kubeadm``."""
        if self.type == "InfrastructureProvider":
            return f"infrastructure-{self.name}"
        return _INVENTORY_NAMES.get(self.name, self.name)

    @property
    def url(self) -> str:
        """Where the release manifest finds the file (``package://<package>/<file>``)."""
        return f"package://{self.package}/{self.file}"


CORE: tuple[ProviderComponent, ...] = (
    ProviderComponent(
        "cert-manager",
        "CertManager",
        CERT_MANAGER_VERSION,
        "cert-manager",
        ("cert-manager", "cert-manager-cainjector", "cert-manager-webhook"),
        "cert-manager.yaml",
    ),
    ProviderComponent(
        "cluster-api", "CoreProvider", CAPI_VERSION, "capi-system",
        ("capi-controller-manager",), "cluster-api.yaml",
    ),
    ProviderComponent(
        "kubeadm-bootstrap", "BootstrapProvider", CAPI_VERSION, "capi-kubeadm-bootstrap-system",
        ("capi-kubeadm-bootstrap-controller-manager",), "kubeadm-bootstrap.yaml",
    ),
    ProviderComponent(
        "kubeadm-control-plane", "ControlPlaneProvider", CAPI_VERSION,
        "capi-kubeadm-control-plane-system",
        ("capi-kubeadm-control-plane-controller-manager",), "kubeadm-control-plane.yaml",
    ),
)


def component_manifests(comp: ProviderComponent, *, crds: bool = True) -> list[dict[str, Any]]:
    """The manifests of one component, in apply order (Namespace, CRDs, Deployments).
    ``crds=False`` leaves the CRDs out (when the published ones are applied instead)."""
    docs = list(_load(comp.package, comp.file))
    if not crds:
        docs = [d for d in docs if d["kind"] != "CustomResourceDefinition"]
    return [_copy(d) for d in docs]


def inventory_crd() -> dict[str, Any]:
    """clusterctl's inventory CRD (``providers.clusterctl.cluster.x-k8s.io``)."""
    return _copy(_load(PACKAGE, "clusterctl.yaml")[0])


@cache
def _load(package: str, file: str) -> tuple[dict[str, Any], ...]:
    text = resources.files(package).joinpath(file).read_text()
    return tuple(d for d in yaml.safe_load_all(text) if d)


def _copy(doc: dict[str, Any]) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(yaml.safe_dump(doc))
    return loaded
