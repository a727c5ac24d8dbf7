"""Property tests of the move graph (pure code, no I/O) over random object graphs:
depth, fan-out, shared owners, soft owners, dangling owner references, unrelated
objects. Checks the ``--filter-cluster`` closure against a naive fixpoint and the
creation / deletion order against every edge."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from eksa_temporal.kube.move import graph
from eksa_temporal.kube.move.model import Node

Obj = dict[str, Any]
CAPI = "cluster.x-k8s.io/v1beta1"
KINDS = [
    (CAPI, "MachineDeployment"),
    (CAPI, "MachineSet"),
    (CAPI, "Machine"),
    ("infrastructure.cluster.x-k8s.io/v1beta1", "DockerMachine"),
    ("bootstrap.cluster.x-k8s.io/v1beta1", "KubeadmConfig"),
    ("v1", "Secret"),
    ("v1", "ConfigMap"),
]


def obj(
    api_version: str,
    kind: str,
    ns: str,
    name: str,
    uid: str,
    owners: list[Obj] | None = None,
    spec: Obj | None = None,
) -> Obj:
    meta: Obj = {"name": name, "namespace": ns, "uid": uid}
    if owners:
        meta["ownerReferences"] = owners
    out: Obj = {"apiVersion": api_version, "kind": kind, "metadata": meta}
    if spec is not None:
        out["spec"] = spec
    return out


def ref(o: Obj, controller: bool) -> Obj:
    return {
        "apiVersion": o["apiVersion"],
        "kind": o["kind"],
        "name": o["metadata"]["name"],
        "uid": o["metadata"]["uid"],
        "controller": controller,
    }


@st.composite
def object_graphs(draw: st.DrawFn) -> list[Obj]:
    """Clusters (some using a ClusterClass) with random DAGs of dependants below them."""
    objs: list[Obj] = []
    namespaces = ["ns-a", "ns-b"]
    classes = [
        obj(CAPI, "ClusterClass", "ns-a", f"class{i}", f"cc{i}")
        for i in range(draw(st.integers(0, 2)))
    ]
    objs.extend(classes)
    n_clusters = draw(st.integers(1, 4))
    counter = 0
    for c in range(n_clusters):
        ns = draw(st.sampled_from(namespaces))
        spec: Obj = {}
        if classes and ns == "ns-a" and draw(st.booleans()):
            spec["topology"] = {"class": draw(st.sampled_from(classes))["metadata"]["name"]}
        cluster = obj(CAPI, "Cluster", ns, f"c{c}", f"cl{c}", spec=spec)
        objs.append(cluster)
        tree = [cluster]
        for _ in range(draw(st.integers(0, 25))):  # fan-out and depth both random
            counter += 1
            api, kind = draw(st.sampled_from(KINDS))
            owners = draw(
                st.lists(
                    st.sampled_from(tree),
                    min_size=1,
                    max_size=3,
                    unique_by=lambda o: o["metadata"]["uid"],
                )
            )
            refs = [ref(o, i == 0) for i, o in enumerate(owners)]
            if draw(st.booleans()):  # a reference to something that is not discovered
                refs.append(
                    {
                        "apiVersion": "v1",
                        "kind": "Secret",
                        "name": "gone",
                        "uid": f"dangling{counter}",
                    }
                )
            child = obj(api, kind, ns, f"o{counter}", f"u{counter}", refs)
            objs.append(child)
            tree.append(child)
        for suffix in draw(
            st.lists(
                st.sampled_from(["kubeconfig", "ca", "etcd", "sa", "proxy", "other"]), unique=True
            )
        ):
            counter += 1
            objs.append(obj("v1", "Secret", ns, f"c{c}-{suffix}", f"s{counter}"))
    for i in range(draw(st.integers(0, 5))):  # objects belonging to no cluster
        objs.append(
            obj("v1", "ConfigMap", draw(st.sampled_from(namespaces)), f"free{i}", f"free{i}")
        )
    return objs


def naive_closure(objs: list[Obj], roots: set[str]) -> set[str]:
    """Fixpoint over raw objects: add anything owned or soft-owned by the set."""
    by_key = {(o["metadata"]["namespace"], o["kind"], o["metadata"]["name"]): o for o in objs}
    uids = {o["metadata"]["uid"] for o in objs}
    keep = set(roots)
    changed = True
    while changed:
        changed = False
        for o in objs:
            uid, ns = o["metadata"]["uid"], o["metadata"]["namespace"]
            if uid in keep:
                continue
            owners = {
                r["uid"] for r in o["metadata"].get("ownerReferences", []) if r["uid"] in uids
            }
            soft: set[str] = set()
            if o["kind"] == "Secret" and not owners:
                base, _, suffix = o["metadata"]["name"].rpartition("-")
                c = by_key.get((ns, "Cluster", base))
                if c and suffix in ("kubeconfig", "ca", "etcd", "sa", "proxy"):
                    soft.add(c["metadata"]["uid"])
            if o["kind"] == "Cluster":
                cls = (o.get("spec") or {}).get("topology", {}).get("class")
                cc = by_key.get((ns, "ClusterClass", cls)) if cls else None
                if cc:
                    soft.add(cc["metadata"]["uid"])
            if (owners | soft) & keep:
                keep.add(uid)
                changed = True
    return keep


def positions(groups: list[list[str]]) -> dict[str, int]:
    return {uid: i for i, g in enumerate(groups) for uid in g}


def edges(nodes: list[Node]) -> list[tuple[str, str]]:
    return [(o.uid, n.uid) for n in nodes for o in n.owners] + [
        (s, n.uid) for n in nodes for s in n.soft_owners
    ]


@settings(max_examples=80, deadline=None)
@given(object_graphs(), st.data())
def test_filter_cluster_selects_exactly_what_the_cluster_transitively_owns(
    objs: list[Obj], data: st.DataObject
) -> None:
    clusters = [o for o in objs if o["kind"] == "Cluster"]
    cluster = data.draw(st.sampled_from(clusters))
    ns, name = cluster["metadata"]["namespace"], cluster["metadata"]["name"]
    selected = graph.select(graph.build_nodes(objs), name, ns)
    assert {n.uid for n in selected} == naive_closure(objs, {cluster["metadata"]["uid"]})
    inside = {n.uid for n in selected}
    assert all(a in inside and b in inside for a, b in edges(selected))


@settings(max_examples=80, deadline=None)
@given(object_graphs())
def test_whole_namespace_selects_what_any_cluster_or_class_owns(objs: list[Obj]) -> None:
    roots = {
        o["metadata"]["uid"]
        for o in objs
        if o["kind"] in ("Cluster", "ClusterClass") and o["metadata"]["namespace"] == "ns-a"
    }
    selected = graph.select(graph.build_nodes(objs), None, "ns-a")
    assert {n.uid for n in selected} == naive_closure(objs, roots)
    assert not any(n.name.startswith("free") for n in selected)


@settings(max_examples=80, deadline=None)
@given(object_graphs(), st.data())
def test_owners_are_created_before_dependants_and_deleted_after_them(
    objs: list[Obj], data: st.DataObject
) -> None:
    clusters = [o for o in objs if o["kind"] == "Cluster"]
    cluster = data.draw(st.sampled_from([None, *clusters]))
    if cluster is None:
        selected = graph.select(graph.build_nodes(objs), None, "ns-a")
    else:
        selected = graph.select(
            graph.build_nodes(objs), cluster["metadata"]["name"], cluster["metadata"]["namespace"]
        )
    groups = graph.move_groups(selected)
    order = graph.flatten(groups)
    assert sorted(order) == sorted(n.uid for n in selected)  # each node exactly once
    pos = positions(groups)
    delete_pos = positions(list(reversed(groups)))
    for owner, dependant in edges(selected):
        assert pos[owner] < pos[dependant]
        assert delete_pos[dependant] < delete_pos[owner]


@settings(max_examples=60, deadline=None)
@given(object_graphs())
def test_named_cluster_secrets_without_owners_belong_to_their_cluster(objs: list[Obj]) -> None:
    nodes = {n.uid: n for n in graph.build_nodes(objs)}
    clusters = {
        (o["metadata"]["namespace"], o["metadata"]["name"]): o["metadata"]["uid"]
        for o in objs
        if o["kind"] == "Cluster"
    }
    for o in objs:
        if o["kind"] != "Secret" or o["metadata"].get("ownerReferences"):
            continue
        base, _, suffix = o["metadata"]["name"].rpartition("-")
        expected = clusters.get((o["metadata"]["namespace"], base)) if suffix != "other" else None
        assert nodes[o["metadata"]["uid"]].soft_owners == ((expected,) if expected else ())


def test_an_ownership_cycle_is_refused() -> None:
    a = obj(
        CAPI,
        "Machine",
        "ns",
        "a",
        "ua",
        [{"apiVersion": CAPI, "kind": "Machine", "name": "b", "uid": "ub"}],
    )
    b = obj(
        CAPI,
        "Machine",
        "ns",
        "b",
        "ub",
        [{"apiVersion": CAPI, "kind": "Machine", "name": "a", "uid": "ua"}],
    )
    try:
        graph.move_groups(graph.build_nodes([a, b]))
    except graph.GraphError as exc:
        assert "cycle" in str(exc)
    else:
        raise AssertionError("a cycle was ordered")
