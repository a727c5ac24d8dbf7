"""Snow kinds: ``SnowDatacenterConfig``, ``SnowMachineConfig`` and ``SnowIPPool``.

Fields follow EKS-A's ``snow*_types.go``. Read by the loader/validator.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from eksa_temporal.spec.base import EksaModel, KubeObject, Ref, YamlStr


class SnowDatacenterConfigSpec(EksaModel):
    identity_ref: Ref | None = None


class SnowDatacenterConfig(KubeObject):
    kind: Literal["SnowDatacenterConfig"] = "SnowDatacenterConfig"
    spec: SnowDatacenterConfigSpec = Field(default_factory=SnowDatacenterConfigSpec)


class SnowVolume(EksaModel):
    size: int = 0
    device_name: YamlStr | None = None
    type: YamlStr | None = None


class SnowDirectNetworkInterface(EksaModel):
    index: int | None = None
    vlan_id: int | None = Field(default=None, alias="vlanID")
    dhcp: bool | None = Field(default=None, alias="dhcp")
    ip_pool_ref: Ref | None = None
    primary: bool | None = None


class SnowNetwork(EksaModel):
    direct_network_interfaces: list[SnowDirectNetworkInterface] | None = None


class SnowMachineConfigSpec(EksaModel):
    ami_id: YamlStr | None = Field(default=None, alias="amiID")
    instance_type: YamlStr | None = None
    physical_network_connector: YamlStr | None = None
    ssh_key_name: YamlStr | None = None
    devices: list[YamlStr] | None = None
    containers_volume: SnowVolume | None = None
    non_root_volumes: list[SnowVolume] | None = None
    os_family: YamlStr | None = None
    network: SnowNetwork | None = None
    host_os_configuration: dict[str, Any] | None = Field(default=None, alias="hostOSConfiguration")


class SnowMachineConfig(KubeObject):
    kind: Literal["SnowMachineConfig"] = "SnowMachineConfig"
    spec: SnowMachineConfigSpec = Field(default_factory=SnowMachineConfigSpec)


class IPPool(EksaModel):
    ip_start: YamlStr = Field(default="", alias="ipStart")
    ip_end: YamlStr = Field(default="", alias="ipEnd")
    subnet: YamlStr = ""
    gateway: YamlStr = ""


class SnowIPPoolSpec(EksaModel):
    pools: list[IPPool] | None = None


class SnowIPPool(KubeObject):
    kind: Literal["SnowIPPool"] = "SnowIPPool"
    spec: SnowIPPoolSpec = Field(default_factory=SnowIPPoolSpec)
