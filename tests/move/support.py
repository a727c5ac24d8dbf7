"""Helpers of the move tests and the benchmark: ``SIM_ARGS`` for the sim server they run
(``tests.support.sim.running_sim``: API only, no controllers), CAPI installed into a
virtual cluster (CRDs + clusterctl inventory), a hand-built CAPI object graph whose status
is set through the status subresource (a provisioned cluster), and snapshots that compare
source and target objects minus server-set fields and move bookkeeping."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from eksa_temporal.kube.move import api as mapi
from eksa_temporal.kube.move.api import ApiError, MoveApi, ResourceType
from eksa_temporal.kube.move.model import BOOKKEEPING_ANNOTATIONS
from eksa_temporal.simulator import components
from tests.support import histories
from tests.support.paths import SHARED
from tests.support.sim import SimServer

Obj = dict[str, Any]
SIM_ARGS = ("--no-controllers",)
CAPI = "cluster.x-k8s.io/v1beta1"
INFRA = "infrastructure.cluster.x-k8s.io/v1beta1"
BOOT = "bootstrap.cluster.x-k8s.io/v1beta1"
KCP = "controlplane.cluster.x-k8s.io/v1beta1"
REAL_INVENTORY_CRD = (
    SHARED / "capi-crds/cluster-api-v1.10.10/clusterctl/clusterctl.cluster.x-k8s.io_providers.yaml"
)
# the data of the Secrets GraphBuilder writes: distinctive values, so a check that none of
# them reached a history, journal or log cannot match an ordinary word
CLUSTER_SECRET_DATA = base64.b64encode(b"cluster-secret-data-4f7a9c2e").decode()
MACHINE_SECRET_DATA = base64.b64encode(b"machine-bootstrap-data-8d3b61f0").decode()


@dataclass
class Pair:
    """Two virtual clusters of one sim, CAPI installed in both (the ``pair`` fixture)."""

    sim: SimServer
    src_kubeconfig: str
    dst_kubeconfig: str
    src: MoveApi
    dst: MoveApi
    namespace: str = "eksa-system"


def stop(proc: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """SIGTERM our own process group, SIGKILL it when it lingers."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout)


def install_capi(api: MoveApi, versions: dict[str, str] | None = None) -> None:
    """The sim's CAPI CRDs and a clusterctl inventory (Provider objects)."""
    crds = components.all_crds()
    if REAL_INVENTORY_CRD.exists():  # the published schema keeps providerName/type/version
        real = yaml.safe_load(REAL_INVENTORY_CRD.read_text())
        crds = [real if c["metadata"]["name"] == real["metadata"]["name"] else c for c in crds]
    for crd in crds:
        create_or_get(api, mapi.CRD, crd)
    for p in components.PROVIDERS:
        if p.name == "cert-manager":
            continue
        ensure_namespace(api, p.namespace)
        create_or_get(
            api,
            mapi.PROVIDER,
            {
                "apiVersion": "clusterctl.cluster.x-k8s.io/v1alpha3",
                "kind": "Provider",
                "metadata": {"name": p.inventory_name, "namespace": p.namespace},
                "providerName": p.name,
                "type": p.type,
                "version": (versions or {}).get(p.name, p.version),
            },
        )


def ensure_namespace(api: MoveApi, name: str) -> None:
    create_or_get(
        api, mapi.NAMESPACE, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    )


def create_or_get(api: MoveApi, rt: ResourceType, obj: Obj) -> Obj:
    try:
        return api.create(rt, obj)
    except ApiError as exc:
        if not exc.already_exists:
            raise
        got = api.get(rt, obj["metadata"].get("namespace"), obj["metadata"]["name"])
        assert got is not None
        return got


def rt_of(api_version: str, kind: str, plural: str, status: bool = True) -> ResourceType:
    group, _, version = api_version.rpartition("/")
    return ResourceType(group, version, kind, plural, True, status)


