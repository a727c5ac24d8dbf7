"""vSphere kinds: ``VSphereDatacenterConfig`` and ``VSphereMachineConfig``.

Fields follow EKS-A's ``vsphere*_types.go``. Read by the loader/validator and by the vSphere
provider (preflight checks, template and clone settings, CAPV rendering).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from eksa_temporal.spec.base import EksaModel, KubeObject, UserConfiguration, YamlStr


class VSphereFailureDomain(EksaModel):
    name: YamlStr = ""
    compute_cluster: YamlStr | None = None
    resource_pool: YamlStr | None = None
    datastore: YamlStr | None = None
    folder: YamlStr | None = None
    network: YamlStr | None = None


class VSphereDatacenterConfigSpec(EksaModel):
    datacenter: YamlStr = ""
    network: YamlStr = ""
    server: YamlStr = ""
    thumbprint: YamlStr | None = None
    insecure: bool | None = None
    failure_domains: list[VSphereFailureDomain] | None = None


class VSphereDatacenterConfig(KubeObject):
    kind: Literal["VSphereDatacenterConfig"] = "VSphereDatacenterConfig"
    spec: VSphereDatacenterConfigSpec = Field(default_factory=VSphereDatacenterConfigSpec)


class VSphereMachineConfigSpec(EksaModel):
    disk_gib: int | None = Field(default=None, alias="diskGiB")
    datastore: YamlStr | None = None
    folder: YamlStr | None = None
    num_cpus: int | None = Field(default=None, alias="numCPUs")
    num_cpus_per_socket: int | None = Field(default=None, alias="numCPUsPerSocket")
    memory_mib: int | None = Field(default=None, alias="memoryMiB")
    os_family: YamlStr | None = None
    resource_pool: YamlStr | None = None
    storage_policy_name: YamlStr | None = None
    template: YamlStr | None = None
    users: list[UserConfiguration] | None = None
    networks: list[YamlStr] | None = None
    tag_ids: list[YamlStr] | None = Field(default=None, alias="tags")  # Go field TagIDs
    clone_mode: YamlStr | None = None
    host_os_configuration: dict[str, Any] | None = Field(default=None, alias="hostOSConfiguration")


class VSphereMachineConfig(KubeObject):
    kind: Literal["VSphereMachineConfig"] = "VSphereMachineConfig"
    spec: VSphereMachineConfigSpec = Field(default_factory=VSphereMachineConfigSpec)
