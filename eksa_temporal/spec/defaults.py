"""EKS-A defaults, applied to the raw YAML documents before strict decoding and validation.

Mirrors EKS-A's ``setClusterDefaults`` and the provider/GitOps defaulters: first worker
group named ``md-0``, worker count 1 (or the autoscaler minimum), legacy ``cni`` moved into
``cniConfig``, registry mirror port 443, namespace ``default``, vSphere machine sizes and OS
family, Flux namespace/branch/path. Called only by ``eksa_temporal.spec.load``. Every step
checks types first: malformed input is left for the decoder to report, never raises here.
"""

from __future__ import annotations

from typing import Any

from eksa_temporal.spec.base import DEFAULT_NAMESPACE
from eksa_temporal.spec.plugins import kind_defaults

Doc = dict[str, Any]


def dict_at(parent: Any, key: str) -> Doc | None:
    if isinstance(parent, dict):
        value = parent.get(key)
        if isinstance(value, dict):
            return value
    return None


def _set_namespace(doc: Doc) -> None:
    meta = doc.get("metadata")
    if meta is None:
        meta = doc["metadata"] = {}
    if isinstance(meta, dict) and not meta.get("namespace"):
        meta["namespace"] = DEFAULT_NAMESPACE


def _cluster_defaults(doc: Doc) -> None:
    spec = dict_at(doc, "spec")
    if spec is None:
        return
    workers = spec.get("workerNodeGroupConfigurations")
    if isinstance(workers, list):
        if workers and isinstance(workers[0], dict) and not workers[0].get("name"):
            workers[0]["name"] = "md-0"
        for group in workers:
            if not isinstance(group, dict) or group.get("count") is not None:
                continue
            autoscaling = group.get("autoscalingConfiguration")
            if isinstance(autoscaling, dict):
                group["count"] = autoscaling.get("minCount", 0)
            else:
                group["count"] = 1
    network = dict_at(spec, "clusterNetwork")
    if network is not None and network.get("cniConfig") is None:
        cni = network.get("cni")
        if cni in ("cilium", "cilium-enterprise", "kindnetd"):
            network["cniConfig"] = {"kindnetd" if cni == "kindnetd" else "cilium": {}}
            del network["cni"]
    mirror = dict_at(spec, "registryMirrorConfiguration")
    if mirror is not None and mirror.get("endpoint") and not mirror.get("port"):
        mirror["port"] = "443"


def default_user_name(spec: Doc, name: str) -> None:
    """EKS-A's ``SetUserDefaults`` (CLI): the first user gets a default name when unnamed."""
    users = spec.get("users")
    if not users:
        spec["users"] = [{"name": name}]
    elif isinstance(users, list) and isinstance(users[0], dict) and not users[0].get("name"):
        users[0]["name"] = name


def _gitops_defaults(doc: Doc, cluster_config_path: str) -> None:
    github = dict_at(dict_at(dict_at(doc, "spec"), "flux"), "github")
    if github is None:
        return
    github.setdefault("fluxSystemNamespace", "flux-system")
    github.setdefault("branch", "main")
    github.setdefault("clusterConfigPath", cluster_config_path)


def _flux_defaults(doc: Doc, cluster_config_path: str) -> None:
    spec = dict_at(doc, "spec")
    if spec is None:
        return
    spec.setdefault("systemNamespace", "flux-system")
    spec.setdefault("branch", "main")
    spec.setdefault("clusterConfigPath", cluster_config_path)


def _config_path(cluster: Doc | None) -> str:
    if cluster is None:
        return "clusters"
    name = dict_at(cluster, "metadata") or {}
    managed_by = dict_at(dict_at(cluster, "spec"), "managementCluster") or {}
    owner = managed_by.get("name") or name.get("name") or ""
    return f"clusters/{owner}"


def apply_defaults(docs: list[Doc]) -> None:
    """Default the recognised documents in place (each a dict with ``kind``)."""
    cluster = next((d for d in docs if d.get("kind") == "Cluster"), None)
    for doc in docs:
        _set_namespace(doc)
        kind = doc.get("kind")
        for contributed in kind_defaults(str(kind)):
            contributed(doc)
        if kind == "Cluster":
            _cluster_defaults(doc)
        elif kind == "GitOpsConfig":
            _gitops_defaults(doc, _config_path(cluster))
        elif kind == "FluxConfig":
            _flux_defaults(doc, _config_path(cluster))
        elif kind == "AWSIamConfig":
            spec = dict_at(doc, "spec")
            if spec is not None and not spec.get("partition"):
                spec["partition"] = "aws"
