# mypy: disable-error-code="no-untyped-call,union-attr,operator,arg-type,index"
"""Kubernetes API semantics through the official Python client (CoreV1Api,
CustomObjectsApi, DynamicClient) against a real sim server process."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from kubernetes import client, dynamic, watch
from kubernetes.client.exceptions import ApiException

from tests.simulator.apiserver.conftest import WATCH_WINDOW
from tests.simulator.apiserver.crds import WIDGET_CRD, capi_crds, widget

G, V, P = "example.com", "v1", "widgets"


@pytest.fixture
def core(api: Any) -> Any:
    return client.CoreV1Api(api)


@pytest.fixture
def custom(api: Any) -> Any:
    client.ApiextensionsV1Api(api).create_custom_resource_definition(WIDGET_CRD)
    return client.CustomObjectsApi(api)


def _cm(name: str, labels: dict[str, str] | None = None, **data: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "labels": labels or {}}, "data": data}


def test_create_fills_uid_timestamp_generation_and_increasing_resource_versions(core: Any) -> None:
    a = core.create_namespaced_config_map("default", _cm("a", x="1"))
    b = core.create_namespaced_config_map("default", _cm("b", x="1"))
    assert a.metadata.uid and a.metadata.uid != b.metadata.uid
    assert a.metadata.creation_timestamp is not None and a.metadata.generation == 1
    assert int(b.metadata.resource_version) > int(a.metadata.resource_version)
    with pytest.raises(ApiException) as err:
        core.create_namespaced_config_map("default", _cm("a"))
    assert err.value.status == 409 and '"reason":"AlreadyExists"' in err.value.body.replace(" ", "")


def test_replace_with_a_stale_resource_version_is_a_409_conflict(core: Any) -> None:
    cm = core.create_namespaced_config_map("default", _cm("c", k="1"))
    cm.data = {"k": "2"}
    updated = core.replace_namespaced_config_map("c", "default", cm)
    assert int(updated.metadata.resource_version) > int(cm.metadata.resource_version)
    cm.data = {"k": "3"}
    with pytest.raises(ApiException) as err:
        core.replace_namespaced_config_map("c", "default", cm)
    assert err.value.status == 409
    assert core.read_namespaced_config_map("c", "default").data == {"k": "2"}


def test_namespaced_objects_need_their_namespace(core: Any) -> None:
    with pytest.raises(ApiException) as err:
        core.create_namespaced_config_map("nowhere", _cm("x"))
    assert err.value.status == 404 and "namespaces" in err.value.body


def test_generation_counts_spec_changes_and_status_goes_through_the_subresource(
        custom: Any) -> None:
    w = custom.create_namespaced_custom_object(G, V, "default", P, {**widget("w", size=1), "status": {"ok": True}})
    assert w["metadata"]["generation"] == 1 and "status" not in w
    w = custom.patch_namespaced_custom_object(G, V, "default", P, "w", {"metadata": {"labels": {"a": "b"}}})
    assert w["metadata"]["generation"] == 1
    w = custom.patch_namespaced_custom_object_status(G, V, "default", P, "w", {"status": {"ready": True}})
    assert w["status"] == {"ready": True} and w["metadata"]["generation"] == 1
    w = custom.patch_namespaced_custom_object(G, V, "default", P, "w",
                                              {"spec": {"size": 2}, "status": {"ready": False}})
    assert w["metadata"]["generation"] == 2 and w["status"] == {"ready": True}
    w["status"] = {"ready": "replaced"}
    w["spec"]["size"] = 5
    w = custom.replace_namespaced_custom_object_status(G, V, "default", P, "w", w)
    assert w["status"] == {"ready": "replaced"} and w["spec"]["size"] == 2


def test_label_selectors_support_every_operator(core: Any) -> None:
    core.create_namespaced_config_map("default", _cm("l1", {"tier": "web", "env": "prod"}))
    core.create_namespaced_config_map("default", _cm("l2", {"tier": "db", "env": "dev"}))
    core.create_namespaced_config_map("default", _cm("l3", {"tier": "web"}))

    def names(selector: str) -> list[str]:
        return sorted(i.metadata.name for i in core.list_namespaced_config_map("default", label_selector=selector).items)

    assert names("tier=web") == ["l1", "l3"]
    assert names("tier==db") == ["l2"]
    assert names("tier!=web") == ["l2"]
    assert names("env in (prod, dev)") == ["l1", "l2"]
    assert names("env notin (prod)") == ["l2", "l3"]
    assert names("env") == ["l1", "l2"]
    assert names("!env") == ["l3"]
    assert names("tier=web,env=prod") == ["l1"]


def test_field_selectors_on_name_and_namespace(core: Any) -> None:
    core.create_namespace({"metadata": {"name": "other"}})
    core.create_namespaced_config_map("default", _cm("f1"))
    core.create_namespaced_config_map("other", _cm("f1"))
    core.create_namespaced_config_map("other", _cm("f2"))
    found = core.list_config_map_for_all_namespaces(field_selector="metadata.name=f1").items
    assert sorted(i.metadata.namespace for i in found) == ["default", "other"]
    found = core.list_config_map_for_all_namespaces(field_selector="metadata.namespace=other,metadata.name!=f1").items
    assert [i.metadata.name for i in found] == ["f2"]


def test_pagination_with_limit_and_continue_returns_every_object_once(core: Any) -> None:
    for i in range(25):
        core.create_namespaced_config_map("default", _cm(f"p{i:02d}"))
    seen: list[str] = []
    token = None
    pages = 0
    while pages < 10:
        page = core.list_namespaced_config_map("default", limit=10, _continue=token)
        seen += [i.metadata.name for i in page.items]
        pages += 1
        token = page.metadata._continue
        if not token:
            break
    assert pages == 3 and seen == [f"p{i:02d}" for i in range(25)]


def test_watch_streams_changes_after_a_resource_version(core: Any) -> None:
    rv = core.list_namespaced_config_map("default").metadata.resource_version

    def writer() -> None:
        time.sleep(0.3)
        core.create_namespaced_config_map("default", _cm("w1"))
        core.patch_namespaced_config_map("w1", "default", {"data": {"a": "b"}})
        core.delete_namespaced_config_map("w1", "default")

    t = threading.Thread(target=writer)
    t.start()
    events = []
    for ev in watch.Watch().stream(core.list_namespaced_config_map, "default", resource_version=rv,
                                   timeout_seconds=2):
        events.append((ev["type"], ev["object"].metadata.name))
        if ev["type"] == "DELETED":
            break
    t.join()
    assert events == [("ADDED", "w1"), ("MODIFIED", "w1"), ("DELETED", "w1")]


def test_watch_sends_bookmarks_when_allowed(core: Any) -> None:
    rv = core.list_namespaced_config_map("default").metadata.resource_version
    resp = core.list_namespaced_config_map("default", watch=True, resource_version=rv,
                                           allow_watch_bookmarks=True, timeout_seconds=1,
                                           _preload_content=False)
    body = resp.data.decode()
    assert '"type":"BOOKMARK"' in body


def test_watch_from_a_compacted_resource_version_gets_410_expired(core: Any) -> None:
    old_rv = core.list_namespaced_config_map("default").metadata.resource_version
    for i in range(WATCH_WINDOW + 5):
        core.create_namespaced_config_map("default", _cm(f"g{i}"))
    with pytest.raises(ApiException) as err:
        for _ in watch.Watch().stream(core.list_namespaced_config_map, "default", resource_version=old_rv,
                                      timeout_seconds=2):
            pass
    assert err.value.status == 410


def test_finalizers_hold_deletion_until_the_last_one_is_removed(custom: Any) -> None:
    custom.create_namespaced_custom_object(G, V, "default", P,
                                           {**widget("fz"), "metadata": {"name": "fz", "finalizers": ["a/b", "c/d"]}})
    marked = custom.delete_namespaced_custom_object(G, V, "default", P, "fz")
    assert marked["metadata"]["deletionTimestamp"]
    still = custom.get_namespaced_custom_object(G, V, "default", P, "fz")
    assert still["metadata"]["finalizers"] == ["a/b", "c/d"]
    custom.patch_namespaced_custom_object(G, V, "default", P, "fz", {"metadata": {"finalizers": ["c/d"]}})
    assert custom.get_namespaced_custom_object(G, V, "default", P, "fz")["metadata"]["finalizers"] == ["c/d"]
    custom.patch_namespaced_custom_object(G, V, "default", P, "fz", {"metadata": {"finalizers": None}})
    with pytest.raises(ApiException) as err:
        custom.get_namespaced_custom_object(G, V, "default", P, "fz")
    assert err.value.status == 404


def _owned(owner: dict[str, Any], name: str) -> dict[str, Any]:
    ref = {"apiVersion": "example.com/v1", "kind": "Widget", "name": owner["metadata"]["name"],
           "uid": owner["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}
    return {"metadata": {"name": name, "ownerReferences": [ref]}, "data": {}}


@pytest.mark.parametrize("policy", ["Background", "Foreground", "Orphan"])
def test_garbage_collection_follows_the_propagation_policy(
        custom: Any, core: Any, policy: str) -> None:
    owner = custom.create_namespaced_custom_object(G, V, "default", P, widget("owner"))
    core.create_namespaced_config_map("default", _owned(owner, "dep1"))
    core.create_namespaced_config_map("default", _owned(owner, "dep2"))
    custom.delete_namespaced_custom_object(G, V, "default", P, "owner", propagation_policy=policy)
    left = {i.metadata.name: i for i in core.list_namespaced_config_map("default").items}
    if policy == "Orphan":
        assert set(left) >= {"dep1", "dep2"}
        assert not left["dep1"].metadata.owner_references
    else:
        assert not {"dep1", "dep2"} & set(left)
    with pytest.raises(ApiException):
        custom.get_namespaced_custom_object(G, V, "default", P, "owner")


def test_foreground_deletion_waits_for_dependents_with_finalizers(
        custom: Any, core: Any) -> None:
    owner = custom.create_namespaced_custom_object(G, V, "default", P, widget("fg"))
    dep = _owned(owner, "held")
    dep["metadata"]["finalizers"] = ["example.com/hold"]
    core.create_namespaced_config_map("default", dep)
    custom.delete_namespaced_custom_object(G, V, "default", P, "fg", propagation_policy="Foreground")
    waiting = custom.get_namespaced_custom_object(G, V, "default", P, "fg")
    assert "foregroundDeletion" in waiting["metadata"]["finalizers"]
    assert core.read_namespaced_config_map("held", "default").metadata.deletion_timestamp
    core.patch_namespaced_config_map("held", "default", {"metadata": {"finalizers": None}})
    with pytest.raises(ApiException) as err:
        custom.get_namespaced_custom_object(G, V, "default", P, "fg")
    assert err.value.status == 404


def test_deleting_a_namespace_removes_its_objects(core: Any) -> None:
    core.create_namespace({"metadata": {"name": "gone"}})
    core.create_namespaced_config_map("gone", _cm("x"))
    core.create_namespaced_secret("gone", {"metadata": {"name": "s"}, "stringData": {"a": "b"}})
    core.delete_namespace("gone")
    with pytest.raises(ApiException) as err:
        core.read_namespace("gone")
    assert err.value.status == 404
    assert core.list_config_map_for_all_namespaces(field_selector="metadata.namespace=gone").items == []


def test_server_side_apply_records_managers_and_reports_conflicts(custom: Any) -> None:
    def apply(manager: str, spec: dict[str, Any], force: bool = False) -> Any:
        return custom.patch_namespaced_custom_object(
            G, V, "default", P, "ssa", {**widget("ssa", **spec)}, field_manager=manager, force=force,
            _content_type="application/apply-patch+yaml")

    apply("alice", {"size": 1, "color": "red"})
    got = custom.get_namespaced_custom_object(G, V, "default", P, "ssa")
    assert [m["manager"] for m in got["metadata"]["managedFields"]] == ["alice"]
    assert got["metadata"]["managedFields"][0]["operation"] == "Apply"
    with pytest.raises(ApiException) as err:
        apply("bob", {"size": 2})
    assert err.value.status == 409 and "alice" in err.value.body and ".spec.size" in err.value.body
    apply("bob", {"size": 1})  # same value: shared ownership, no conflict
    forced = apply("bob", {"size": 3}, force=True)
    assert forced["spec"] == {"size": 3, "color": "red"}
    dropped = apply("alice", {"size": 3})  # alice stops declaring color: it is removed
    assert dropped["spec"] == {"size": 3}


def test_dry_run_does_not_persist(core: Any) -> None:
    made = core.create_namespaced_config_map("default", _cm("dry"), dry_run="All")
    assert made.metadata.name == "dry"
    with pytest.raises(ApiException):
        core.read_namespaced_config_map("dry", "default")


def test_json_patch_and_strategic_merge_patch(core: Any) -> None:
    core.create_namespaced_config_map("default", _cm("jp", a="1"))
    patched = core.patch_namespaced_config_map("jp", "default", [
        {"op": "add", "path": "/data/b", "value": "2"}, {"op": "remove", "path": "/data/a"}])
    assert patched.data == {"b": "2"}
    with pytest.raises(ApiException) as err:
        core.patch_namespaced_config_map("jp", "default", [{"op": "test", "path": "/data/b", "value": "9"}])
    assert err.value.status == 422
    merged = core.patch_namespaced_config_map("jp", "default", {"data": {"c": "3"}})
    assert merged.data == {"b": "2", "c": "3"}


def test_dynamic_client_discovers_and_serves_a_registered_crd(api: Any) -> None:
    client.ApiextensionsV1Api(api).create_custom_resource_definition(WIDGET_CRD)
    crd = client.ApiextensionsV1Api(api).read_custom_resource_definition("widgets.example.com")
    assert {c.type: c.status for c in crd.status.conditions}["Established"] == "True"
    dyn = dynamic.DynamicClient(api)
    widgets = dyn.resources.get(api_version="example.com/v1", kind="Widget")
    widgets.create(namespace="default", body=widget("dyn", size=1))
    assert [w.metadata.name for w in widgets.get(namespace="default").items] == ["dyn"]
    client.ApiextensionsV1Api(api).delete_custom_resource_definition("widgets.example.com")
    with pytest.raises(ApiException) as err:
        client.CustomObjectsApi(api).list_namespaced_custom_object(G, V, "default", P)
    assert err.value.status == 404


def test_a_label_selected_watch_sees_objects_enter_and_leave_the_selection(core: Any) -> None:
    core.create_namespaced_config_map("default", _cm("sel", {"pick": "no"}))
    rv = core.list_namespaced_config_map("default").metadata.resource_version

    def writer() -> None:
        time.sleep(0.3)
        core.patch_namespaced_config_map("sel", "default", {"metadata": {"labels": {"pick": "yes"}}})
        core.patch_namespaced_config_map("sel", "default", {"data": {"a": "b"}})
        core.patch_namespaced_config_map("sel", "default", {"metadata": {"labels": {"pick": "no"}}})

    t = threading.Thread(target=writer)
    t.start()
    events = []
    for ev in watch.Watch().stream(core.list_namespaced_config_map, "default", label_selector="pick=yes",
                                   resource_version=rv, timeout_seconds=2):
        events.append(ev["type"])
        if ev["type"] == "DELETED":
            break
    t.join()
    assert events == ["ADDED", "MODIFIED", "DELETED"]


def test_repeating_an_apply_does_not_change_the_resource_version(custom: Any) -> None:
    def apply() -> Any:
        return custom.patch_namespaced_custom_object(
            G, V, "default", P, "same", widget("same", size=1), field_manager="ctl",
            _content_type="application/apply-patch+yaml")

    apply()
    first = custom.get_namespaced_custom_object(G, V, "default", P, "same")
    again = apply()
    assert again["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]


def test_real_capi_crds_register_through_the_python_client_and_serve_v1beta1(api: Any) -> None:
    ext = client.ApiextensionsV1Api(api)
    for crd in capi_crds():
        ext.create_custom_resource_definition(crd)
    dyn = dynamic.DynamicClient(api)
    clusters = dyn.resources.get(api_version="cluster.x-k8s.io/v1beta1", kind="Cluster")
    assert clusters.namespaced and "status" in clusters.subresources
    made = clusters.create(namespace="default", body={
        "apiVersion": "cluster.x-k8s.io/v1beta1", "kind": "Cluster", "metadata": {"name": "wc"},
        "spec": {"controlPlaneEndpoint": {"host": "10.0.0.1", "port": 6443}}})
    assert made.metadata.generation == 1
    custom = client.CustomObjectsApi(api)
    custom.patch_namespaced_custom_object_status("cluster.x-k8s.io", "v1beta1", "default", "clusters", "wc",
                                                 {"status": {"phase": "Provisioned"}})
    paused = custom.patch_namespaced_custom_object("cluster.x-k8s.io", "v1beta1", "default", "clusters", "wc",
                                                   {"spec": {"paused": True}})
    assert paused["metadata"]["generation"] == 2 and paused["status"] == {"phase": "Provisioned"}
    kinds = {r.kind for r in dyn.resources.search(group="infrastructure.cluster.x-k8s.io")}
    assert {"VSphereCluster", "VSphereMachineTemplate", "DockerCluster"} <= kinds
    # the CRD schema prunes undeclared fields
    md = custom.create_namespaced_custom_object("cluster.x-k8s.io", "v1beta1", "default", "machinedeployments", {
        "apiVersion": "cluster.x-k8s.io/v1beta1", "kind": "MachineDeployment", "metadata": {"name": "md"},
        "spec": {"clusterName": "wc", "typo": 1, "selector": {}, "template": {"spec": {
            "clusterName": "wc", "bootstrap": {}, "infrastructureRef": {"kind": "X", "name": "y"}}}}})
    assert "typo" not in md["spec"] and md["spec"]["clusterName"] == "wc"


def test_watch_list_sends_initial_objects_then_the_initial_events_end_bookmark(core: Any) -> None:
    core.create_namespaced_config_map("default", _cm("i1"))
    resp = core.list_namespaced_config_map("default", watch=True, send_initial_events=True,
                                           resource_version_match="NotOlderThan", allow_watch_bookmarks=True,
                                           timeout_seconds=1, _preload_content=False)
    events = [json.loads(line) for line in resp.data.decode().splitlines()]
    assert events[0]["type"] == "ADDED" and events[0]["object"]["metadata"]["name"] == "i1"
    assert events[1]["type"] == "BOOKMARK"
    assert events[1]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


def test_an_object_whose_owners_do_not_exist_is_garbage_collected(core: Any) -> None:
    ghost = {"apiVersion": "v1", "kind": "ConfigMap", "name": "ghost", "uid": "00000000-0000-0000-0000-000000000000"}
    core.create_namespaced_config_map("default", {"metadata": {"name": "orphan", "ownerReferences": [ghost]}})
    deadline = time.monotonic() + 10
    gone = False
    while time.monotonic() < deadline and not gone:
        time.sleep(0.2)
        gone = not core.list_namespaced_config_map("default", field_selector="metadata.name=orphan").items
    assert gone


def test_what_the_crd_schema_refuses_is_a_422_naming_each_field(api: Any) -> None:
    """Types, enums and required fields are checked as kube-apiserver checks them, on
    create, replace, patch and server-side apply; the status subresource is not."""
    ext = client.ApiextensionsV1Api(api)
    for crd in capi_crds():
        ext.create_custom_resource_definition(crd)
    custom = client.CustomObjectsApi(api)
    group, version = "bootstrap.cluster.x-k8s.io", "v1beta1"
    kct = {"apiVersion": f"{group}/{version}", "kind": "KubeadmConfigTemplate", "metadata": {"name": "br"},
           "spec": {"template": {"spec": {"format": "bottlerocket"}}}}
    with pytest.raises(ApiException) as refused:
        custom.create_namespaced_custom_object(group, version, "default", "kubeadmconfigtemplates", kct)
    assert refused.value.status == 422
    message = json.loads(refused.value.body)["message"]
    assert message == ('KubeadmConfigTemplate.bootstrap.cluster.x-k8s.io "br" is invalid: spec.template.spec.format: '
                       'Unsupported value: "bottlerocket": supported values: "cloud-config", "ignition"')
    kct["spec"]["template"]["spec"]["format"] = "cloud-config"
    custom.create_namespaced_custom_object(group, version, "default", "kubeadmconfigtemplates", kct)
    with pytest.raises(ApiException) as patched:  # a patch is checked on the merged object
        custom.patch_namespaced_custom_object(group, version, "default", "kubeadmconfigtemplates", "br",
                                              {"spec": {"template": {"spec": {"format": 7}}}})
    assert "spec.template.spec.format in body must be of type string" in json.loads(patched.value.body)["message"]
    md = {"apiVersion": "cluster.x-k8s.io/v1beta1", "kind": "MachineDeployment", "metadata": {"name": "md"},
          "spec": {"replicas": "three", "selector": {}, "template": {"spec": {"clusterName": "wc", "bootstrap": {},
                                                                                "infrastructureRef": {"kind": "X", "name": "y"}}}}}
    with pytest.raises(ApiException) as both:
        custom.create_namespaced_custom_object("cluster.x-k8s.io", "v1beta1", "default", "machinedeployments", md)
    assert json.loads(both.value.body)["message"] == (
        'MachineDeployment.cluster.x-k8s.io "md" is invalid: [spec.replicas: Invalid value: "string": '
        'spec.replicas in body must be of type integer: "string", spec.clusterName: Required value]'
    )
