"""``ClusterSpec``: one cluster's whole EKS-A spec as a single frozen value.

Holds the ``Cluster`` object and the objects it references (datacenter config, machine
configs by name, identity providers, GitOps/Flux config, Tinkerbell templates, Snow IP
pools) plus the provider name. Built by ``eksa_temporal.spec.load``; passed through workflow
inputs (pydantic data converter) and read by providers. ``to_yaml()`` writes the
multi-document spec back out so that it loads back equal.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidatorFunctionWrapHandler, WrapValidator

from eksa_temporal.spec.base import KubeObject
from eksa_temporal.spec.cluster import Cluster, WorkerNodeGroupConfiguration
from eksa_temporal.spec.identity import FluxConfig, GitOpsConfig
from eksa_temporal.spec.kinds import (
    PLUGIN_KINDS,
    DatacenterConfig,
    IdentityProviderConfig,
    MachineConfig,
)
from eksa_temporal.spec.snow import SnowIPPool
from eksa_temporal.spec.tinkerbell import TinkerbellTemplateConfig

M = TypeVar("M", bound=KubeObject)


def _plugin_object(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """An object of a kind a provider plug-in contributed is kept as it is (the built-in
    unions do not list it); everything else is validated as usual."""
    if isinstance(value, KubeObject) and value.kind in PLUGIN_KINDS:
        return value
    return handler(value)


_Extensible = WrapValidator(_plugin_object)


def object_document(obj: KubeObject) -> dict[str, Any]:
    """One object as a YAML-ready dict: apiVersion, kind and metadata first."""
    body = obj.dump()
    head = {"apiVersion": obj.api_version, "kind": obj.kind, "metadata": obj.metadata.dump()}
    for key in ("apiVersion", "kind", "metadata"):
        body.pop(key, None)
    return head | body


class HardwareCsvRef(BaseModel):
    """Where a bare-metal cluster's hardware CSV is (``-z/--hardware-csv``) and the sha256 it
    had when the operation started: a reference only - the CSV holds BMC passwords, which
    are read from the file by the activity that needs them."""

    model_config = ConfigDict(frozen=True)

    path: str
    sha256: str


class ClusterSpec(BaseModel):
    """A loaded cluster spec. ``provider`` is derived from the datacenter kind ("" if the
    kind is unknown); ``datacenter`` is ``None`` only when the reference did not resolve
    (``validate_spec`` reports it)."""

    model_config = ConfigDict(frozen=True)

    cluster: Cluster
    provider: str = ""
    datacenter: Annotated[DatacenterConfig | None, _Extensible] = None
    machine_configs: dict[str, Annotated[MachineConfig, _Extensible]] = Field(default_factory=dict)
    identity_providers: list[IdentityProviderConfig] = Field(default_factory=list)
    gitops: GitOpsConfig | None = None
    flux: FluxConfig | None = None
    tinkerbell_templates: dict[str, TinkerbellTemplateConfig] = Field(default_factory=dict)
    snow_ip_pools: dict[str, SnowIPPool] = Field(default_factory=dict)
    # the operation's hardware CSV (``-z``), set by whoever loads the spec for an operation;
    # not part of the spec text (``to_yaml`` leaves it out)
    hardware_csv: HardwareCsvRef | None = None

    # -- convenience accessors -------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.cluster.name

    @property
    def namespace(self) -> str:
        return self.cluster.namespace

    @property
    def kubernetes_version(self) -> str:
        return self.cluster.spec.kubernetes_version or ""

    @property
    def management_cluster_name(self) -> str:
        """The managing cluster's name (own name when self-managed)."""
        return self.cluster.spec.management_cluster.name or self.name

    @property
    def is_self_managed(self) -> bool:
        managed_by = self.cluster.spec.management_cluster.name
        return managed_by in ("", self.name)

    def machine_configs_of(self, model: type[M]) -> list[M]:
        """The machine configs of one provider's kind, in spec order."""
        return [mc for mc in self.machine_configs.values() if isinstance(mc, model)]

    def machine_config(self, kind: str, name: str) -> MachineConfig | None:
        found = self.machine_configs.get(name)
        return found if found is not None and found.kind == kind else None

    @property
    def control_plane_machine_config(self) -> MachineConfig | None:
        ref = self.cluster.spec.control_plane_configuration.machine_group_ref
        return None if ref is None else self.machine_config(ref.kind, ref.name)

    @property
    def etcd_machine_config(self) -> MachineConfig | None:
        etcd = self.cluster.spec.external_etcd_configuration
        if etcd is None or etcd.machine_group_ref is None:
            return None
        return self.machine_config(etcd.machine_group_ref.kind, etcd.machine_group_ref.name)

    @property
    def worker_groups(self) -> list[tuple[WorkerNodeGroupConfiguration, MachineConfig | None]]:
        """Each worker node group with its machine config (``None`` for docker)."""
        groups: list[tuple[WorkerNodeGroupConfiguration, MachineConfig | None]] = []
        for group in self.cluster.workers:
            ref = group.machine_group_ref
            groups.append((group, None if ref is None else self.machine_config(ref.kind, ref.name)))
        return groups

    # -- output ------------------------------------------------------------------------------
    def objects(self) -> list[KubeObject]:
        """Every object of the spec, Cluster first."""
        objs: list[KubeObject] = [self.cluster]
        if self.datacenter is not None:
            objs.append(self.datacenter)
        objs += list(self.machine_configs.values())
        objs += list(self.identity_providers)
        objs += [o for o in (self.gitops, self.flux) if o is not None]
        objs += list(self.tinkerbell_templates.values())
        objs += list(self.snow_ip_pools.values())
        return objs

    def to_yaml(self) -> str:
        """The multi-document YAML spec (camelCase, unset/None fields left out)."""
        docs = [object_document(o) for o in self.objects()]
        return "---\n".join(yaml.safe_dump(d, sort_keys=False) for d in docs)
