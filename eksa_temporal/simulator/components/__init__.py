"""The simulator's Cluster API component set: the embedded core components
(``providers.capi.components``) plus its own infrastructure provider (``sim.yaml``) and the
stand-ins for real infrastructure providers it plays (``vsphere.yaml``), as YAML package
data beside this module.

The simulated controllers act in a virtual cluster once the Deployment named in
``CONTROLLERS`` for the kind's provider (``KIND_PROVIDER``) is Available there.

========================  ==================================  =============================================
clusterctl provider       namespace                            controller Deployment
========================  ==================================  =============================================
sim (infrastructure)      capsim-system                        capsim-controller-manager
vsphere (stand-in)        capv-system                          capv-controller-manager
snow (stand-in)           capas-system                         capas-controller-manager
docker (played)           capd-system                          capd-controller-manager
tinkerbell (played)       capt-system                          capt-controller-manager
nutanix (played)          capx-system                          capx-controller-manager
cloudstack (played)       capc-system                          capc-controller-manager
rufio (Tinkerbell stack)  rufio-system                         rufio-controller-manager
tink (Tinkerbell stack)   tink-system                          tink-controller-manager
========================  ==================================  =============================================

``STANDINS`` are components of real infrastructure providers that the simulator plays (only
``vsphere``, CAPV, today, reconciled by ``controllers/reconcilers/vsphere.py``). They are
not part of the simulator's own set (``PROVIDERS``); the server publishes them as a
clusterctl local repository (``write_repository``) that the installer's component source can
be pointed at. Their Deployment names are the real providers' ones, so the published CRDs
plus this Deployment (a components folder) work too.

``PLAYED`` are real providers whose published components are applied as they are
(``docker``, CAPD, reconciled by ``controllers/reconcilers/docker.py``; ``tinkerbell``, CAPT,
by ``controllers/reconcilers/tinkerbell.py``): the sim only plays their controllers, gated
on the published controller Deployment, and ships no manifests for them (``manifests``
refuses them, ``write_repository`` leaves them out). ``STACK`` are the controllers of the
Tinkerbell stack (not clusterctl providers; their published manifests are applied as they
are): Rufio's BMC ``Job`` is played by ``controllers/reconcilers/rufio.py``, Tink's
``Workflow`` by ``controllers/reconcilers/tink.py``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from eksa_temporal.files import write_private
from eksa_temporal.providers.capi.components import (
    CAPI_VERSION,
    CORE,
    ProviderComponent,
    component_manifests,
    inventory_crd,
)
from eksa_temporal.providers.capi.release import CAPV_VERSION, DEFAULT_RELEASE, SIM_VERSION

__all__ = [
    "CONTROLLERS",
    "KIND_PROVIDER",
    "PLAYED",
    "PROVIDERS",
    "REPOSITORY_DIR",
    "SIM_VERSION",
    "STACK",
    "STANDINS",
    "ProviderComponent",
    "all_crds",
    "inventory_crd",
    "manifests",
    "provider",
    "standin",
    "versions",
    "write_repository",
]

SIM = ProviderComponent(
    "sim", "InfrastructureProvider", SIM_VERSION, "capsim-system",
    ("capsim-controller-manager",), "sim.yaml", __name__,
)

PROVIDERS: tuple[ProviderComponent, ...] = (*CORE, SIM)

CAPAS_VERSION = DEFAULT_RELEASE.version("infrastructure-snow")

STANDINS: tuple[ProviderComponent, ...] = (
    ProviderComponent(
        "vsphere", "InfrastructureProvider", CAPV_VERSION, "capv-system",
        ("capv-controller-manager",), "vsphere.yaml", __name__,
    ),
    ProviderComponent(
        "snow", "InfrastructureProvider", CAPAS_VERSION, "capas-system",
        ("capas-controller-manager",), "snow.yaml", __name__,
    ),
)

CAPD_VERSION = CAPI_VERSION  # CAPD is released with Cluster API
CAPT_VERSION = "v0.6.8"
CAPX_VERSION = "v1.10.3"
CAPC_VERSION = "v0.6.1"
RUFIO_VERSION = "v0.6.5"
TINK_VERSION = "v0.12.2"

PLAYED: tuple[ProviderComponent, ...] = (
    ProviderComponent(
        "docker", "InfrastructureProvider", CAPD_VERSION, "capd-system",
        ("capd-controller-manager",), "", __name__,
    ),
    ProviderComponent(
        "tinkerbell", "InfrastructureProvider", CAPT_VERSION, "capt-system",
        ("capt-controller-manager",), "", __name__,
    ),
    ProviderComponent(
        "nutanix", "InfrastructureProvider", CAPX_VERSION, "capx-system",
        ("capx-controller-manager",), "", __name__,
    ),
    ProviderComponent(
        "cloudstack", "InfrastructureProvider", CAPC_VERSION, "capc-system",
        ("capc-controller-manager",), "", __name__,
    ),
)

STACK: tuple[ProviderComponent, ...] = (
    ProviderComponent("rufio", "", RUFIO_VERSION, "rufio-system", ("rufio-controller-manager",), "", __name__),
    ProviderComponent("tink", "", TINK_VERSION, "tink-system", ("tink-controller-manager",), "", __name__),
)

CONTROLLERS: dict[str, ProviderComponent] = {
    p.name: p for p in PROVIDERS + STANDINS + PLAYED + STACK
}

# which provider's controller reconciles a kind (the simulated controllers' gate)
KIND_PROVIDER: dict[str, str] = {
    "Certificate": "cert-manager",
    "Issuer": "cert-manager",
    "ClusterIssuer": "cert-manager",
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
    "AWSSnowCluster": "snow",
    "AWSSnowMachine": "snow",
    "DockerCluster": "docker",
    "DockerMachine": "docker",
    "TinkerbellCluster": "tinkerbell",
    "TinkerbellMachine": "tinkerbell",
    "NutanixCluster": "nutanix",
    "NutanixMachine": "nutanix",
    "CloudStackCluster": "cloudstack",
    "CloudStackMachine": "cloudstack",
    "Job": "rufio",  # bmc.tinkerbell.org (the only Job kind the controllers watch)
    "Workflow": "tink",
}

REPOSITORY_DIR = "components"  # in the server's state dir
REPOSITORY_FILE = "infrastructure-components.yaml"


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
    ``crds=False`` leaves the CRDs out (when the published ones are applied instead).
    A ``PLAYED`` provider has none here (ValueError): its published components are used."""
    comp = provider(name)
    if not comp.file:
        raise ValueError(f"the sim ships no manifests for {name!r}: apply its published components")
    return component_manifests(comp, crds=crds)


def standin(infrastructure: str) -> ProviderComponent | None:
    """The stand-in component of infrastructure provider ``infrastructure`` (clusterctl
    name, e.g. ``vsphere``), or None when the simulator does not play that provider."""
    return next((p for p in STANDINS if p.name == infrastructure), None)


def all_crds(*, standins: bool = False) -> list[dict[str, Any]]:
    """Every CRD of every component plus the inventory CRD (tests, fixtures);
    ``standins`` adds the stand-ins' CRDs."""
    out = [inventory_crd()]
    for p in PROVIDERS + (STANDINS if standins else ()):
        out += [d for d in manifests(p.name) if d["kind"] == "CustomResourceDefinition"]
    return out


def write_repository(base: Path) -> Path:
    """Write the stand-ins as a clusterctl local repository
    (``base/<inventory name>/<version>/infrastructure-components.yaml``); return ``base``.
    Idempotent (files rewritten with the same content)."""
    for comp in STANDINS:
        text = resources.files(comp.package).joinpath(comp.file).read_text()
        write_private(base / comp.inventory_name / comp.version / REPOSITORY_FILE, text)
    return base
