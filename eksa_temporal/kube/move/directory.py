"""Backup to and restore from a directory, as ``clusterctl move --to-directory`` /
``--from-directory`` do: one YAML file per object (``<Kind>_<namespace>_<name>.yaml``),
written while the cluster is paused; a restore creates the objects owners first with
ownerReferences rebuilt on the new uids and then unpauses the Clusters.

Both are resumable: the backup keeps its pause state in a journal file inside the
directory (so a re-run after a crash knows it paused the cluster itself and unpauses
it); the restore is idempotent (objects it created carry their original uid in the
source-uid annotation and are reused). Files hold Secret data, as clusterctl's do:
they are written 0600 in a 0700 directory. ``release_directory`` undoes the pause of a
backup interrupted for good (cancel, abort). Called by the ``capi-backup`` / ``capi-restore`` activities and
``eksa-temporal move --to-directory / --from-directory``.
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from eksa_temporal.files import private_dir
from eksa_temporal.kube.move import discovery, graph, objects
from eksa_temporal.kube.move.api import MoveApi, ResourceType
from eksa_temporal.kube.move.errors import PreconditionFailed
from eksa_temporal.kube.move.journal import FileJournal
from eksa_temporal.kube.move.model import CAPI_GROUP, MoveJournal, MoveResult, Phase

Obj = dict[str, Any]
Progress = Callable[[str, int, int], None]
JOURNAL_FILE = ".eksa-move-journal.gz"


def filename(obj: Obj) -> str:
    meta = obj["metadata"]
    return f"{obj['kind']}_{meta.get('namespace') or ''}_{meta['name']}.yaml"


def _write(path: Path, obj: Obj) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "w") as fh:
        yaml.safe_dump(obj, fh, sort_keys=False)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _types(api: MoveApi) -> dict[tuple[str, str], ResourceType]:
    return {(rt.group, rt.kind): rt for rt in discovery.discover_types(api)}


def _result(api: MoveApi, started: float, **kw: Any) -> MoveResult:
    return MoveResult(
        api_requests=api.stats.total,
        requests_by_verb=api.stats.snapshot(),
        seconds=round(time.monotonic() - started, 3),
        **kw,
    )


def to_directory(
    source: MoveApi,
    directory: Path,
    cluster: str | None,
    namespace: str,
    *,
    progress: Progress | None = None,
) -> MoveResult:
    """Pause, write every object of the cluster's graph to ``directory``, unpause."""
    started = time.monotonic()
    if not directory.exists():  # copies of Secrets: a new folder is owner-only (files 0600)
        private_dir(directory)
    journal = FileJournal(directory / JOURNAL_FILE)
    types = _types(source)
    cluster_rt = types.get((CAPI_GROUP, "Cluster"))
    if cluster_rt is None:
        raise PreconditionFailed(
            "the source serves no Cluster API Cluster CRD (fix: install-capi there first)"
        )
    j = journal.load()
    resumed = j.phase if j else None
    if j is None:
        roots = [
            rt
            for k, rt in types.items()
            if k in ((CAPI_GROUP, "Cluster"), (CAPI_GROUP, "ClusterClass"))
        ]
        found = [
            o
            for o in discovery.list_objects(source, roots, namespace)
            if cluster is None or (o["kind"] == "Cluster" and o["metadata"]["name"] == cluster)
        ]
        if not found:
            raise PreconditionFailed(
                f"no Cluster {cluster or '(any)'} in namespace {namespace} (fix: check --cluster / --namespace)"
            )
        nodes = graph.build_nodes(found)
        discovery.check_not_paused(found, nodes)
        j = MoveJournal(
            move_id=uuid.uuid4().hex,
            cluster=cluster,
            namespace=namespace,
            source=source.host,
            phase=Phase.PAUSING,
            nodes=nodes,
            groups=[],
            paused=[n.uid for n in nodes],
        )
        journal.save(j)
    pausable = graph.index(j.nodes)

    def set_paused(value: bool) -> None:
        for uid in j.paused:
            n = pausable[uid]
            source.merge_patch(
                types[(n.group, n.kind)], n.namespace, n.name, objects.pause_patch(n, value)
            )

    try:
        if progress:
            progress("pausing", 0, len(j.paused))
        set_paused(True)
        if progress:
            progress("listing", 0, len(j.nodes))
        all_types = list(types.values())
        found = discovery.list_objects(source, all_types, namespace)
        nodes, groups = discovery.build(found, all_types, cluster, namespace)
        bodies = {o["metadata"]["uid"]: o for o in found}
        order = graph.flatten(groups)
        for i, uid in enumerate(order, start=1):
            _write(directory / filename(bodies[uid]), bodies[uid])
            if progress:
                progress("saving", i, len(order))
    except BaseException:
        set_paused(False)
        journal.delete()
        raise
    set_paused(False)
    journal.delete()
    return _result(
        source,
        started,
        move_id=j.move_id,
        cluster=cluster,
        namespace=namespace,
        objects=len(order),
        created=len(order),
        resumed_from=resumed,
    )


