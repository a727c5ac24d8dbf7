"""The sim's Cluster API components, per clusterctl provider: namespaces, CRDs and the
controller Deployments, as YAML package data beside this module.

``install-capi`` applies ``manifests(name)`` for each provider in ``PROVIDERS`` order
(cert-manager, cluster-api, kubeadm-bootstrap, kubeadm-control-plane, sim). The CRDs here
are minimal stand-ins (``x-kubernetes-preserve-unknown-fields`` schemas with a status
subresource) for when the published CRDs (``../shared/capi-crds``) are not available; the
real ones can be applied instead, ``crds=False`` then gives only namespaces and
Deployments. The simulated controllers act in a virtual cluster once the Deployment named
in ``CONTROLLERS`` for the kind's provider is Available there.

Names (the contract with install-capi and the simulated controllers):

========================  ==================================  =============================================
clusterctl provider       namespace                            controller Deployment
========================  ==================================  =============================================
cert-manager              cert-manager                         cert-manager, -cainjector, -webhook
cluster-api (core)        capi-system                          capi-controller-manager
kubeadm (bootstrap)       capi-kubeadm-bootstrap-system        capi-kubeadm-bootstrap-controller-manager
kubeadm (control plane)   capi-kubeadm-control-plane-system    capi-kubeadm-control-plane-controller-manager
sim (infrastructure)      capsim-system                        capsim-controller-manager
vsphere (stand-in)        capv-system                          capv-controller-manager
========================  ==================================  =============================================

``STANDINS`` are components of real infrastructure providers that the sim plays (only
``vsphere``, CAPV, today: ``vsphere.yaml``, reconciled by
``controllers/reconcilers/vsphere.py``). They are not part of the sim's own set
(``PROVIDERS``); ``install-capi`` installs one in place of the published components when its
target is a virtual cluster of the sim (``providers.capi.release.sim_standins``). Their
Deployment names are the real providers' ones, so the published CRDs plus this Deployment
(a components folder) work too.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

CAPI_VERSION = "v1.10.10"
CERT_MANAGER_VERSION = "v1.17.2"
SIM_VERSION = "v0.1.0"
CAPV_VERSION = "v1.13.1"


@dataclass(frozen=True)
class ProviderComponent:
    """One clusterctl provider: ``name`` as clusterctl spells it, its ``type`` (as in the
    clusterctl inventory: CoreProvider, BootstrapProvider, ...), version, namespace, the
    controller Deployment(s), and the package file holding its manifests."""

    name: str
    type: str
    version: str
    namespace: str
    deployments: tuple[str, ...]
    file: str

    @property
    def deployment(self) -> str:
        return self.deployments[0]

    @property
    def inventory_name(self) -> str:
        """The clusterctl inventory (``Provider`` object) name, e.g. ``bootstrap-kubeadm``."""
        return _INVENTORY_NAMES.get(self.name, self.name)


_INVENTORY_NAMES = {
    "kubeadm-bootstrap": "bootstrap-kubeadm",
    "kubeadm-control-plane": "control-plane-kubeadm",
    "sim": "infrastructure-sim",
    "vsphere": "infrastructure-vsphere",
}

PROVIDERS: tuple[ProviderComponent, ...] = (
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
    ProviderComponent(
        "sim", "InfrastructureProvider", SIM_VERSION, "capsim-system",
        ("capsim-controller-manager",), "sim.yaml",
    ),
)

STANDINS: tuple[ProviderComponent, ...] = (
    ProviderComponent(
        "vsphere", "InfrastructureProvider", CAPV_VERSION, "capv-system",
        ("capv-controller-manager",), "vsphere.yaml",
    ),
)

CONTROLLERS: dict[str, ProviderComponent] = {p.name: p for p in PROVIDERS + STANDINS}

# which provider's controller reconciles a kind (the simulated controllers' gate)
KIND_PROVIDER: dict[str, str] = {
    "Certificate": "cert-manager",
    "Cluster": "cluster-api",
    "Machine": "cluster-api",
    "MachineSet": "cluster-api",
    "MachineDeployment": "cluster-api",
    "KubeadmConfig": "kubeadm-bootstrap",
    "KubeadmControlPlane": "kubeadm-control-plane",
    "SimCluster": "sim",
    "SimMachine": "sim",
    "VSphereCluster": "vsphere",
    "VSphereMachine": "vsphere",
}


def provider(name: str) -> ProviderComponent:
    """The component named ``name`` (KeyError lists the known names)."""
    try:
        return CONTROLLERS[name]
    except KeyError:
        raise KeyError(f"unknown sim component {name!r}; known: {', '.join(CONTROLLERS)}") from None


def versions() -> dict[str, str]:
    """clusterctl provider name -> version, e.g. ``{"cluster-api": "v1.10.10", ...}``."""
    return {p.name: p.version for p in PROVIDERS}


def manifests(name: str, *, crds: bool = True) -> list[dict[str, Any]]:
    """The manifests of one provider, in apply order (Namespace, CRDs, Deployments).
    ``crds=False`` leaves the CRDs out (when the published ones are applied instead)."""
    docs = list(_load(provider(name).file))
    if not crds:
        docs = [d for d in docs if d["kind"] != "CustomResourceDefinition"]
    return [_copy(d) for d in docs]


def inventory_crd() -> dict[str, Any]:
    """clusterctl's inventory CRD (``providers.clusterctl.cluster.x-k8s.io``)."""
    return _copy(_load("clusterctl.yaml")[0])


def standin(infrastructure: str) -> ProviderComponent | None:
    """The stand-in component of infrastructure provider ``infrastructure`` (clusterctl
    name, e.g. ``vsphere``), or None when the sim does not play that provider."""
    return next((p for p in STANDINS if p.name == infrastructure), None)


def all_crds(*, standins: bool = False) -> list[dict[str, Any]]:
    """Every CRD of every component plus the inventory CRD (tests, fixtures);
    ``standins`` adds the stand-ins' CRDs."""
    out = [inventory_crd()]
    for p in PROVIDERS + (STANDINS if standins else ()):
        out += [d for d in manifests(p.name) if d["kind"] == "CustomResourceDefinition"]
    return out


@cache
def _load(file: str) -> tuple[dict[str, Any], ...]:
    text = resources.files(__name__).joinpath(file).read_text()
    return tuple(d for d in yaml.safe_load_all(text) if d)


def _copy(doc: dict[str, Any]) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(yaml.safe_dump(doc))
    return loaded
