"""In-process checks of the emulator's building blocks: the store (durability, events,
no-op writes), field ownership, patch formats and selectors."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from eksa_temporal.simulator.apiserver import fields
from eksa_temporal.simulator.apiserver.patch import (
    BadPatch,
    json_patch,
    merge_patch,
    strategic_merge,
)
from eksa_temporal.simulator.apiserver.schema import prune, prune_and_default
from eksa_temporal.simulator.apiserver.selectors import BadSelector, label_predicate
from eksa_temporal.simulator.apiserver.store import Store
from eksa_temporal.simulator.store_api import Conflict, NotFound


def _cm(name: str, **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "default"},
            "data": data}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path)
    s.base_url = "https://127.0.0.1:1"
    s.ensure_cluster("c")
    return s


def test_store_reloads_every_object_and_the_resource_version_from_sqlite(store: Store, tmp_path: Path) -> None:
    made = store.create("c", _cm("a", k="v"))
    rv = store.rv
    store.close()
    again = Store(tmp_path)
    assert again.get("c", "v1", "ConfigMap", "default", "a") == made
    assert again.rv == rv
    assert int(again.create("c", _cm("b"))["metadata"]["resourceVersion"]) == rv + 1


def test_an_unchanged_update_writes_nothing(store: Store) -> None:
    made = store.create("c", _cm("a", k="v"))
    rv = store.rv
    same = store.update("c", made)
    assert same["metadata"]["resourceVersion"] == made["metadata"]["resourceVersion"] and store.rv == rv


def test_in_process_update_conflicts_on_a_stale_version_and_404s_when_absent(store: Store) -> None:
    made = store.create("c", _cm("a", k="v"))
    store.patch("c", "v1", "ConfigMap", "default", "a", {"data": {"k": "w"}})
    with pytest.raises(Conflict):
        store.update("c", made)
    with pytest.raises(NotFound):
        store.update("c", _cm("nope"))


def test_events_reach_in_process_subscribers_as_copies(store: Store) -> None:
    async def scenario() -> list[tuple[str, str]]:
        stream = store.events()
        first = asyncio.ensure_future(stream.__anext__())
        await asyncio.sleep(0)
        store.create("c", _cm("e"))
        store.delete("c", "v1", "ConfigMap", "default", "e")
        ev1 = await first
        ev1.object["data"] = {"mutated": "yes"}
        ev2 = await stream.__anext__()
        await stream.aclose()  # type: ignore[attr-defined]
        return [(ev1.type, ev1.object["metadata"]["name"]), (ev2.type, ev2.object["metadata"]["name"])]

    assert asyncio.run(scenario()) == [("ADDED", "e"), ("DELETED", "e")]


def test_workload_virtual_clusters_are_created_and_deleted_in_process(store: Store) -> None:
    text = store.create_virtual_cluster("w1")
    assert "/clusters/w1" in text and store.create_virtual_cluster("w1") == text
    assert "w1" in store.clusters()
    store.delete_virtual_cluster("w1")
    with pytest.raises(NotFound):
        store.delete_virtual_cluster("w1")


def test_field_sets_round_trip_through_fields_v1() -> None:
    obj = {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "x", "image": "i"}],
                                                         "ports": [1, 2], "empty": {}}}
    paths = set(fields.leaves(obj))
    assert fields.from_fields_v1(fields.to_fields_v1(paths)) == paths
    assert ("f:spec", "f:containers", 'k:{"name":"x"}', "f:image") in paths
    assert ("f:spec", "f:ports") in paths


def test_update_ownership_moves_changed_fields_to_the_writer() -> None:
    old: dict[str, Any] = {"metadata": {}, "data": {"a": "1", "b": "1"}}
    fields.record_update(None, old, "first", "v1", "t")
    new = {"metadata": dict(old["metadata"]), "data": {"a": "2", "b": "1"}}
    fields.record_update(old, new, "second", "v1", "t")
    owners = {e["manager"]: fields.from_fields_v1(e["fieldsV1"]) for e in new["metadata"]["managedFields"]}
    assert owners == {"first": {("f:data", "f:b")}, "second": {("f:data", "f:a")}}


def test_merge_patch_removes_nulls_and_replaces_lists() -> None:
    assert merge_patch({"a": {"b": 1, "c": 2}, "l": [1, 2]}, {"a": {"b": None}, "l": [3]}) == {"a": {"c": 2}, "l": [3]}


def test_strategic_merge_merges_lists_by_name_and_honours_directives() -> None:
    live = {"containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "1"}],
            "finalizers": ["x"]}
    patch = {"containers": [{"name": "b", "image": "2"}, {"name": "a", "$patch": "delete"}],
             "$setElementOrder/containers": [{"name": "b"}], "$deleteFromPrimitiveList/finalizers": ["x"]}
    assert strategic_merge(live, patch) == {"containers": [{"name": "b", "image": "2"}], "finalizers": []}


def test_json_patch_rejects_missing_paths() -> None:
    assert json_patch({"a": [1]}, [{"op": "add", "path": "/a/-", "value": 2}]) == {"a": [1, 2]}
    with pytest.raises(BadPatch):
        json_patch({"a": 1}, [{"op": "remove", "path": "/b/c"}])


def test_label_selector_parsing() -> None:
    pred = label_predicate("a in (x, y),!b,c!=1")
    assert pred is not None
    assert pred({"metadata": {"labels": {"a": "x"}}})
    assert not pred({"metadata": {"labels": {"a": "x", "b": ""}}})
    with pytest.raises(BadSelector):
        label_predicate("a in x)")


def test_a_write_that_sets_managed_fields_replaces_the_recorded_ownership(store: Store) -> None:
    made = store.create("c", _cm("mf", k="v"))
    assert [e["manager"] for e in made["metadata"]["managedFields"]] == ["sim-controller"]
    made["metadata"]["managedFields"] = [{**made["metadata"]["managedFields"][0], "manager": "renamed"}]
    updated = store.update("c", made)
    assert [e["manager"] for e in updated["metadata"]["managedFields"]] == ["renamed"]


def test_structural_schema_prunes_unknown_fields_and_fills_defaults() -> None:
    schema = {"type": "object", "properties": {
        "spec": {"type": "object", "properties": {
            "replicas": {"type": "integer", "default": 1},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            "items": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}}}}}}}
    obj = {"apiVersion": "x/v1", "kind": "K", "metadata": {"name": "n", "anything": 1},
           "spec": {"typo": 1, "labels": {"a": "b"}, "free": {"any": {"thing": 1}},
                    "items": [{"name": "i", "extra": True}]}}
    unknown = prune_and_default(obj, schema)
    assert sorted(unknown) == ["spec.items[0].extra", "spec.typo"]
    patch = {"spec": {"typo": None, "$setElementOrder/items": [], "replicas": 2}, "status": {"x": 1}}
    assert prune(patch, schema, skip=frozenset({"status"})) == ["spec.typo"]
    assert patch == {"spec": {"$setElementOrder/items": [], "replicas": 2}, "status": {"x": 1}}
    assert obj["spec"] == {"replicas": 1, "labels": {"a": "b"}, "free": {"any": {"thing": 1}},
                           "items": [{"name": "i"}]}
    assert obj["metadata"] == {"name": "n", "anything": 1}
