"""The registry of EKS-A kinds: which model decodes which ``kind``, which datacenter kind
belongs to which provider, and which machine-config kind each provider uses.

Used by the loader (kind -> model), the validator (reference kinds must match the provider)
and the generator. Provider plug-ins add their kinds at run time
(``eksa_temporal.spec.plugins.register``), so the tables are extended in place.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

from pydantic import Field

from eksa_temporal.spec.base import KubeObject
from eksa_temporal.spec.cloudstack import CloudStackDatacenterConfig, CloudStackMachineConfig
from eksa_temporal.spec.cluster import Cluster
from eksa_temporal.spec.docker_sim import (
    DockerDatacenterConfig,
    SimDatacenterConfig,
    SimMachineConfig,
)
from eksa_temporal.spec.identity import AWSIamConfig, FluxConfig, GitOpsConfig, OIDCConfig
from eksa_temporal.spec.nutanix import NutanixDatacenterConfig, NutanixMachineConfig
from eksa_temporal.spec.snow import SnowDatacenterConfig, SnowIPPool, SnowMachineConfig
from eksa_temporal.spec.tinkerbell import (
    TinkerbellDatacenterConfig,
    TinkerbellMachineConfig,
    TinkerbellTemplateConfig,
)
from eksa_temporal.spec.vsphere import VSphereDatacenterConfig, VSphereMachineConfig

ProviderName = Literal["docker", "vsphere", "tinkerbell", "cloudstack", "nutanix", "snow", "sim"]
PROVIDERS: Final[tuple[ProviderName, ...]] = (
    "docker",
    "vsphere",
    "tinkerbell",
    "cloudstack",
    "nutanix",
    "snow",
    "sim",
)

DatacenterConfig = Annotated[
    DockerDatacenterConfig
    | VSphereDatacenterConfig
    | TinkerbellDatacenterConfig
    | CloudStackDatacenterConfig
    | NutanixDatacenterConfig
    | SnowDatacenterConfig
    | SimDatacenterConfig,
    Field(discriminator="kind"),
]
MachineConfig = Annotated[
    VSphereMachineConfig
    | TinkerbellMachineConfig
    | CloudStackMachineConfig
    | NutanixMachineConfig
    | SnowMachineConfig
    | SimMachineConfig,
    Field(discriminator="kind"),
]
IdentityProviderConfig = Annotated[OIDCConfig | AWSIamConfig, Field(discriminator="kind")]

DATACENTER_KIND: Final[dict[ProviderName, str]] = {
    "docker": "DockerDatacenterConfig",
    "vsphere": "VSphereDatacenterConfig",
    "tinkerbell": "TinkerbellDatacenterConfig",
    "cloudstack": "CloudStackDatacenterConfig",
    "nutanix": "NutanixDatacenterConfig",
    "snow": "SnowDatacenterConfig",
    "sim": "SimDatacenterConfig",
}
PROVIDER_BY_DATACENTER_KIND: Final[dict[str, ProviderName]] = {
    kind: name for name, kind in DATACENTER_KIND.items()
}
MACHINE_KIND: Final[dict[ProviderName, str | None]] = {
    "docker": None,
    "vsphere": "VSphereMachineConfig",
    "tinkerbell": "TinkerbellMachineConfig",
    "cloudstack": "CloudStackMachineConfig",
    "nutanix": "NutanixMachineConfig",
    "snow": "SnowMachineConfig",
    "sim": "SimMachineConfig",
}
MACHINE_KINDS: Final[set[str]] = {k for k in MACHINE_KIND.values() if k}
# kinds contributed by provider plug-ins (``eksa_temporal.spec.plugins.register``)
PLUGIN_KINDS: Final[set[str]] = set()
IDENTITY_KINDS: Final[frozenset[str]] = frozenset({"OIDCConfig", "AWSIamConfig"})
GITOPS_KINDS: Final[frozenset[str]] = frozenset({"GitOpsConfig", "FluxConfig"})

MODEL_BY_KIND: Final[dict[str, type[KubeObject]]] = {
    model.model_fields["kind"].default: model
    for model in (
        Cluster,
        DockerDatacenterConfig,
        VSphereDatacenterConfig,
        VSphereMachineConfig,
        TinkerbellDatacenterConfig,
        TinkerbellMachineConfig,
        TinkerbellTemplateConfig,
        CloudStackDatacenterConfig,
        CloudStackMachineConfig,
        NutanixDatacenterConfig,
        NutanixMachineConfig,
        SnowDatacenterConfig,
        SnowMachineConfig,
        SnowIPPool,
        SimDatacenterConfig,
        SimMachineConfig,
        OIDCConfig,
        AWSIamConfig,
        GitOpsConfig,
        FluxConfig,
    )
}
