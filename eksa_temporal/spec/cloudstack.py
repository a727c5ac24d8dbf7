"""CloudStack kinds: ``CloudStackDatacenterConfig`` and ``CloudStackMachineConfig``.

Fields follow EKS-A's ``cloudstack*_types.go`` (including the deprecated top-level
``domain``/``account``/``zones`` form). Read by the loader/validator.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from eksa_temporal.spec.base import EksaModel, KubeObject, UserConfiguration, YamlStr


class CloudStackResourceIdentifier(EksaModel):
    id: YamlStr | None = None
    name: YamlStr | None = None


class CloudStackZone(EksaModel):
    id: YamlStr | None = None
    name: YamlStr | None = None
    network: CloudStackResourceIdentifier | None = None


class CloudStackAvailabilityZone(EksaModel):
    name: YamlStr = ""
    credentials_ref: YamlStr | None = None
    zone: CloudStackZone | None = None
    domain: YamlStr | None = None
    account: YamlStr | None = None
    management_api_endpoint: YamlStr | None = None


class CloudStackDatacenterConfigSpec(EksaModel):
    domain: YamlStr | None = None
    account: YamlStr | None = None
    zones: list[CloudStackZone] | None = None
    management_api_endpoint: YamlStr | None = None
    availability_zones: list[CloudStackAvailabilityZone] | None = None


class CloudStackDatacenterConfig(KubeObject):
    kind: Literal["CloudStackDatacenterConfig"] = "CloudStackDatacenterConfig"
    spec: CloudStackDatacenterConfigSpec = Field(default_factory=CloudStackDatacenterConfigSpec)


class CloudStackResourceDiskOffering(EksaModel):
    id: YamlStr | None = None
    name: YamlStr | None = None
    custom_size_in_gb: int | None = Field(default=None, alias="customSizeInGB")
    mount_path: YamlStr | None = None
    device: YamlStr | None = None
    filesystem: YamlStr | None = None
    label: YamlStr | None = None


class CloudStackMachineConfigSpec(EksaModel):
    template: CloudStackResourceIdentifier | None = None
    compute_offering: CloudStackResourceIdentifier | None = None
    disk_offering: CloudStackResourceDiskOffering | None = None
    users: list[UserConfiguration] | None = None
    affinity: YamlStr | None = None
    affinity_group_ids: list[YamlStr] | None = None
    user_custom_details: dict[str, YamlStr] | None = None
    symlinks: dict[str, YamlStr] | None = None
    host_os_configuration: dict[str, Any] | None = Field(default=None, alias="hostOSConfiguration")


class CloudStackMachineConfig(KubeObject):
    kind: Literal["CloudStackMachineConfig"] = "CloudStackMachineConfig"
    spec: CloudStackMachineConfigSpec = Field(default_factory=CloudStackMachineConfigSpec)
