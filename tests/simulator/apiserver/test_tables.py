# mypy: disable-error-code="no-untyped-call,union-attr,type-var"
"""Server-side printing (``meta.k8s.io/v1`` ``Table``) through kubectl 1.32 and raw API
calls against a real sim server process: built-in printers (Node, Namespace, Secret,
ConfigMap, Deployment, Event, CRD), the real Cluster API CRDs' printer columns,
``-o wide``/``json``/``yaml``, ``includeObject`` and watch events as Tables."""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
from collections.abc import Callable
from typing import Any

from kubernetes import client

from tests.simulator.apiserver.crds import capi_crd_dir

Kubectl = Callable[..., subprocess.CompletedProcess[str]]
TABLE_ACCEPT = ("application/json;as=Table;v=v1;g=meta.k8s.io,"
                "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json")

NODES = [
    {"apiVersion": "v1", "kind": "Node",
     "metadata": {"name": "cp-1", "labels": {"node-role.kubernetes.io/control-plane": ""}}},
    {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "worker-1"}, "spec": {"unschedulable": True}},
]

DEPLOYMENT = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
              "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                       "template": {"metadata": {"labels": {"app": "web"}},
                                    "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}}}}


def _node_status(ready: str, version: str) -> str:
    return json.dumps({"status": {
        "conditions": [{"type": "Ready", "status": ready, "reason": "KubeletReady",
                        "lastHeartbeatTime": "2026-01-01T00:00:00Z", "lastTransitionTime": "2026-01-01T00:00:00Z"}],
        "addresses": [{"type": "InternalIP", "address": "10.0.0.7"}],
        "nodeInfo": {"kubeletVersion": version, "osImage": "Bottlerocket OS 1.26", "architecture": "amd64",
                     "bootID": "b", "containerRuntimeVersion": "containerd://1.7.20", "kernelVersion": "6.1.0",
                     "kubeProxyVersion": "", "machineID": "m", "operatingSystem": "linux", "systemUUID": "s"}}})


def _as_list(objs: list[dict[str, Any]]) -> str:
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": objs})


def _rows(out: str) -> dict[str, list[str]]:
    """Table output keyed by the first cell (multiple spaces separate cells)."""
    lines = [line for line in out.splitlines() if line.strip()]
    return {cells[0]: cells for cells in (re.split(r"\s{2,}", line.strip()) for line in lines)}


def _nodes(kubectl: Kubectl) -> None:
    kubectl("apply", "-f", "-", input=_as_list(NODES))
    kubectl("patch", "node", "cp-1", "--subresource=status", "--type=merge", "-p", _node_status("True", "v1.31.2-eks-1"))
    kubectl("patch", "node", "worker-1", "--subresource=status", "--type=merge", "-p", _node_status("False", "v1.30.1"))


def _request(api: Any, path: str, accept: str, **query: str) -> tuple[int, bytes]:
    method, url, headers, _, _ = api.param_serialize("GET", path, query_params=list(query.items()),
                                                     header_params={"Accept": accept}, auth_settings=["BearerToken"])
    resp = api.call_api(method, url, header_params=headers)
    resp.read()
    return int(resp.status), bytes(resp.data)


def _raw(api: Any, path: str, accept: str, **query: str) -> tuple[int, Any]:
    status, data = _request(api, path, accept, **query)
    return status, json.loads(data)


def test_get_nodes_shows_status_roles_age_and_version(kubectl: Kubectl) -> None:
    _nodes(kubectl)
    rows = _rows(kubectl("get", "nodes").stdout)
    assert rows["NAME"] == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    assert rows["cp-1"][1:3] == ["Ready", "control-plane"] and rows["cp-1"][4] == "v1.31.2-eks-1"
    assert rows["cp-1"][3].endswith("s")
    assert rows["worker-1"][1:3] == ["NotReady,SchedulingDisabled", "<none>"] and rows["worker-1"][4] == "v1.30.1"


def test_get_nodes_wide_adds_the_priority_columns(kubectl: Kubectl) -> None:
    _nodes(kubectl)
    rows = _rows(kubectl("get", "nodes", "-o", "wide").stdout)
    assert rows["NAME"][:8] == ["NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE"]
    assert rows["cp-1"][5:8] == ["10.0.0.7", "<none>", "Bottlerocket OS 1.26"]


def test_json_yaml_and_name_output_still_return_the_objects(kubectl: Kubectl) -> None:
    _nodes(kubectl)
    listed = json.loads(kubectl("get", "nodes", "-o", "json").stdout)
    assert listed["kind"] == "List" and [i["kind"] for i in listed["items"]] == ["Node", "Node"]
    assert listed["items"][0]["status"]["nodeInfo"]["kubeletVersion"] == "v1.31.2-eks-1"
    one = json.loads(kubectl("get", "node", "cp-1", "-o", "json").stdout)
    assert one["kind"] == "Node" and "rows" not in one
    assert "kind: Node" in kubectl("get", "node", "cp-1", "-o", "yaml").stdout
    assert kubectl("get", "nodes", "-o", "name").stdout.split() == ["node/cp-1", "node/worker-1"]


