"""The Docker datacenter kind and our own simulator kinds (``SimDatacenterConfig``,
``SimMachineConfig``).

``DockerDatacenterConfig`` has an empty spec in EKS-A. The sim kinds are this project's
provider for tests and demos: the sim provider's renderer and controllers read them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from eksa_temporal.spec.base import EksaModel, KubeObject, UserConfiguration, YamlStr


class DockerDatacenterConfigSpec(EksaModel):
    pass


class DockerDatacenterConfig(KubeObject):
    kind: Literal["DockerDatacenterConfig"] = "DockerDatacenterConfig"
    spec: DockerDatacenterConfigSpec = Field(default_factory=DockerDatacenterConfigSpec)


class SimDatacenterConfigSpec(EksaModel):
    state_dir: YamlStr | None = None
    endpoint: YamlStr | None = None


class SimDatacenterConfig(KubeObject):
    kind: Literal["SimDatacenterConfig"] = "SimDatacenterConfig"
    spec: SimDatacenterConfigSpec = Field(default_factory=SimDatacenterConfigSpec)


class SimMachineConfigSpec(EksaModel):
    cpus: int = 2
    memory_mib: int = Field(default=4096, alias="memoryMiB")
    os_family: YamlStr = "ubuntu"
    users: list[UserConfiguration] | None = None


class SimMachineConfig(KubeObject):
    kind: Literal["SimMachineConfig"] = "SimMachineConfig"
    spec: SimMachineConfigSpec = Field(default_factory=SimMachineConfigSpec)
