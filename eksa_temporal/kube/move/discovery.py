"""Discovery and preconditions of a move, read-only, as clusterctl does them: the types
(every namespaced kind of a CRD labelled ``clusterctl.cluster.x-k8s.io``, plus Secrets
and ConfigMaps), one list per type in the namespace, the graph for one cluster, and the
checks that must hold before anything changes (target providers same or newer,
provisioning finished, nothing paused by someone else, no ``block-move`` left).

The engine calls these on a fresh move; a resumed move never re-discovers (its graph
comes from the journal) but re-reads bodies with ``list_objects``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from eksa_temporal.kube.move import graph
from eksa_temporal.kube.move.api import (
    CONFIG_MAP,
    CRD,
    PROVIDER,
    SECRET,
    ApiError,
    MoveApi,
    ResourceType,
)
from eksa_temporal.kube.move.errors import PreconditionFailed
from eksa_temporal.kube.move.model import (
    BLOCK_MOVE_ANNOTATION,
    CAPI_GROUP,
    CLUSTERCTL_LABEL,
    MOVE_LABEL,
    PAUSED_ANNOTATION,
    Node,
)

Obj = dict[str, Any]
INVENTORY_GROUP = "clusterctl.cluster.x-k8s.io"
FORCE_MOVE_LABELS = frozenset({MOVE_LABEL, "clusterctl.cluster.x-k8s.io/move-hierarchy"})


def discover_types(api: MoveApi) -> list[ResourceType]:
    """Kinds the move considers: namespaced CRDs labelled ``clusterctl.cluster.x-k8s.io``
    (as clusterctl installs them) or served in a ``*.cluster.x-k8s.io`` group (provider
    CRDs applied without clusterctl's labels), storage version, except clusterctl's own
    inventory; plus Secret and ConfigMap."""
    types: list[ResourceType] = []
    for crd in api.list(CRD, None):
        labels = (crd.get("metadata") or {}).get("labels") or {}
        group = (crd.get("spec") or {}).get("group", "")
        if CLUSTERCTL_LABEL not in labels and not (
            group == CAPI_GROUP or group.endswith("." + CAPI_GROUP)
        ):
            continue
        spec = crd.get("spec") or {}
        if spec.get("group") == INVENTORY_GROUP or spec.get("scope") != "Namespaced":
            continue
        versions = spec.get("versions") or []
        chosen = next((v for v in versions if v.get("storage")), None) or next(
            (v for v in versions if v.get("served")), None
        )
        if chosen is None:
            continue
        names = spec.get("names") or {}
        types.append(
            ResourceType(
                group=spec["group"],
                version=chosen["name"],
                kind=names["kind"],
                plural=names["plural"],
                namespaced=True,
                status="status" in (chosen.get("subresources") or {}),
                force_move=bool(FORCE_MOVE_LABELS & set(labels)),
            )
        )
    types.sort(key=lambda t: (t.group, t.kind))
    return [*types, SECRET, CONFIG_MAP]


def type_key(api_version: str, kind: str) -> tuple[str, str]:
    return (api_version.rpartition("/")[0] if "/" in api_version else "", kind)


def list_objects(api: MoveApi, types: Iterable[ResourceType], namespace: str) -> list[Obj]:
    """Every object of ``types`` in ``namespace`` (one list request per type)."""
    out: list[Obj] = []
    for rt in types:
        out.extend(api.list(rt, namespace))
    return out


def build(
    objects: Sequence[Obj], types: Sequence[ResourceType], cluster: str | None, namespace: str
) -> tuple[list[Node], list[list[str]]]:
    """The selected nodes and their creation order."""
    status_kinds = [(t.group, t.kind) for t in types if t.status]
    forced = [(t.group, t.kind) for t in types if t.force_move]
    nodes = graph.select(graph.build_nodes(objects, status_kinds, forced), cluster, namespace)
    return nodes, graph.move_groups(nodes)


# ---- preconditions -------------------------------------------------------------------


_VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?")


def parse_version(text: str) -> tuple[int, int, int, tuple[int, str]]:
    """Semantic version key; a pre-release sorts before its release."""
    m = _VERSION.match(text.strip())
    if not m:
        raise PreconditionFailed(f"provider version {text!r} is not a semantic version")
    pre = m.group(4)
    return (int(m.group(1)), int(m.group(2)), int(m.group(3)), (0, pre) if pre else (1, ""))


def _providers(api: MoveApi) -> list[Obj]:
    try:
        return api.list(PROVIDER, None)
    except ApiError as exc:
        if exc.status == 404:  # no inventory CRD: clusterctl was never run there
            return []
        raise


def _provider_key(p: Obj) -> tuple[str, str]:
    """clusterctl's ``Provider.SameAs``: provider name and type (the object name when an
    inventory lacks ``providerName``)."""
    return (str(p.get("providerName") or p["metadata"]["name"]), str(p.get("type") or ""))


def check_providers(source: MoveApi, target: MoveApi) -> None:
    """Every provider of the source inventory exists in the target at the same or a newer
    version (clusterctl's ``checkTargetProviders``). An entry without a version cannot be
    compared and only has to be present."""
    problems: list[str] = []
    tgt: dict[tuple[str, str], list[str]] = {}
    for p in _providers(target):
        tgt.setdefault(_provider_key(p), []).append(str(p.get("version") or ""))
    for p in _providers(source):
        key = _provider_key(p)
        want = str(p.get("version") or "")
        what = f"{key[1] or 'provider'} {key[0]}"
        have = tgt.get(key)
        if not have:
            problems.append(f"{what} {want} is not installed in the target".replace("  ", " "))
            continue
        versions = [v for v in have if v]
        if not want or not versions:
            continue
        best = max(versions, key=parse_version)
        if parse_version(best) < parse_version(want):
            problems.append(f"{what} is {best} in the target, older than {want}")
    if problems:
        raise PreconditionFailed(
            "; ".join(problems) + " (fix: install-capi the same or newer providers in the target)"
        )


def _condition_true(obj: Obj, type_: str) -> bool:
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c.get("type") == type_ and str(c.get("status")) == "True":
            return True
    v1beta2 = ((obj.get("status") or {}).get("v1beta2") or {}).get("conditions") or []
    return any(c.get("type") == type_ and str(c.get("status")) == "True" for c in v1beta2)


def cluster_provisioned(obj: Obj) -> list[str]:
    """What is still missing on a Cluster before it may move (empty when ready)."""
    status = obj.get("status") or {}
    init = status.get("initialization") or {}
    missing = []
    if not (
        status.get("infrastructureReady")
        or init.get("infrastructureProvisioned")
        or _condition_true(obj, "InfrastructureReady")
    ):
        missing.append("infrastructure is still provisioning")
    if not (
        init.get("controlPlaneInitialized")
        or _condition_true(obj, "ControlPlaneInitialized")
        or status.get("controlPlaneReady")
    ):
        missing.append("control plane is not initialized")
    return missing


def check_provisioned(objects: Sequence[Obj], nodes: Sequence[Node]) -> None:
    """Every Cluster provisioned and initialized, every Machine has ``status.nodeRef``."""
    selected = {n.uid for n in nodes}
    problems: list[str] = []
    for o in objects:
        meta = o["metadata"]
        if meta["uid"] not in selected or type_key(o["apiVersion"], o["kind"])[0] != CAPI_GROUP:
            continue
        if o["kind"] == "Cluster":
            for what in cluster_provisioned(o):
                problems.append(f"Cluster {meta['namespace']}/{meta['name']}: {what}")
        elif o["kind"] == "Machine" and not (o.get("status") or {}).get("nodeRef"):
            problems.append(f"Machine {meta['namespace']}/{meta['name']} has no nodeRef yet")
    if problems:
        shown = "; ".join(problems[:5]) + (
            f" (+{len(problems) - 5} more)" if len(problems) > 5 else ""
        )
        raise PreconditionFailed(
            f"cannot move while provisioning: {shown} (fix: wait until the cluster is ready)"
        )


def is_paused(obj: Obj) -> bool:
    if obj["kind"] == "Cluster":
        return bool((obj.get("spec") or {}).get("paused"))
    return PAUSED_ANNOTATION in ((obj.get("metadata") or {}).get("annotations") or {})


def check_not_paused(objects: Sequence[Obj], nodes: Sequence[Node]) -> None:
    """A fresh move refuses clusters someone else paused (clusterctl does the same)."""
    pausable = {n.uid for n in graph.clusters_and_classes(nodes)}
    paused = [
        f"{o['kind']} {o['metadata']['namespace']}/{o['metadata']['name']}"
        for o in objects
        if o["metadata"]["uid"] in pausable and is_paused(o)
    ]
    if paused:
        raise PreconditionFailed(
            f"{', '.join(paused)} is already paused by someone else (fix: unpause it "
            "(spec.paused) once no other move or operation is running, then retry)"
        )


def blocking(objects: Iterable[Obj]) -> list[Obj]:
    return [
        o for o in objects if BLOCK_MOVE_ANNOTATION in ((o["metadata"].get("annotations")) or {})
    ]


def wait_unblocked(
    api: MoveApi,
    types: dict[tuple[str, str], ResourceType],
    blocked: Sequence[Obj],
    *,
    timeout: float,
    interval: float = 1.0,
    on_wait: Callable[[int], None] | None = None,
) -> None:
    """Wait (bounded) until none of ``blocked`` carries ``block-move`` any more (an
    object that disappeared no longer blocks)."""
    pending = list(blocked)
    deadline = time.monotonic() + timeout
    while pending:
        still: list[Obj] = []
        for o in pending:
            rt = types[type_key(o["apiVersion"], o["kind"])]
            cur = api.get(rt, o["metadata"].get("namespace"), o["metadata"]["name"])
            if cur is not None and blocking([cur]):
                still.append(cur)
        pending = still
        if not pending:
            return
        if on_wait is not None:
            on_wait(len(pending))
        if time.monotonic() >= deadline:
            names = ", ".join(f"{o['kind']} {o['metadata']['name']}" for o in pending[:5])
            raise PreconditionFailed(
                f"{names} still carries {BLOCK_MOVE_ANNOTATION} after {timeout:.0f}s "
                "(fix: let the provider finish, or remove the annotation)"
            )
        time.sleep(min(interval, max(0.0, deadline - time.monotonic())))
