"""The move graph as pure functions (no I/O), as clusterctl builds it: nodes from
discovered objects, edges from ``ownerReferences`` (by uid) plus soft ownership
(``<cluster>-{kubeconfig,ca,etcd,sa,proxy}`` Secrets without owners belong to their
Cluster; a Cluster with ``spec.topology.class`` belongs to its ClusterClass), the
``--filter-cluster`` closure and the creation order (groups; owners first).

``discovery.py`` feeds it raw objects; the engine and the directory backup use the
order; the property tests exercise it on random graphs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from eksa_temporal.kube.move.model import (
    CAPI_GROUP,
    MOVE_LABEL,
    SOFT_OWNED_SECRET_SUFFIXES,
    Node,
    OwnerEdge,
)

Obj = dict[str, Any]


class GraphError(Exception):
    """The objects do not form a graph the move can order (an ownership cycle)."""


def _group(api_version: str) -> str:
    return api_version.rpartition("/")[0] if "/" in api_version else ""


def soft_owner_cluster_name(secret_name: str) -> str | None:
    """``demo-kubeconfig`` -> ``demo``; None when the name is not a cluster secret name."""
    base, sep, suffix = secret_name.rpartition("-")
    if sep and base and suffix in SOFT_OWNED_SECRET_SUFFIXES:
        return base
    return None


def build_nodes(
    objects: Iterable[Obj],
    status_kinds: Iterable[tuple[str, str]] = (),
    force_kinds: Iterable[tuple[str, str]] = (),
) -> list[Node]:
    """Nodes for raw objects. Edges point only at objects in ``objects``; an
    ownerReference to anything else is dropped (clusterctl's virtual nodes).
    ``status_kinds`` holds ``(group, kind)`` pairs whose CRD has a status subresource,
    ``force_kinds`` those whose CRD carries clusterctl's move label (an object carrying
    that label itself is forced too)."""
    objs = list(objects)
    with_status = set(status_kinds)
    forced = set(force_kinds)
    uids = {o["metadata"]["uid"] for o in objs}
    clusters: dict[tuple[str, str], str] = {}
    classes: dict[tuple[str, str], str] = {}
    for o in objs:
        meta = o["metadata"]
        key = (meta.get("namespace") or "", meta["name"])
        if o["kind"] == "Cluster" and _group(o["apiVersion"]) == CAPI_GROUP:
            clusters[key] = meta["uid"]
        elif o["kind"] == "ClusterClass" and _group(o["apiVersion"]) == CAPI_GROUP:
            classes[key] = meta["uid"]

    nodes: list[Node] = []
    for o in objs:
        meta = o["metadata"]
        ns = meta.get("namespace") or ""
        owners: list[OwnerEdge] = []
        seen: set[str] = set()
        for ref in meta.get("ownerReferences") or []:
            uid = ref.get("uid")
            if uid in uids and uid not in seen and uid != meta["uid"]:
                seen.add(uid)
                owners.append(
                    OwnerEdge(
                        uid=uid,
                        controller=ref.get("controller"),
                        block_owner_deletion=ref.get("blockOwnerDeletion"),
                    )
                )
        soft: list[str] = []
        if o["kind"] == "Secret" and o["apiVersion"] == "v1" and not owners:
            cname = soft_owner_cluster_name(meta["name"])
            if cname is not None and (ns, cname) in clusters:
                soft.append(clusters[(ns, cname)])
        if o["kind"] == "Cluster" and _group(o["apiVersion"]) == CAPI_GROUP:
            topology = (o.get("spec") or {}).get("topology") or {}
            cls = topology.get("class") or topology.get("classRef", {}).get("name")
            cls_ns = topology.get("classNamespace") or ns
            if cls and (cls_ns, cls) in classes:
                soft.append(classes[(cls_ns, cls)])
        nodes.append(
            Node(
                uid=meta["uid"],
                api_version=o["apiVersion"],
                kind=o["kind"],
                namespace=ns,
                name=meta["name"],
                owners=tuple(owners),
                soft_owners=tuple(s for s in soft if s not in seen),
                restore_status=bool(o.get("status"))
                and (_group(o["apiVersion"]), o["kind"]) in with_status,
                force_move=(_group(o["apiVersion"]), o["kind"]) in forced
                or MOVE_LABEL in (meta.get("labels") or {}),
            )
        )
    return nodes


def _dependants(nodes: Sequence[Node]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for n in nodes:
        for e in n.owners:
            out[e.uid].append(n.uid)
        for s in n.soft_owners:
            out[s].append(n.uid)
    return out


def descendants(nodes: Sequence[Node], roots: Iterable[str]) -> set[str]:
    """``roots`` and every node transitively owned or soft-owned by them."""
    deps = _dependants(nodes)
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        uid = stack.pop()
        if uid in seen:
            continue
        seen.add(uid)
        stack.extend(deps.get(uid, ()))
    return seen


def select(nodes: Sequence[Node], cluster: str | None, namespace: str) -> list[Node]:
    """The nodes a move takes, with edges pruned to the selection.

    ``cluster`` set: that Cluster and everything it transitively owns or soft-owns
    (clusterctl ``--filter-cluster``). ``cluster`` None: everything reachable from any
    Cluster or ClusterClass of ``namespace`` (objects that belong to no cluster stay).
    """
    if cluster is not None:
        roots = [
            n.uid for n in nodes if n.is_cluster and n.name == cluster and n.namespace == namespace
        ]
    else:
        roots = [
            n.uid
            for n in nodes
            if (n.is_cluster or n.is_cluster_class) and n.namespace == namespace
        ]
    # as clusterctl: objects of force-moved kinds (or labelled for the move) go along
    # whatever owns them, with what they own
    roots += [n.uid for n in nodes if n.force_move and n.namespace == namespace]
    keep = descendants(nodes, roots)
    return [prune(n, keep) for n in nodes if n.uid in keep]


def prune(node: Node, keep: set[str]) -> Node:
    """``node`` with edges to nodes outside ``keep`` removed (they are not moved)."""
    owners = tuple(e for e in node.owners if e.uid in keep)
    soft = tuple(s for s in node.soft_owners if s in keep)
    if owners == node.owners and soft == node.soft_owners:
        return node
    return node.model_copy(update={"owners": owners, "soft_owners": soft})


def move_groups(nodes: Sequence[Node]) -> list[list[str]]:
    """Creation order: group k holds the nodes whose owners (hard and soft, within
    ``nodes``) are all in groups < k. Deletion walks the groups backwards. Raises
    ``GraphError`` on an ownership cycle."""
    present = {n.uid for n in nodes}
    pending: dict[str, int] = {}
    deps = _dependants(nodes)
    for n in nodes:
        owners = {e.uid for e in n.owners} | set(n.soft_owners)
        pending[n.uid] = len(owners & present)
    ready = sorted(uid for uid, count in pending.items() if count == 0)
    groups: list[list[str]] = []
    placed = 0
    while ready:
        groups.append(ready)
        placed += len(ready)
        nxt: list[str] = []
        for uid in ready:
            for dep in set(deps.get(uid, ())):
                if dep in pending:
                    pending[dep] -= 1
                    if pending[dep] == 0:
                        nxt.append(dep)
        ready = sorted(nxt)
    if placed != len(pending):
        stuck = sorted(uid for uid, c in pending.items() if c > 0)[:5]
        raise GraphError(f"ownership cycle among objects (uids {', '.join(stuck)} ...)")
    return groups


def flatten(groups: Sequence[Sequence[str]]) -> list[str]:
    return [uid for g in groups for uid in g]


def clusters_and_classes(nodes: Iterable[Node]) -> list[Node]:
    """The nodes the move pauses (Clusters) or annotates (ClusterClasses)."""
    return [n for n in nodes if n.is_cluster or n.is_cluster_class]


def index(nodes: Iterable[Node]) -> Mapping[str, Node]:
    return {n.uid: n for n in nodes}