def test_get_namespaces_shows_status_active(kubectl: Kubectl) -> None:
    kubectl("create", "namespace", "shop")
    rows = _rows(kubectl("get", "ns").stdout)
    assert rows["NAME"] == ["NAME", "STATUS", "AGE"]
    assert rows["shop"][1] == "Active" and rows["default"][1] == "Active"
    assert _rows(kubectl("get", "ns", "shop").stdout)["shop"][1] == "Active"


def test_builtin_printers_of_secrets_configmaps_deployments_accounts_and_crds(kubectl: Kubectl) -> None:
    kubectl("create", "secret", "generic", "creds", "--from-literal=a=1", "--from-literal=b=2")
    kubectl("create", "configmap", "settings", "--from-literal=mode=fast")
    kubectl("create", "serviceaccount", "robot")
    kubectl("apply", "-f", "-", input=json.dumps(DEPLOYMENT))
    rows = _rows(kubectl("get", "secret").stdout)
    assert rows["NAME"] == ["NAME", "TYPE", "DATA", "AGE"] and rows["creds"][1:3] == ["Opaque", "2"]
    rows = _rows(kubectl("get", "cm").stdout)
    assert rows["NAME"] == ["NAME", "DATA", "AGE"] and rows["settings"][1] == "1"
    rows = _rows(kubectl("get", "sa").stdout)
    assert rows["NAME"] == ["NAME", "SECRETS", "AGE"] and rows["robot"][1] == "0"
    rows = _rows(kubectl("get", "deploy", "-o", "wide").stdout)
    assert rows["NAME"][:8] == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]
    assert rows["web"][1:4] == ["0/2", "0", "0"] and rows["web"][5:8] == ["nginx", "nginx:1.25", "app=web"]
    kubectl("apply", "-f", str(capi_crd_dir() / "cluster-api-v1.10.10/core/cluster.x-k8s.io_clusters.yaml"),
            "--server-side")
    rows = _rows(kubectl("get", "crd").stdout)
    assert rows["NAME"] == ["NAME", "CREATED AT"]
    assert rows["clusters.cluster.x-k8s.io"][1].endswith("Z")


def test_get_events_shows_last_seen_type_reason_object_and_message(kubectl: Kubectl) -> None:
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    event = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "web.1", "namespace": "default"},
             "involvedObject": {"kind": "Pod", "name": "web", "namespace": "default"},
             "reason": "Scheduled", "message": "Successfully assigned default/web  ", "type": "Normal",
             "firstTimestamp": now, "lastTimestamp": now, "count": 3, "source": {"component": "scheduler"}}
    kubectl("apply", "-f", "-", input=json.dumps(event))
    rows = _rows(kubectl("get", "events").stdout)
    assert rows["LAST SEEN"] == ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    row = next(r for r in rows.values() if "pod/web" in r)
    assert row[1:] == ["Normal", "Scheduled", "pod/web", "Successfully assigned default/web"]
    wide = kubectl("get", "events", "-o", "wide").stdout
    assert "SOURCE" in wide and "scheduler" in wide and "FIRST SEEN" in wide


def test_capi_crds_print_their_additional_printer_columns(kubectl: Kubectl) -> None:
    kubectl("apply", "--server-side", "-R", "-f", str(capi_crd_dir()), timeout=60)
    kubectl("create", "namespace", "eksa")
    cluster = {"apiVersion": "cluster.x-k8s.io/v1beta1", "kind": "Cluster",
               "metadata": {"name": "mgmt", "namespace": "eksa"},
               "spec": {"topology": {"class": "quick-start", "version": "v1.31.2"}}}
    kcp = {"apiVersion": "controlplane.cluster.x-k8s.io/v1beta1", "kind": "KubeadmControlPlane",
           "metadata": {"name": "mgmt-cp", "namespace": "eksa", "labels": {"cluster.x-k8s.io/cluster-name": "mgmt"}},
           "spec": {"replicas": 3, "version": "v1.31.2", "kubeadmConfigSpec": {},
                    "machineTemplate": {"infrastructureRef": {"apiVersion": "infrastructure.cluster.x-k8s.io/v1beta1",
                                                              "kind": "DockerMachineTemplate", "name": "cp"}}}}
    vsm = {"apiVersion": "infrastructure.cluster.x-k8s.io/v1beta1", "kind": "VSphereMachine",
           "metadata": {"name": "vm-1", "namespace": "eksa", "labels": {"cluster.x-k8s.io/cluster-name": "mgmt"},
                        "ownerReferences": [
                            {"apiVersion": "v1", "kind": "ConfigMap", "name": "other", "uid": "u0"},
                            {"apiVersion": "cluster.x-k8s.io/v1beta1", "kind": "Machine", "name": "m-1", "uid": "u1"}]},
           "spec": {"providerID": "vsphere://42", "template": "ubuntu", "network": {"devices": []}}}
    kubectl("apply", "-f", "-", input=_as_list([cluster, kcp, vsm]))
    kubectl("patch", "cluster", "mgmt", "-n", "eksa", "--subresource=status", "--type=merge",
            "-p", '{"status":{"phase":"Provisioned"}}')
    kubectl("patch", "kcp", "mgmt-cp", "-n", "eksa", "--subresource=status", "--type=merge",
            "-p", '{"status":{"initialized":true,"ready":false,"replicas":3,"readyReplicas":2,"updatedReplicas":3}}')

    rows = _rows(kubectl("get", "clusters.cluster.x-k8s.io", "-A").stdout)
    assert rows["NAMESPACE"] == ["NAMESPACE", "NAME", "CLUSTERCLASS", "PHASE", "AGE", "VERSION"]
    assert rows["eksa"][1:4] == ["mgmt", "quick-start", "Provisioned"] and rows["eksa"][5] == "v1.31.2"
    rows = _rows(kubectl("get", "kcp", "-n", "eksa").stdout)
    assert rows["NAME"] == ["NAME", "CLUSTER", "INITIALIZED", "API SERVER AVAILABLE", "REPLICAS", "READY",
                            "UPDATED", "UNAVAILABLE", "AGE", "VERSION"]
    assert rows["mgmt-cp"][1:5] == ["mgmt", "true", "false", "3"] and rows["mgmt-cp"][-1] == "v1.31.2"
    assert "DESIRED" in kubectl("get", "kcp", "-n", "eksa", "-o", "wide").stdout
    rows = _rows(kubectl("get", "vspheremachines", "-n", "eksa", "-o", "wide").stdout)
    assert rows["NAME"] == ["NAME", "CLUSTER", "READY", "PROVIDERID", "MACHINE", "AGE"]
    assert rows["vm-1"][1] == "mgmt" and rows["vm-1"][2] == "vsphere://42" and rows["vm-1"][3] == "m-1"
    listed = json.loads(kubectl("get", "clusters.cluster.x-k8s.io", "-A", "-o", "json").stdout)
    assert listed["items"][0]["kind"] == "Cluster" and listed["items"][0]["status"]["phase"] == "Provisioned"


