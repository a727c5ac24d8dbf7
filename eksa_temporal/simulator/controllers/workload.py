"""The workload side of a simulated cluster: its virtual cluster in the emulator, the
cluster certificates and kubeconfig Secrets, and one Node per machine.

Naming: the workload cluster of CAPI Cluster ``<name>`` is the virtual cluster ``<name>``
(whichever virtual cluster hosts the Cluster object - so it stays the same cluster after a
clusterctl-style move, and a self-managed cluster hosts its own Cluster object). Called by
the SimCluster reconciler (virtual cluster), the KubeadmControlPlane reconciler (Secrets)
and the SimMachine / Machine reconcilers (Nodes).
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
from typing import Any, Protocol, cast

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from eksa_temporal.simulator.controllers import objects as o
from eksa_temporal.simulator.controllers.context import Ctx
from eksa_temporal.simulator.store_api import AlreadyExists, NotFound, StoreError

SECRET_TYPE = "cluster.x-k8s.io/secret"
CERT_SECRETS = ("ca", "etcd", "proxy", "sa")


# virtual cluster -------------------------------------------------------------------
def workload_cluster_name(capi_cluster: str) -> str:
    """The virtual cluster serving CAPI Cluster ``capi_cluster``."""
    return capi_cluster


class VirtualClusters(Protocol):
    """What the emulator's store offers beyond ``ObjectStore`` (``apiserver.store.Store``)."""

    def create_virtual_cluster(self, name: str, labels: dict[str, str] | None = None) -> str: ...

    def delete_virtual_cluster(self, name: str) -> None: ...

    def kubeconfig(self, name: str) -> str: ...


def _vcs(ctx: Ctx) -> VirtualClusters:
    return cast(VirtualClusters, ctx.store)


def ensure_virtual_cluster(ctx: Ctx, name: str, labels: dict[str, str] | None = None) -> None:
    """Create virtual cluster ``name`` with ``labels`` unless it exists (it keeps its own)."""
    if name not in ctx.store.clusters():
        _vcs(ctx).create_virtual_cluster(name, labels)  # idempotent


def delete_virtual_cluster(ctx: Ctx, name: str, *, itself: bool = False) -> bool:
    """Delete the workload virtual cluster; False when it was already gone. The cluster
    whose objects are being reconciled is deleted only when ``itself`` says so."""
    if name not in ctx.store.clusters() or (name == ctx.cluster and not itself):
        return False
    try:
        _vcs(ctx).delete_virtual_cluster(name)
    except NotFound:
        return False
    return True


def endpoint(ctx: Ctx, name: str) -> tuple[str, int]:
    """``(host, port)`` of the emulator serving virtual cluster ``name``."""
    server = getattr(ctx.store, "base_url", None) or _server_url(ctx)
    host_port = server.split("://", 1)[-1].split("/", 1)[0]
    host, _, port = host_port.rpartition(":")
    return host or host_port, int(port or 443)


def kubeconfig(ctx: Ctx, name: str) -> str:
    """Admin kubeconfig (YAML text) of virtual cluster ``name``."""
    return _vcs(ctx).kubeconfig(name)


def _server_url(ctx: Ctx) -> str:
    try:
        info = json.loads((ctx.state_dir / "server.json").read_text())
        return str(info["url"])
    except (OSError, ValueError, KeyError):
        return "https://127.0.0.1:6443"


# secrets ---------------------------------------------------------------------------
def ensure_cluster_secrets(ctx: Ctx, cluster: o.Obj, owner: o.Obj) -> bool:
    """The ``<c>-ca``, ``-etcd``, ``-proxy``, ``-sa`` and ``-kubeconfig`` Secrets (created
    when missing, never regenerated); True when the kubeconfig Secret exists."""
    cname, ns = o.name(cluster), o.namespace(cluster)
    for purpose in CERT_SECRETS:
        secret_name = f"{cname}-{purpose}"
        if ctx.get("v1", "Secret", ns, secret_name) is None:
            data = keypair(cname, purpose)
            ctx.create(_secret(secret_name, ns, cname, owner, data))
    kc_name = f"{cname}-kubeconfig"
    if ctx.get("v1", "Secret", ns, kc_name) is not None:
        return True
    try:
        text = kubeconfig(ctx, workload_cluster_name(cname))
    except (StoreError, KeyError):
        return False
    text = _rename_kubeconfig(text, cname)
    ctx.create(_secret(kc_name, ns, cname, owner, {"value": text.encode()}))
    return True


def _secret(name: str, ns: str | None, cname: str, owner: o.Obj, data: dict[str, bytes]) -> o.Obj:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": SECRET_TYPE,
        "metadata": {
            "name": name,
            "namespace": ns,
            "labels": {o.CLUSTER_NAME_LABEL: cname},
            "ownerReferences": [o.owner_ref(owner)],
        },
        "data": {k: base64.b64encode(v).decode() for k, v in data.items()},
    }


def _rename_kubeconfig(text: str, cname: str) -> str:
    """Name the kubeconfig's cluster, user and context as CAPI does (``<c>``,
    ``<c>-admin``, ``<c>-admin@<c>``)."""
    try:
        cfg: dict[str, Any] = yaml.safe_load(text)
        cluster = cfg["clusters"][0]
        user = cfg["users"][0]
    except (yaml.YAMLError, KeyError, IndexError, TypeError):
        return text
    admin = f"{cname}-admin"
    cfg["clusters"] = [{"name": cname, "cluster": cluster["cluster"]}]
    cfg["users"] = [{"name": admin, "user": user["user"]}]
    cfg["contexts"] = [{"name": f"{admin}@{cname}", "context": {"cluster": cname, "user": admin}}]
    cfg["current-context"] = f"{admin}@{cname}"
    return str(yaml.safe_dump(cfg, sort_keys=False))


