"""The same Kubernetes behaviour through kubectl 1.32 (discovery, tables, apply, server-side
apply, patch, label, wait, watch, delete) against a real sim server process."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable
from typing import Any

from tests.simulator.apiserver.crds import WIDGET_CRD, capi_crd_dir

Kubectl = Callable[..., subprocess.CompletedProcess[str]]

MANIFESTS = """
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop, labels: {app: shop, tier: web}}
data: {mode: fast}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: {app: shop}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: nginx:1.25, env: [{name: A, value: "1"}]}
      - {name: side, image: busybox}
"""


def _get(kubectl: Kubectl, *args: str) -> Any:
    return json.loads(kubectl("get", *args, "-o", "json").stdout)


def test_apply_creates_then_configures_and_bumps_generation(kubectl: Kubectl) -> None:
    out = kubectl("apply", "-f", "-", input=MANIFESTS).stdout
    assert "namespace/shop created" in out and "deployment.apps/web created" in out
    changed = MANIFESTS.replace("nginx:1.25", "nginx:1.26").replace("mode: fast", "mode: slow")
    out = kubectl("apply", "-f", "-", input=changed).stdout
    assert "deployment.apps/web configured" in out and "namespace/shop unchanged" in out
    dep = _get(kubectl, "deployment", "web", "-n", "shop")
    assert dep["metadata"]["generation"] == 2
    assert [c["image"] for c in dep["spec"]["template"]["spec"]["containers"]] == ["nginx:1.26", "busybox"]
    assert _get(kubectl, "configmap", "settings", "-n", "shop")["data"] == {"mode": "slow"}


def test_get_all_namespaces_and_label_selectors(kubectl: Kubectl) -> None:
    kubectl("apply", "-f", "-", input=MANIFESTS)
    table = kubectl("get", "configmaps", "-A").stdout
    assert table.splitlines()[0].split()[:2] == ["NAMESPACE", "NAME"] and "settings" in table
    assert "settings" in kubectl("get", "cm", "-A", "-l", "tier in (web,api)").stdout
    assert "No resources found" in kubectl("get", "cm", "-A", "-l", "tier=db").stderr
    names = kubectl("get", "cm", "-n", "shop", "-l", "app=shop", "-o", "name").stdout.split()
    assert names == ["configmap/settings"]


def test_patch_merge_json_and_strategic(kubectl: Kubectl) -> None:
    kubectl("apply", "-f", "-", input=MANIFESTS)
    kubectl("patch", "cm", "settings", "-n", "shop", "--type=merge", "-p", '{"data":{"extra":"1"}}')
    kubectl("patch", "cm", "settings", "-n", "shop", "--type=json",
            "-p", '[{"op":"remove","path":"/data/mode"}]')
    assert _get(kubectl, "cm", "settings", "-n", "shop")["data"] == {"extra": "1"}
    kubectl("patch", "deployment", "web", "-n", "shop",
            "-p", '{"spec":{"template":{"spec":{"containers":[{"name":"side","image":"busybox:2"}]}}}}')
    containers = _get(kubectl, "deployment", "web", "-n", "shop")["spec"]["template"]["spec"]["containers"]
    assert [(c["name"], c["image"]) for c in containers] == [("web", "nginx:1.25"), ("side", "busybox:2")]


def test_label_and_overwrite(kubectl: Kubectl) -> None:
    kubectl("apply", "-f", "-", input=MANIFESTS)
    kubectl("label", "cm", "settings", "-n", "shop", "owner=team-a")
    refused = kubectl("label", "cm", "settings", "-n", "shop", "owner=team-b", check=False)
    assert refused.returncode != 0 and "already has a value" in refused.stderr
    kubectl("label", "cm", "settings", "-n", "shop", "owner=team-b", "--overwrite")
    assert _get(kubectl, "cm", "settings", "-n", "shop")["metadata"]["labels"]["owner"] == "team-b"


def test_server_side_apply_conflicts_unless_forced(kubectl: Kubectl) -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa", "namespace": "default"},
          "data": {"k": "1"}}
    kubectl("apply", "--server-side", "--field-manager=alice", "-f", "-", input=json.dumps(cm))
    cm["data"] = {"k": "2"}
    refused = kubectl("apply", "--server-side", "--field-manager=bob", "-f", "-", input=json.dumps(cm), check=False)
    assert refused.returncode != 0 and "conflict" in refused.stderr.lower() and "alice" in refused.stderr
    kubectl("apply", "--server-side", "--field-manager=bob", "--force-conflicts", "-f", "-", input=json.dumps(cm))
    got = _get(kubectl, "cm", "ssa", "-n", "default", "--show-managed-fields")
    assert got["data"] == {"k": "2"}
    assert "bob" in [m["manager"] for m in got["metadata"]["managedFields"]]


def test_real_capi_crds_register_and_serve_with_wait_and_status(kubectl: Kubectl) -> None:
    started = time.monotonic()
    out = kubectl("apply", "--server-side", "-R", "-f", str(capi_crd_dir()), timeout=60).stdout
    assert time.monotonic() - started < 20
    assert out.count("serverside-applied") == 37
    kubectl("wait", "--for=condition=Established", "crd/clusters.cluster.x-k8s.io", "--timeout=10s")
    cluster = {"apiVersion": "cluster.x-k8s.io/v1beta1", "kind": "Cluster",
               "metadata": {"name": "c1", "namespace": "default"},
               "spec": {"clusterNetwork": {"pods": {"cidrBlocks": ["192.168.0.0/16"]}}}}
    kubectl("apply", "-f", "-", input=json.dumps(cluster))
    assert "c1" in kubectl("get", "clusters.cluster.x-k8s.io", "-A").stdout
    kubectl("patch", "cluster", "c1", "--subresource=status", "--type=merge",
            "-p", '{"status":{"conditions":[{"type":"Ready","status":"True","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}')
    kubectl("wait", "--for=condition=Ready", "cluster/c1", "--timeout=10s")
    unknown = dict(cluster, bogus=1)
    refused = kubectl("apply", "-f", "-", input=json.dumps(unknown), check=False)
    assert refused.returncode != 0 and 'unknown field "bogus"' in refused.stderr
    nested = dict(cluster, spec={"paused": True, "pasued": True})
    refused = kubectl("apply", "-f", "-", input=json.dumps(nested), check=False)
    assert refused.returncode != 0 and 'unknown field "spec.pasued"' in refused.stderr


def test_watch_with_a_request_timeout_prints_changes(kubectl: Kubectl) -> None:
    kubectl("apply", "-f", "-", input=json.dumps(WIDGET_CRD))
    result: dict[str, str] = {}

    def watcher() -> None:
        proc = kubectl("get", "widgets", "-n", "default", "-w", "--request-timeout=4s", "-o", "name",
                       check=False, timeout=20)
        result["out"] = proc.stdout

    t = threading.Thread(target=watcher)
    t.start()
    time.sleep(1.5)
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "seen", "namespace": "default"}}
    kubectl("apply", "-f", "-", input=json.dumps(widget))
    t.join(timeout=25)
    assert "widget.example.com/seen" in result.get("out", "")


def test_delete_waits_for_finalizers_and_completes(kubectl: Kubectl) -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap",
          "metadata": {"name": "held", "namespace": "default", "finalizers": ["example.com/hold"]}}
    kubectl("apply", "-f", "-", input=json.dumps(cm))
    kubectl("delete", "cm", "held", "-n", "default", "--wait=false")
    assert _get(kubectl, "cm", "held", "-n", "default")["metadata"]["deletionTimestamp"]
    kubectl("patch", "cm", "held", "-n", "default", "--type=json", "-p", '[{"op":"remove","path":"/metadata/finalizers"}]')
    kubectl("wait", "--for=delete", "cm/held", "-n", "default", "--timeout=10s")
    assert kubectl("get", "cm", "held", "-n", "default", check=False).returncode != 0


def test_imperative_create_commands_send_protobuf_that_the_emulator_decodes(kubectl: Kubectl) -> None:
    kubectl("create", "namespace", "imp")
    kubectl("create", "configmap", "conf", "-n", "imp", "--from-literal=a=b")
    kubectl("create", "secret", "generic", "cred", "-n", "imp", "--from-literal=pw=s3cret")
    kubectl("create", "serviceaccount", "robot", "-n", "imp")
    assert _get(kubectl, "cm", "conf", "-n", "imp")["data"] == {"a": "b"}
    secret = _get(kubectl, "secret", "cred", "-n", "imp")
    assert secret["data"] == {"pw": "czNjcmV0"} and secret["type"] == "Opaque"
    assert _get(kubectl, "sa", "robot", "-n", "imp")["metadata"]["namespace"] == "imp"
    kubectl("delete", "namespace", "imp", timeout=30)
    assert kubectl("get", "namespace", "imp", check=False).returncode != 0


def test_server_side_apply_takes_over_from_client_side_apply_without_conflicts(kubectl: Kubectl) -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "upgrade", "namespace": "default"},
          "data": {"k": "1"}}
    kubectl("apply", "-f", "-", input=json.dumps(cm))
    cm["data"] = {"k": "2"}
    kubectl("apply", "--server-side", "-f", "-", input=json.dumps(cm))
    assert _get(kubectl, "cm", "upgrade", "-n", "default")["data"] == {"k": "2"}
    assert json.loads(kubectl("get", "--raw", "/version").stdout)["major"] == "1"
