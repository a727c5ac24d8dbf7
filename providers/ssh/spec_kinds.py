"""The SSH hosts provider's spec kinds: ``SSHDatacenterConfig`` (the host inventory: per
host its name, address, port, user and labels; the private key and the known-hosts file
as path references, never a key) and ``SSHMachineConfig`` (which hosts a node group may
take, by labels, and the least CPU and memory preflight accepts). Contributed to the spec
layer by the provider plug-in (``SSHProvider.spec_plugin``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from eksa_temporal.spec.base import EksaModel, KubeObject, YamlStr


class SSHHostEntry(EksaModel):
    """One host of the inventory. ``privateKeyFile`` / ``knownHostsFile`` override the
    datacenter's; ``firstContact`` accepts and records an unknown host key once."""

    name: YamlStr
    address: YamlStr
    port: int = 22
    user: YamlStr = "root"
    labels: dict[str, YamlStr] = Field(default_factory=dict)
    private_key_file: YamlStr | None = None
    known_hosts_file: YamlStr | None = None
    first_contact: bool = False


class SSHDatacenterConfigSpec(EksaModel):
    private_key_file: YamlStr = ""
    known_hosts_file: YamlStr = ""
    hosts: list[SSHHostEntry] = Field(default_factory=list)


class SSHDatacenterConfig(KubeObject):
    kind: Literal["SSHDatacenterConfig"] = "SSHDatacenterConfig"
    spec: SSHDatacenterConfigSpec = Field(default_factory=SSHDatacenterConfigSpec)


class SSHMachineConfigSpec(EksaModel):
    host_selector: dict[str, YamlStr] = Field(default_factory=dict)
    min_cpus: int = Field(default=0, alias="minCPUs")
    min_memory_mib: int = Field(default=0, alias="minMemoryMiB")
    os_family: YamlStr = "ubuntu"


class SSHMachineConfig(KubeObject):
    kind: Literal["SSHMachineConfig"] = "SSHMachineConfig"
    spec: SSHMachineConfigSpec = Field(default_factory=SSHMachineConfigSpec)
