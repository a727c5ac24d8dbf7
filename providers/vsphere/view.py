"""The vSphere provider's view of a cluster spec: only what it needs, flat and typed.

``cluster_view`` reads an ``eksa_temporal.spec`` ``ClusterSpec`` (or any container holding
the spec's kind objects: a list, or a model whose fields hold them) and returns a frozen
``ClusterView``: the Cluster's name, version and networks, the ``VSphereDatacenterConfig``
it references and, per role (control plane, external etcd, each worker group), the
``VSphereMachineConfig`` it uses. Every check, the renderer and cleanup read this view, so
field paths in findings (``VSphereMachineConfig/cp: spec.datastore``) are built here too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict

from eksa_temporal.providers.proxy import proxy_commands, proxy_files
from eksa_temporal.providers.vsphere.errors import VSpherePermanentError
from eksa_temporal.spec.cluster import Cluster
from eksa_temporal.spec.vsphere import VSphereDatacenterConfig, VSphereMachineConfig


class MachineView(BaseModel):
    """One ``VSphereMachineConfig``."""

    model_config = ConfigDict(frozen=True)
    name: str
    datastore: str = ""
    folder: str = ""
    resource_pool: str = ""
    template: str = ""
    os_family: str = "bottlerocket"
    num_cpus: int = 2
    memory_mib: int = 8192
    disk_gib: int = 25
    clone_mode: str = ""
    storage_policy_name: str = ""
    tag_ids: tuple[str, ...] = ()
    users: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def field(self, name: str) -> str:
        """The finding path of one of its fields, e.g. ``VSphereMachineConfig/cp: spec.datastore``."""
        return f"VSphereMachineConfig/{self.name}: spec.{name}"


class GroupView(BaseModel):
    """Machines of one role: ``control-plane``, ``etcd`` or ``worker`` (named group)."""

    model_config = ConfigDict(frozen=True)
    role: str
    name: str
    count: int
    machine: MachineView
    labels: dict[str, str] = {}
    taints: tuple[dict[str, str], ...] = ()


class ClusterView(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str
    kubernetes_version: str
    datacenter_name: str
    datacenter: str
    server: str
    network: str
    thumbprint: str = ""
    insecure: bool = False
    endpoint_host: str = ""
    pod_cidrs: tuple[str, ...] = ("192.168.0.0/16",)
    service_cidrs: tuple[str, ...] = ("10.96.0.0/12",)
    control_plane: GroupView
    etcd: GroupView | None = None
    workers: tuple[GroupView, ...] = ()
    # the containerd proxy drop-in and its commands (``providers.proxy``); empty without a proxy
    proxy_files: tuple[dict[str, str], ...] = ()
    proxy_commands: tuple[str, ...] = ()

    @property
    def groups(self) -> list[GroupView]:
        out = [self.control_plane]
        if self.etcd is not None:
            out.append(self.etcd)
        return out + list(self.workers)

    @property
    def machines(self) -> list[MachineView]:
        """Distinct machine configs in use, in role order."""
        seen: dict[str, MachineView] = {}
        for group in self.groups:
            seen.setdefault(group.machine.name, group.machine)
        return list(seen.values())

    def dc_field(self, name: str) -> str:
        return f"VSphereDatacenterConfig/{self.datacenter_name}: spec.{name}"


def _walk(value: Any) -> Iterable[Any]:
    """Every spec kind object reachable from ``value`` (lists, dicts, model fields)."""
    if isinstance(value, Cluster | VSphereDatacenterConfig | VSphereMachineConfig):
        yield value
    elif isinstance(value, list | tuple | set):
        for item in value:
            yield from _walk(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _walk(getattr(value, name))


def _machine(config: VSphereMachineConfig) -> MachineView:
    s = config.spec
    users = tuple((u.name, tuple(u.ssh_authorized_keys or ())) for u in s.users or [])
    return MachineView(
        name=config.name,
        datastore=s.datastore or "",
        folder=s.folder or "",
        resource_pool=s.resource_pool or "",
        template=s.template or "",
        os_family=s.os_family or "bottlerocket",
        num_cpus=s.num_cpus or 2,
        memory_mib=s.memory_mib or 8192,
        disk_gib=s.disk_gib or 25,
        clone_mode=s.clone_mode or "",
        storage_policy_name=s.storage_policy_name or "",
        tag_ids=tuple(s.tag_ids or ()),
        users=users,
    )


def _taints(items: Any) -> tuple[dict[str, str], ...]:
    return tuple(
        {k: v for k, v in {"key": t.key, "value": t.value, "effect": t.effect}.items() if v}
        for t in items or []
    )


def cluster_view(spec: Any) -> ClusterView:
    """Build the view; raises ``VSpherePermanentError`` when the spec is not a vSphere one."""
    objects = list(_walk(spec))
    clusters = [o for o in objects if isinstance(o, Cluster)]
    if not clusters:
        raise VSpherePermanentError("the spec has no Cluster object", "add a Cluster document")
    cluster = clusters[0]
    body = cluster.spec
    dcs = {o.name: o for o in objects if isinstance(o, VSphereDatacenterConfig)}
    mcs = {o.name: o for o in objects if isinstance(o, VSphereMachineConfig)}
    dc = dcs.get(body.datacenter_ref.name)
    if dc is None or body.datacenter_ref.kind != "VSphereDatacenterConfig":
        raise VSpherePermanentError(
            f"Cluster/{cluster.name}: spec.datacenterRef does not name a VSphereDatacenterConfig",
            "point spec.datacenterRef at the VSphereDatacenterConfig of the spec",
        )

    def machine(ref: Any, where: str) -> MachineView:
        if ref is None or ref.name not in mcs:
            name = ref.name if ref is not None else ""
            raise VSpherePermanentError(
                f"Cluster/{cluster.name}: {where}.machineGroupRef names no VSphereMachineConfig {name!r}",
                "add the VSphereMachineConfig or fix the reference",
            )
        return _machine(mcs[ref.name])

    cp = body.control_plane_configuration
    control_plane = GroupView(
        role="control-plane",
        name=cluster.name,
        count=cp.count or 1,
        machine=machine(cp.machine_group_ref, "spec.controlPlaneConfiguration"),
        labels=dict(cp.labels or {}),
        taints=_taints(cp.taints),
    )
    etcd = None
    ext = body.external_etcd_configuration
    if ext is not None and ext.count:
        etcd = GroupView(
            role="etcd",
            name=f"{cluster.name}-etcd",
            count=ext.count,
            machine=machine(ext.machine_group_ref, "spec.externalEtcdConfiguration"),
        )
    workers = tuple(
        GroupView(
            role="worker",
            name=w.name,
            count=w.count if w.count is not None else 1,
            machine=machine(w.machine_group_ref, f"spec.workerNodeGroupConfigurations[{i}]"),
            labels=dict(w.labels or {}),
            taints=_taints(w.taints),
        )
        for i, w in enumerate(cluster.workers)
    )
    net = body.cluster_network
    d = dc.spec
    return ClusterView(
        name=cluster.name,
        kubernetes_version=body.kubernetes_version or "",
        datacenter_name=dc.name,
        datacenter=d.datacenter,
        server=d.server,
        network=d.network,
        thumbprint=d.thumbprint or "",
        insecure=bool(d.insecure),
        endpoint_host=cp.endpoint.host if cp.endpoint is not None else "",
        pod_cidrs=tuple(net.pods.cidr_blocks or ()) if net.pods else ("192.168.0.0/16",),
        service_cidrs=tuple(net.services.cidr_blocks or ()) if net.services else ("10.96.0.0/12",),
        control_plane=control_plane,
        etcd=etcd,
        workers=workers,
        proxy_files=tuple(proxy_files(cluster, [d.server])),
        proxy_commands=tuple(proxy_commands(cluster)),
    )