def keypair(cname: str, purpose: str) -> dict[str, bytes]:
    """A self-signed CA (EC P-256: fast) - or for ``sa`` a signing key pair."""
    key = ec.generate_private_key(ec.SECP256R1())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    if purpose == "sa":
        pub = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return {"tls.crt": pub, "tls.key": key_pem}
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{cname}-{purpose}")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return {"tls.crt": cert.public_bytes(serialization.Encoding.PEM), "tls.key": key_pem}


# nodes -----------------------------------------------------------------------------
def node_ip(seq: int) -> str:
    return f"10.{(seq >> 16) & 255}.{(seq >> 8) & 255}.{seq & 255 or 1}"


def ensure_node(
    ctx: Ctx, workload: str, node_name: str, provider_id: str, machine: o.Obj, ip: str
) -> o.Obj | None:
    """The Node of a running machine in the workload virtual cluster (Ready), created when
    missing; None when the workload cluster does not exist."""
    if workload not in ctx.store.clusters():
        return None
    try:
        node = ctx.store.get(workload, "v1", "Node", None, node_name)
    except NotFound:
        node = None
    control_plane = o.CONTROL_PLANE_LABEL in o.labels(machine)
    version = str(o.spec(machine).get("version") or "v1.31.0")
    if node is None:
        labels = {
            "kubernetes.io/hostname": node_name,
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux",
            "beta.kubernetes.io/arch": "amd64",
        }
        if control_plane:
            labels[o.CONTROL_PLANE_ROLE] = ""
            labels["node.kubernetes.io/exclude-from-external-load-balancers"] = ""
        spec: dict[str, Any] = {"providerID": provider_id}
        if control_plane:
            spec["taints"] = [{"key": o.CONTROL_PLANE_ROLE, "effect": "NoSchedule"}]
        try:
            node = ctx.store.create(
                workload,
                {
                    "apiVersion": "v1",
                    "kind": "Node",
                    "metadata": {
                        "name": node_name,
                        "labels": labels,
                        "annotations": {
                            "cluster.x-k8s.io/cluster-name": o.cluster_name_of(machine) or "",
                            "cluster.x-k8s.io/cluster-namespace": o.namespace(machine) or "",
                            "cluster.x-k8s.io/machine": o.name(machine),
                        },
                    },
                    "spec": spec,
                },
            )
        except AlreadyExists:
            node = ctx.store.get(workload, "v1", "Node", None, node_name)
    if node is None:
        return None
    if not _node_ready(node):
        node = ctx.store.patch(
            workload, "v1", "Node", None, node_name,
            {"status": _node_status(node_name, ip, version)}, subresource="status",
        )
    return node


def _node_ready(node: o.Obj) -> bool:
    return o.is_true(node, "Ready")


def _node_status(node_name: str, ip: str, version: str) -> dict[str, Any]:
    now = o.now_iso()

    def cond(type_: str, status: str, reason: str) -> dict[str, str]:
        return {
            "type": type_, "status": status, "reason": reason,
            "lastHeartbeatTime": now, "lastTransitionTime": now,
        }

    return {
        "conditions": [
            cond("MemoryPressure", "False", "KubeletHasSufficientMemory"),
            cond("DiskPressure", "False", "KubeletHasNoDiskPressure"),
            cond("PIDPressure", "False", "KubeletHasSufficientPID"),
            cond("Ready", "True", "KubeletReady"),
        ],
        "addresses": [
            {"type": "InternalIP", "address": ip},
            {"type": "Hostname", "address": node_name},
        ],
        "capacity": {"cpu": "2", "memory": "8Gi", "pods": "110", "ephemeral-storage": "50Gi"},
        "allocatable": {"cpu": "2", "memory": "8Gi", "pods": "110", "ephemeral-storage": "50Gi"},
        "nodeInfo": {
            "kubeletVersion": version,
            "kubeProxyVersion": version,
            "containerRuntimeVersion": "containerd://1.7.22",
            "osImage": "Simulated Linux",
            "operatingSystem": "linux",
            "architecture": "amd64",
            "kernelVersion": "6.1.0-sim",
            "machineID": node_name,
            "systemUUID": node_name,
            "bootID": node_name,
        },
    }


def find_node(ctx: Ctx, workload: str, node_name: str, provider_id: str) -> o.Obj | None:
    """The Node of a machine: by name, checked against the provider ID, else the Node
    carrying the provider ID (as Cluster API finds Nodes; CAPD's are named after their
    container)."""
    if workload not in ctx.store.clusters():
        return None
    try:
        node = ctx.store.get(workload, "v1", "Node", None, node_name)
    except NotFound:
        node = None
    if node is not None and o.spec(node).get("providerID") == provider_id:
        return node
    try:
        nodes = ctx.store.list(workload, "v1", "Node", None)
    except NotFound:
        return None
    return next((n for n in nodes if o.spec(n).get("providerID") == provider_id), None)


def delete_node(ctx: Ctx, workload: str, node_name: str) -> None:
    if workload not in ctx.store.clusters():
        return
    with contextlib.suppress(NotFound):
        ctx.store.delete(workload, "v1", "Node", None, node_name)
