"""Helpers for the tests that drive a real ``sim serve`` process: install the real CAPI
CRDs plus the sim components with kubectl, render a cluster from a generated sim spec,
and wait on conditions with a Kubernetes watch."""

from __future__ import annotations

import base64
import json
import subprocess
import time
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client, watch

from eksa_temporal.providers.base import RenderContext
from eksa_temporal.providers.sim.provider import SimProvider
from eksa_temporal.simulator import components
from eksa_temporal.spec.generate import generate_cluster_config
from eksa_temporal.spec.load import load_spec
from tests.support.paths import shared_path
from tests.support.sim import SimServer

KUBECTL = "/usr/bin/kubectl"
NS = "eksa-system"
REAL_CRDS = {
    "core": ["clusters", "machines", "machinesets", "machinedeployments"],
    "bootstrap-kubeadm": ["kubeadmconfigs", "kubeadmconfigtemplates"],
    "control-plane-kubeadm": ["kubeadmcontrolplanes"],
    "clusterctl": ["providers"],
}
GROUPS = {
    "core": "cluster.x-k8s.io",
    "bootstrap-kubeadm": "bootstrap.cluster.x-k8s.io",
    "control-plane-kubeadm": "controlplane.cluster.x-k8s.io",
    "clusterctl": "clusterctl.cluster.x-k8s.io",
}


def kubectl(kubeconfig: Path, *args: str, stdin: str | None = None, timeout: float = 60) -> str:
    cache = kubeconfig.parent / "kcache"
    result = subprocess.run(
        [KUBECTL, "--kubeconfig", str(kubeconfig), "--cache-dir", str(cache), *args],
        input=stdin, capture_output=True, text=True, timeout=timeout,
    )
    if result.returncode != 0:
        raise AssertionError(f"kubectl {' '.join(args)} failed: {result.stderr}")
    return result.stdout


def install_capi(sim: SimServer, cluster: str) -> Path:
    """Real CAPI v1.10 CRDs (from ../shared) + the sim's own CRDs, namespaces and
    controller Deployments, applied with kubectl; returns the kubeconfig path."""
    base = shared_path("capi-crds", "cluster-api-v1.10.10")
    kubeconfig = sim.kubeconfig(cluster)
    docs: list[dict[str, Any]] = []
    for folder, plurals in REAL_CRDS.items():
        for plural in plurals:
            path = base / folder / f"{GROUPS[folder]}_{plural}.yaml"
            docs += [d for d in yaml.safe_load_all(path.read_text()) if d]
    docs += [d for d in components.manifests("sim") if d["kind"] == "CustomResourceDefinition"]
    # created, as clusterctl does (a client-side apply of 1.2 MB of CRDs is slow)
    kubectl(kubeconfig, "create", "-f", "-", stdin=yaml.safe_dump_all(docs))
    kubectl(kubeconfig, "wait", "--for=condition=Established", "crd", "--all", "--timeout=30s")
    rest: list[dict[str, Any]] = []
    for p in components.PROVIDERS:
        rest += components.manifests(p.name, crds=False)
    rest.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
    kubectl(kubeconfig, "apply", "-f", "-", stdin=yaml.safe_dump_all(rest))
    return kubeconfig


def render_cluster(name: str, *, workers: int = 2, version: str = "1.31") -> list[dict[str, Any]]:
    text = generate_cluster_config(name, "sim")
    docs = list(yaml.safe_load_all(text))
    docs[0]["spec"]["kubernetesVersion"] = version
    docs[0]["spec"]["workerNodeGroupConfigurations"][0]["count"] = workers
    loaded = load_spec(yaml.safe_dump_all(docs))
    assert loaded.spec is not None, loaded.findings
    return SimProvider().render_capi_objects(loaded.spec, RenderContext(namespace=NS))


def wait_cluster_available(api: client.ApiClient, name: str, timeout: int = 60) -> dict[str, Any]:
    """Watch the CAPI Cluster until its v1beta2 Available condition is True."""
    objs = client.CustomObjectsApi(api)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        w = watch.Watch()
        for event in w.stream(
            objs.list_namespaced_custom_object, "cluster.x-k8s.io", "v1beta1", NS, "clusters",
            field_selector=f"metadata.name={name}", timeout_seconds=max(1, int(deadline - time.monotonic())),
        ):
            obj = event["object"]
            conds = ((obj.get("status") or {}).get("v1beta2") or {}).get("conditions") or []
            if any(c["type"] == "Available" and c["status"] == "True" for c in conds):
                w.stop()
                return dict(obj)
    raise AssertionError(f"Cluster {name} not Available after {timeout}s")


def workload_kubeconfig(api: client.ApiClient, name: str, path: Path) -> Path:
    secret = client.CoreV1Api(api).read_namespaced_secret(f"{name}-kubeconfig", NS)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(secret.data["value"]))
    path.chmod(0o600)
    return path


def nodes(kubeconfig: Path) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = json.loads(kubectl(kubeconfig, "get", "nodes", "-o", "json"))["items"]
    return items
