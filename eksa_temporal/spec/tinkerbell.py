"""Bare-metal (Tinkerbell) kinds: ``TinkerbellDatacenterConfig``,
``TinkerbellMachineConfig`` and ``TinkerbellTemplateConfig``.

Fields follow EKS-A's ``tinkerbell*_types.go``; the workflow template body is kept as free
YAML. Read by the loader/validator and by a bare-metal provider.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from eksa_temporal.spec.base import EksaModel, KubeObject, Ref, UserConfiguration, YamlStr


class TinkerbellDatacenterConfigSpec(EksaModel):
    tinkerbell_ip: YamlStr = Field(default="", alias="tinkerbellIP")
    os_image_url: YamlStr | None = Field(default=None, alias="osImageURL")
    hook_images_url_path: YamlStr | None = Field(default=None, alias="hookImagesURLPath")
    hook_iso_url: YamlStr | None = Field(default=None, alias="hookIsoURL")
    iso_boot: bool | None = None
    skip_load_balancer_deployment: bool | None = None
    load_balancer_interface: YamlStr | None = None


class TinkerbellDatacenterConfig(KubeObject):
    kind: Literal["TinkerbellDatacenterConfig"] = "TinkerbellDatacenterConfig"
    spec: TinkerbellDatacenterConfigSpec = Field(default_factory=TinkerbellDatacenterConfigSpec)


class TinkerbellMachineConfigSpec(EksaModel):
    hardware_selector: dict[str, YamlStr] | None = None
    hardware_affinity: dict[str, Any] | None = None
    template_ref: Ref | None = None
    os_family: YamlStr | None = None
    os_image_url: YamlStr | None = Field(default=None, alias="osImageURL")
    users: list[UserConfiguration] | None = None
    host_os_configuration: dict[str, Any] | None = Field(default=None, alias="hostOSConfiguration")


class TinkerbellMachineConfig(KubeObject):
    kind: Literal["TinkerbellMachineConfig"] = "TinkerbellMachineConfig"
    spec: TinkerbellMachineConfigSpec = Field(default_factory=TinkerbellMachineConfigSpec)


class TinkerbellTemplateConfigSpec(EksaModel):
    template: dict[str, Any] | None = None


class TinkerbellTemplateConfig(KubeObject):
    kind: Literal["TinkerbellTemplateConfig"] = "TinkerbellTemplateConfig"
    spec: TinkerbellTemplateConfigSpec = Field(default_factory=TinkerbellTemplateConfigSpec)
