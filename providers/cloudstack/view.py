"""What the CloudStack provider reads from a ``ClusterSpec``, flattened: the availability
zones (EKS-A's legacy ``zones``/``domain``/``account``/``managementApiEndpoint`` form turned
into availability zones as EKS-A defaults it) and the machine configs with the role that
uses them. Shared by preflight and rendering."""

from __future__ import annotations

from dataclasses import dataclass

from eksa_temporal.errors import InvalidSpec
from eksa_temporal.spec.cloudstack import (
    CloudStackDatacenterConfig,
    CloudStackMachineConfig,
    CloudStackResourceIdentifier,
)
from eksa_temporal.spec.clusterspec import ClusterSpec


@dataclass(frozen=True)
class Ident:
    """A CloudStack resource named by id or name (id wins, as in CAPC)."""

    id: str = ""
    name: str = ""

    @classmethod
    def of(cls, value: CloudStackResourceIdentifier | None) -> Ident:
        if value is None:
            return cls()
        return cls(id=str(value.id or ""), name=str(value.name or ""))

    @property
    def field(self) -> str:
        return "id" if self.id else "name"

    @property
    def shown(self) -> str:
        return self.id or self.name

    def params(self) -> dict[str, str]:
        return {"id": self.id} if self.id else {"name": self.name}


@dataclass(frozen=True)
class Zone:
    index: int
    name: str
    credentials_ref: str
    domain: str
    account: str
    endpoint: str
    zone: Ident
    network: Ident

    def path(self, tail: str) -> str:
        return f"spec.availabilityZones[{self.index}].{tail}"


@dataclass(frozen=True)
class Machine:
    config: CloudStackMachineConfig
    roles: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.config.name


def datacenter(spec: ClusterSpec) -> CloudStackDatacenterConfig:
    dc = spec.datacenter
    if not isinstance(dc, CloudStackDatacenterConfig):
        raise InvalidSpec(
            "the cluster's datacenterRef is not a CloudStackDatacenterConfig",
            fix="set datacenterRef.kind: CloudStackDatacenterConfig and include the document",
        )
    return dc


def zones(spec: ClusterSpec) -> list[Zone]:
    """The availability zones of the spec's datacenter (legacy zones as ``default-az-<i>``
    with the ``global`` credentials, as EKS-A defaults them)."""
    dcs = datacenter(spec).spec
    out: list[Zone] = []
    if dcs.availability_zones:
        for i, az in enumerate(dcs.availability_zones):
            out.append(
                Zone(
                    index=i,
                    name=str(az.name),
                    credentials_ref=str(az.credentials_ref or "global"),
                    domain=str(az.domain or ""),
                    account=str(az.account or ""),
                    endpoint=str(az.management_api_endpoint or ""),
                    zone=Ident(id=str(az.zone.id or ""), name=str(az.zone.name or "")) if az.zone else Ident(),
                    network=Ident.of(az.zone.network if az.zone else None),
                )
            )
        return out
    for i, zone in enumerate(dcs.zones or []):
        out.append(
            Zone(
                index=i,
                name=f"default-az-{i}",
                credentials_ref="global",
                domain=str(dcs.domain or ""),
                account=str(dcs.account or ""),
                endpoint=str(dcs.management_api_endpoint or ""),
                zone=Ident(id=str(zone.id or ""), name=str(zone.name or "")),
                network=Ident.of(zone.network),
            )
        )
    return out


def machines(spec: ClusterSpec) -> list[Machine]:
    """Each CloudStackMachineConfig the cluster uses, with the roles that use it."""
    cluster = spec.cluster.spec
    uses: dict[str, list[str]] = {}
    cp = cluster.control_plane_configuration.machine_group_ref
    if cp is not None:
        uses.setdefault(str(cp.name), []).append("control plane")
    etcd = cluster.external_etcd_configuration
    if etcd is not None and etcd.machine_group_ref is not None:
        uses.setdefault(str(etcd.machine_group_ref.name), []).append("etcd")
    for group in spec.cluster.workers:
        if group.machine_group_ref is not None:
            uses.setdefault(str(group.machine_group_ref.name), []).append(f"worker group {group.name}")
    out = []
    for mc in spec.machine_configs_of(CloudStackMachineConfig):
        if mc.name in uses:
            out.append(Machine(config=mc, roles=tuple(uses[mc.name])))
    return out