TYPES = {
    "Cluster": rt_of(CAPI, "Cluster", "clusters"),
    "MachineDeployment": rt_of(CAPI, "MachineDeployment", "machinedeployments"),
    "MachineSet": rt_of(CAPI, "MachineSet", "machinesets"),
    "Machine": rt_of(CAPI, "Machine", "machines"),
    "KubeadmControlPlane": rt_of(KCP, "KubeadmControlPlane", "kubeadmcontrolplanes"),
    "KubeadmConfig": rt_of(BOOT, "KubeadmConfig", "kubeadmconfigs"),
    "KubeadmConfigTemplate": rt_of(BOOT, "KubeadmConfigTemplate", "kubeadmconfigtemplates"),
    "SimCluster": rt_of(INFRA, "SimCluster", "simclusters"),
    "SimMachine": rt_of(INFRA, "SimMachine", "simmachines"),
    "SimMachineTemplate": rt_of(INFRA, "SimMachineTemplate", "simmachinetemplates"),
    "Secret": mapi.SECRET,
    "ConfigMap": mapi.CONFIG_MAP,
}


class GraphBuilder:
    """Creates a provisioned-looking CAPI cluster by hand in one virtual cluster."""

    def __init__(self, api: MoveApi, namespace: str) -> None:
        self.api, self.ns = api, namespace
        ensure_namespace(api, namespace)

    def add(
        self,
        kind: str,
        name: str,
        owners: list[Obj] | None = None,
        *,
        spec: Obj | None = None,
        status: Obj | None = None,
        extra: Obj | None = None,
    ) -> Obj:
        rt = TYPES[kind]
        obj: Obj = {
            "apiVersion": rt.api_version,
            "kind": kind,
            "metadata": {
                "name": name,
                "namespace": self.ns,
                "labels": {"cluster.x-k8s.io/cluster-name": "x"},
                "annotations": {"note": f"{kind}-{name}"},
            },
        }
        if owners:
            obj["metadata"]["ownerReferences"] = [
                {
                    "apiVersion": o["apiVersion"],
                    "kind": o["kind"],
                    "name": o["metadata"]["name"],
                    "uid": o["metadata"]["uid"],
                    "controller": i == 0,
                    "blockOwnerDeletion": True,
                }
                for i, o in enumerate(owners)
            ]
        if spec is not None:
            obj["spec"] = spec
        obj.update(extra or {})
        out = self.api.create(rt, obj)
        if status is not None:
            out = self.api.replace(rt, {**out, "status": status}, subresource="status")
        return out

    def finalize(self, obj: Obj, finalizer: str) -> Obj:
        patch = {"metadata": {"finalizers": [finalizer]}}
        out = self.api.merge_patch(TYPES[obj["kind"]], self.ns, obj["metadata"]["name"], patch)
        assert out is not None
        return out

    def cluster(
        self, name: str, *, machines: int = 3, workers: int = 0, finalizers: bool = True
    ) -> list[Obj]:
        """A Cluster with control plane, workers, secrets; every Machine has a nodeRef."""
        objs: list[Obj] = []
        c = self.add(
            "Cluster",
            name,
            spec={
                "controlPlaneRef": {"kind": "KubeadmControlPlane", "name": name},
                "infrastructureRef": {"kind": "SimCluster", "name": name},
            },
            status={
                "infrastructureReady": True,
                "controlPlaneReady": True,
                "conditions": [{"type": "ControlPlaneInitialized", "status": "True"}],
            },
        )
        if finalizers:
            c = self.finalize(c, "cluster.cluster.x-k8s.io")
        objs.append(c)
        objs.append(
            self.add(
                "SimCluster",
                name,
                [c],
                spec={"controlPlaneEndpoint": {"host": "10.0.0.1", "port": 6443}},
                status={"ready": True},
            )
        )
        kcp = self.add(
            "KubeadmControlPlane",
            name,
            [c],
            spec={"replicas": machines, "version": "v1.31.0"},
            status={"initialized": True, "readyReplicas": machines},
        )
        objs.append(kcp)
        for suffix in ("kubeconfig", "ca", "etcd", "sa", "proxy"):
            owners = [kcp] if suffix == "kubeconfig" else None
            objs.append(
                self.add(
                    "Secret",
                    f"{name}-{suffix}",
                    owners,
                    extra={"type": "Opaque", "data": {"value": CLUSTER_SECRET_DATA}},
                )
            )
        objs.append(self.add("ConfigMap", f"{name}-extra", [c], extra={"data": {"k": "v"}}))
        owners_for_machines: list[tuple[Obj, str]] = [(kcp, "cp")]
        if workers:
            tmpl = self.add(
                "SimMachineTemplate", f"{name}-md", [c], spec={"template": {"spec": {"cpus": 2}}}
            )
            kct = self.add(
                "KubeadmConfigTemplate", f"{name}-md", [c], spec={"template": {"spec": {}}}
            )
            md = self.add(
                "MachineDeployment",
                f"{name}-md",
                [c],
                spec={"replicas": workers, "clusterName": name},
                status={"readyReplicas": workers},
            )
            ms = self.add(
                "MachineSet",
                f"{name}-md-ms",
                [md],
                spec={"replicas": workers, "clusterName": name},
                status={"readyReplicas": workers},
            )
            objs += [tmpl, kct, md, ms]
            owners_for_machines.append((ms, "md"))
        for owner, prefix in owners_for_machines:
            count = machines if prefix == "cp" else workers
            for i in range(count):
                m_name = f"{name}-{prefix}-{i}"
                m = self.add(
                    "Machine",
                    m_name,
                    [owner],
                    spec={"clusterName": name, "providerID": f"sim://{m_name}"},
                    status={"nodeRef": {"kind": "Node", "name": m_name}, "phase": "Running"},
                )
                if finalizers:
                    m = self.finalize(m, "machine.cluster.x-k8s.io")
                objs.append(m)
                objs.append(
                    self.add(
                        "SimMachine",
                        m_name,
                        [m],
                        spec={"providerID": f"sim://{m_name}"},
                        status={"ready": True},
                    )
                )
                kc = self.add("KubeadmConfig", m_name, [m], spec={}, status={"ready": True})
                objs.append(kc)
                objs.append(
                    self.add(
                        "Secret",
                        m_name,
                        [kc],
                        extra={
                            "type": "cluster.x-k8s.io/secret",
                            "data": {"value": MACHINE_SECRET_DATA},
                        },
                    )
                )
        return objs


