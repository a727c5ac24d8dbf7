"""Unit tests of the emulator's server-side printing helpers: the JSONPath subset of CRD
printer columns, ``HumanDuration`` ages, typed CRD cells and Accept negotiation."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import make_mocked_request

from eksa_temporal.simulator.apiserver import jsonpath, tables
from eksa_temporal.simulator.apiserver.printers import human_duration, node_roles, node_status
from eksa_temporal.simulator.apiserver.resources import from_crd

OBJ: dict[str, Any] = {
    "metadata": {"name": "m", "labels": {"cluster.x-k8s.io/cluster-name": "mgmt"},
                 "ownerReferences": [{"kind": "MachineSet", "name": "ms"}, {"kind": "Machine", "name": "m-1"}]},
    "spec": {"controlPlaneEndpoint": [{"host": "10.0.0.1"}], "replicas": 3},
    "status": {"conditions": [{"type": "Available", "status": "False"}, {"type": "Ready", "status": "True"}]},
}


def _eval(expr: str) -> list[Any]:
    return jsonpath.evaluate(jsonpath.parse(expr), OBJ)


@pytest.mark.parametrize(("expr", "expected"), [
    (".spec.replicas", [3]),
    ("{.spec.replicas}", [3]),
    (".metadata.labels.cluster\\.x-k8s\\.io/cluster-name", ["mgmt"]),
    (".metadata.labels['cluster\\.x-k8s\\.io/cluster-name']", ["mgmt"]),
    ('.metadata.labels["cluster.x-k8s.io/cluster-name"]', ["mgmt"]),
    (".spec.controlPlaneEndpoint[0].host", ["10.0.0.1"]),
    (".metadata.ownerReferences[-1].name", ["m-1"]),
    ('.metadata.ownerReferences[?(@.kind=="Machine")].name', ["m-1"]),
    ('.status.conditions[?(@.type=="Ready")].status', ["True"]),
    (".status.conditions[?(@.type!='Ready')].type", ["Available"]),
    (".status.conditions[*].type", ["Available", "Ready"]),
    (".spec.replicas[?(@.x > 1)]", []),
    (".status.missing.deeper", []),
    (".spec.controlPlaneEndpoint[5]", []),
])
def test_jsonpath_subset_selects_like_kubernetes(expr: str, expected: list[Any]) -> None:
    assert _eval(expr) == expected


def test_unsupported_jsonpath_is_rejected() -> None:
    with pytest.raises(jsonpath.JSONPathError):
        jsonpath.parse(".a[1:2:x]")
    with pytest.raises(jsonpath.JSONPathError):
        jsonpath.parse(".a[?(@.b =~ /x/)]")


@pytest.mark.parametrize(("seconds", "text"), [
    (-5, "<invalid>"), (-1, "0s"), (0, "0s"), (119, "119s"), (120, "2m"), (125, "2m5s"), (600, "10m"),
    (3 * 3600, "3h"), (3 * 3600 + 60, "3h1m"), (10 * 3600, "10h"), (50 * 3600, "2d2h"), (9 * 86400, "9d"),
    (800 * 86400, "2y70d"), (3000 * 86400, "8y"),
])
def test_human_duration_matches_apimachinery(seconds: int, text: str) -> None:
    assert human_duration(seconds) == text


def test_node_status_and_roles_follow_conditions_labels_and_unschedulable() -> None:
    node = {"metadata": {"labels": {"node-role.kubernetes.io/control-plane": "", "node-role.kubernetes.io/": "",
                                    "kubernetes.io/role": "etcd"}},
            "spec": {"unschedulable": True}, "status": {"conditions": [{"type": "Ready", "status": "Unknown"}]}}
    assert node_status(node) == "NotReady,SchedulingDisabled"
    assert node_roles(node) == ["control-plane", "etcd"]
    assert node_status({}) == "Unknown"


def test_crd_cells_are_typed_and_dates_become_ages() -> None:
    crd = {"spec": {"group": "example.com", "scope": "Namespaced", "names": {"kind": "W", "plural": "ws"},
                    "versions": [{"name": "v1", "served": True, "storage": True, "additionalPrinterColumns": [
                        {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
                        {"name": "Ready", "type": "string", "jsonPath": ".status.ready"},
                        {"name": "Ok", "type": "boolean", "jsonPath": ".spec.replicas"},
                        {"name": "Endpoint", "type": "string", "jsonPath": ".spec.ep"},
                        {"name": "Since", "type": "date", "jsonPath": ".status.when"},
                        {"name": "Bad", "type": "string", "jsonPath": ".a[?(@.b =~ /x/)]"}]},
                                 {"name": "v2", "served": True}]}}
    rt = from_crd(crd)
    obj = {"metadata": {"name": "w1"}, "spec": {"replicas": 2, "ep": {"port": 6443, "host": "h"}},
           "status": {"ready": True, "when": "2000-01-01T00:00:00Z"}}
    table = tables.render(rt, "v1", [obj], {}, tables.TableRequest())
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Replicas", "Ready", "Ok", "Endpoint", "Since"]
    cells = table["rows"][0]["cells"]
    assert cells[:5] == ["w1", 2, "true", None, '{"host":"h","port":6443}'] and cells[5].endswith("y")
    v2 = tables.render(rt, "v2", [obj], {}, tables.TableRequest(include="None"))
    assert [c["name"] for c in v2["columnDefinitions"]] == ["Name", "Age"] and v2["rows"][0]["object"] is None


@pytest.mark.parametrize(("accept", "expected"), [
    ("application/json;as=Table;v=v1;g=meta.k8s.io,application/json", tables.TableRequest("v1")),
    ("application/json;as=Table;v=v1beta1;g=meta.k8s.io", tables.TableRequest("v1beta1")),
    ("application/json, application/json;as=Table;v=v1;g=meta.k8s.io", None),
    ("application/vnd.kubernetes.protobuf,application/json", None),
    ("application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json", None),
    ("", None),
])
def test_accept_negotiation_picks_the_first_acceptable_range(accept: str, expected: Any) -> None:
    request = make_mocked_request("GET", "/x", headers={"Accept": accept})
    assert tables.negotiate(request) == expected
