"""Nutanix kinds: ``NutanixDatacenterConfig`` and ``NutanixMachineConfig``.

Fields follow EKS-A's ``nutanix*_types.go``; sizes are Kubernetes quantities kept as text
(``8Gi``). Read by the loader/validator.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from eksa_temporal.spec.base import EksaModel, KubeObject, Ref, UserConfiguration, YamlStr


class NutanixResourceIdentifier(EksaModel):
    type: YamlStr = ""
    name: YamlStr | None = None
    uuid: YamlStr | None = None


class NutanixDatacenterFailureDomain(EksaModel):
    name: YamlStr = ""
    cluster: NutanixResourceIdentifier | None = None
    subnets: list[NutanixResourceIdentifier] | None = None
    worker_machine_groups: list[YamlStr] | None = None


class NutanixDatacenterConfigSpec(EksaModel):
    endpoint: YamlStr = ""
    port: int = 0
    additional_trust_bundle: YamlStr | None = None
    insecure: bool | None = None
    credential_ref: Ref | None = None
    failure_domains: list[NutanixDatacenterFailureDomain] | None = None
    ccm_exclude_node_ips: list[YamlStr] | None = Field(default=None, alias="ccmExcludeNodeIPs")


class NutanixDatacenterConfig(KubeObject):
    kind: Literal["NutanixDatacenterConfig"] = "NutanixDatacenterConfig"
    spec: NutanixDatacenterConfigSpec = Field(default_factory=NutanixDatacenterConfigSpec)


class NutanixCategoryIdentifier(EksaModel):
    key: YamlStr = ""
    value: YamlStr = ""


class NutanixGPU(EksaModel):
    type: YamlStr = ""
    device_id: int | None = Field(default=None, alias="deviceID")
    name: YamlStr | None = None


class NutanixMachineConfigSpec(EksaModel):
    os_family: YamlStr | None = None
    users: list[UserConfiguration] | None = None
    vcpus_per_socket: int = 0
    vcpu_sockets: int = 0
    memory_size: YamlStr = ""
    image: NutanixResourceIdentifier | None = None
    cluster: NutanixResourceIdentifier | None = None
    subnet: NutanixResourceIdentifier | None = None
    project: NutanixResourceIdentifier | None = None
    system_disk_size: YamlStr = ""
    additional_categories: list[NutanixCategoryIdentifier] | None = None
    gpus: list[NutanixGPU] | None = Field(default=None, alias="gpus")
    boot_type: YamlStr | None = None
    host_os_configuration: dict[str, Any] | None = Field(default=None, alias="hostOSConfiguration")


class NutanixMachineConfig(KubeObject):
    kind: Literal["NutanixMachineConfig"] = "NutanixMachineConfig"
    spec: NutanixMachineConfigSpec = Field(default_factory=NutanixMachineConfigSpec)