def snapshot(api: MoveApi, namespace: str) -> dict[tuple[str, str], Obj]:
    """Comparable view of the move-relevant objects in ``namespace``: what must survive a
    move (spec, data, labels, annotations minus bookkeeping, owners by kind/name, status)."""
    out: dict[tuple[str, str], Obj] = {}
    for kind, rt in TYPES.items():
        for o in list_served(api, rt, namespace):
            meta = o["metadata"]
            ann = {
                k: v
                for k, v in (meta.get("annotations") or {}).items()
                if k not in BOOKKEEPING_ANNOTATIONS
            }
            spec = dict(o.get("spec") or {})
            spec.pop("paused", None)
            out[(kind, meta["name"])] = {
                "spec": spec,
                "data": o.get("data"),
                "labels": meta.get("labels") or {},
                "annotations": ann,
                "owners": sorted((r["kind"], r["name"]) for r in meta.get("ownerReferences") or []),
                "status": o.get("status"),
            }
    return out


def secret_values(sim: SimServer, api: MoveApi, namespace: str, *kubeconfigs: str) -> dict[str, str]:
    """The values a move must never copy out of the clusters, read from their sources: the
    data of every Secret in ``namespace`` (as stored and decoded), the bearer tokens of
    ``kubeconfigs`` and the sim's admin token."""
    found = histories.secret_data_values(api.list(mapi.SECRET, namespace))
    found.update(histories.kubeconfig_tokens(Path(k) for k in kubeconfigs))
    found["sim admin token"] = histories.sim_admin_token(sim.state_dir)
    return found


def owner_uids_resolve(api: MoveApi, namespace: str) -> list[str]:
    """Owner references in ``namespace`` whose uid is not the uid of the named owner."""
    uids: dict[tuple[str, str], str] = {}
    objs: list[Obj] = []
    for kind, rt in TYPES.items():
        for o in api.list(rt, namespace):
            uids[(kind, o["metadata"]["name"])] = o["metadata"]["uid"]
            objs.append(o)
    bad = []
    for o in objs:
        for r in o["metadata"].get("ownerReferences") or []:
            if uids.get((r["kind"], r["name"])) != r["uid"]:
                bad.append(f"{o['kind']}/{o['metadata']['name']} -> {r['kind']}/{r['name']}")
    return bad


def list_served(api: MoveApi, rt: ResourceType, namespace: str) -> list[Obj]:
    """Objects of a kind; none when the server does not serve the kind."""
    try:
        return api.list(rt, namespace)
    except ApiError as exc:
        if exc.status == 404:
            return []
        raise


def dump(obj: Any) -> str:
    return json.dumps(obj, indent=1, sort_keys=True, default=str)
