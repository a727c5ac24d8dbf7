"""The EKS-A cluster spec: models for every kind, loading (multi-document, strict, with
EKS-A defaults), static validation with EKS-A's rules, and a spec generator.

This is the bottom layer of the product: the CLI, workflows, activities and providers import
from here, never the other way round. Typical use::

    result = load_spec_file("demo.yaml")
    findings = result.findings + (validate_spec(result.spec) if result.spec else [])
"""

from __future__ import annotations

from eksa_temporal.spec.base import API_VERSION, ObjectMeta, Ref, UserConfiguration
from eksa_temporal.spec.cloudstack import CloudStackDatacenterConfig, CloudStackMachineConfig
from eksa_temporal.spec.cluster import (
    Cluster,
    ClusterSpecBody,
    ControlPlaneConfiguration,
    Taint,
    WorkerNodeGroupConfiguration,
)
from eksa_temporal.spec.clusterspec import ClusterSpec
from eksa_temporal.spec.docker_sim import (
    DockerDatacenterConfig,
    SimDatacenterConfig,
    SimMachineConfig,
)
from eksa_temporal.spec.findings import Finding, Severity, errors
from eksa_temporal.spec.generate import generate_cluster_config
from eksa_temporal.spec.identity import AWSIamConfig, FluxConfig, GitOpsConfig, OIDCConfig
from eksa_temporal.spec.kinds import (
    PROVIDERS,
    DatacenterConfig,
    IdentityProviderConfig,
    MachineConfig,
    ProviderName,
)
from eksa_temporal.spec.load import LoadResult, check_spec_text, load_spec, load_spec_file
from eksa_temporal.spec.nutanix import NutanixDatacenterConfig, NutanixMachineConfig
from eksa_temporal.spec.snow import SnowDatacenterConfig, SnowIPPool, SnowMachineConfig
from eksa_temporal.spec.tinkerbell import (
    TinkerbellDatacenterConfig,
    TinkerbellMachineConfig,
    TinkerbellTemplateConfig,
)
from eksa_temporal.spec.validate import validate_spec
from eksa_temporal.spec.vsphere import VSphereDatacenterConfig, VSphereMachineConfig

__all__ = [
    "API_VERSION",
    "PROVIDERS",
    "AWSIamConfig",
    "CloudStackDatacenterConfig",
    "CloudStackMachineConfig",
    "Cluster",
    "ClusterSpec",
    "ClusterSpecBody",
    "ControlPlaneConfiguration",
    "DatacenterConfig",
    "DockerDatacenterConfig",
    "Finding",
    "FluxConfig",
    "GitOpsConfig",
    "IdentityProviderConfig",
    "LoadResult",
    "MachineConfig",
    "NutanixDatacenterConfig",
    "NutanixMachineConfig",
    "OIDCConfig",
    "ObjectMeta",
    "ProviderName",
    "Ref",
    "Severity",
    "SimDatacenterConfig",
    "SimMachineConfig",
    "SnowDatacenterConfig",
    "SnowIPPool",
    "SnowMachineConfig",
    "Taint",
    "TinkerbellDatacenterConfig",
    "TinkerbellMachineConfig",
    "TinkerbellTemplateConfig",
    "UserConfiguration",
    "VSphereDatacenterConfig",
    "VSphereMachineConfig",
    "WorkerNodeGroupConfiguration",
    "check_spec_text",
    "errors",
    "generate_cluster_config",
    "load_spec",
    "load_spec_file",
    "validate_spec",
]