def test_raw_tables_honour_include_object_and_plain_json_stays_a_list(api: Any, kubectl: Kubectl) -> None:
    kubectl("create", "configmap", "settings", "--from-literal=mode=fast")
    path = "/api/v1/namespaces/default/configmaps"
    status, table = _raw(api, path, TABLE_ACCEPT)
    assert status == 200 and table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Data", "Age"]
    assert table["metadata"]["resourceVersion"]
    row = next(r for r in table["rows"] if r["cells"][0] == "settings")
    assert row["cells"][1] == 1 and row["object"]["kind"] == "PartialObjectMetadata"
    assert row["object"]["metadata"]["name"] == "settings" and "data" not in row["object"]
    _, full = _raw(api, path, TABLE_ACCEPT, includeObject="Object")
    assert next(r for r in full["rows"] if r["cells"][0] == "settings")["object"]["data"] == {"mode": "fast"}
    _, bare = _raw(api, path, TABLE_ACCEPT, includeObject="None")
    assert all(r["object"] is None for r in bare["rows"])
    _, one = _raw(api, path + "/settings", TABLE_ACCEPT)
    assert one["kind"] == "Table" and len(one["rows"]) == 1
    _, legacy = _raw(api, path, "application/json;as=Table;v=v1beta1;g=meta.k8s.io")
    assert legacy["apiVersion"] == "meta.k8s.io/v1beta1"
    _, plain = _raw(api, path, "application/json")
    assert plain["kind"] == "ConfigMapList" and plain["items"][0]["data"]
    _, fallback = _raw(api, path, "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json")
    assert fallback["kind"] == "ConfigMapList"
    status, error = _raw(api, path, TABLE_ACCEPT, includeObject="Everything")
    assert status == 400 and error["reason"] == "BadRequest" and "includeObject" in error["message"]


def test_python_client_lists_still_return_typed_objects(api: Any, kubectl: Kubectl) -> None:
    _nodes(kubectl)
    nodes = client.CoreV1Api(api).list_node()
    assert sorted(n.metadata.name for n in nodes.items) == ["cp-1", "worker-1"]
    assert nodes.items[0].status.node_info.kubelet_version == "v1.31.2-eks-1"


def test_watch_with_tables_prints_rows_for_changes(kubectl: Kubectl, api: Any) -> None:
    out: list[str] = []

    def watcher() -> None:
        proc = kubectl("get", "configmaps", "-n", "default", "-w", "--request-timeout=4s", check=False, timeout=20)
        out.append(proc.stdout)

    t = threading.Thread(target=watcher)
    t.start()
    time.sleep(1.5)
    kubectl("create", "configmap", "late", "--from-literal=a=1", "--from-literal=b=2")
    t.join(timeout=25)
    rows = _rows(out[0])
    assert rows["NAME"] == ["NAME", "DATA", "AGE"] and rows["late"][1] == "2"
    _, data = _request(api, "/api/v1/namespaces/default/configmaps", TABLE_ACCEPT, watch="1", timeoutSeconds="1")
    events = [json.loads(line) for line in data.splitlines() if line.strip()]
    late = next(e for e in events if e["object"]["rows"][0]["cells"][0] == "late")
    assert late["type"] == "ADDED" and late["object"]["kind"] == "Table"