def release_directory(source: MoveApi, directory: Path) -> bool:
    """Undo the pause of an interrupted backup (the compensation of ``to_directory``): the
    journal file in ``directory`` names what it paused; unpause those objects, drop the
    journal. False when no backup was under way there. Idempotent."""
    journal = FileJournal(directory / JOURNAL_FILE)
    j = journal.load()
    if j is None:
        return False
    types = _types(source)
    for n in graph.index(j.nodes).values():
        if n.uid in j.paused and (n.group, n.kind) in types:
            source.merge_patch(
                types[(n.group, n.kind)], n.namespace, n.name, objects.pause_patch(n, False)
            )
    journal.delete()
    return True


def read_directory(directory: Path) -> list[Obj]:
    """The objects of a backup (hidden files skipped)."""
    objs: list[Obj] = []
    for path in sorted(directory.iterdir()):
        if path.name.startswith(".") or path.suffix not in (".yaml", ".yml", ".json"):
            continue
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("kind"):
                objs.append(doc)
    return objs


def from_directory(
    target: MoveApi,
    directory: Path,
    *,
    progress: Progress | None = None,
) -> MoveResult:
    """Create the backup's objects in ``target`` (owners first), then unpause."""
    started = time.monotonic()
    objs = read_directory(directory)
    if not objs:
        raise PreconditionFailed(
            f"{directory} holds no object files (fix: point --from-directory at a backup)"
        )
    types = _types(target)
    missing = sorted(
        {
            f"{o['apiVersion']} {o['kind']}"
            for o in objs
            if discovery.type_key(o["apiVersion"], o["kind"]) not in types
        }
    )
    if missing:
        raise PreconditionFailed(
            f"the target does not serve {', '.join(missing)} (fix: install-capi in the target first)"
        )
    status_kinds = [(t.group, t.kind) for t in types.values() if t.status]
    nodes = graph.build_nodes(objs, status_kinds)
    groups = graph.move_groups(nodes)
    by_uid = {o["metadata"]["uid"]: o for o in objs}
    index = graph.index(nodes)
    objects.ensure_namespaces(target, {n.namespace for n in nodes if n.namespace})
    new_uids: dict[str, str] = {}
    created = reused = 0
    for uid in graph.flatten(groups):
        node = index[uid]
        body = objects.target_body(by_uid[uid], node, index, new_uids)
        out = objects.create_in_target(
            target,
            types[(node.group, node.kind)],
            body,
            by_uid[uid].get("status"),
            node.restore_status,
            update_foreign=False,
        )
        new_uids[uid] = out.target_uid
        reused += int(out.reused)
        created += int(not out.reused)
        if progress:
            progress("restoring", len(new_uids), len(nodes))
    for node in graph.clusters_and_classes(nodes):
        target.merge_patch(
            types[(node.group, node.kind)],
            node.namespace,
            node.name,
            objects.pause_patch(node, False),
        )
    return _result(target, started, objects=len(nodes), created=created, reused=reused)
