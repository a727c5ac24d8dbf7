"""The resumable clusterctl-style move: pause -> discover -> create in the target ->
delete from the source -> unpause, with a journal (``journal.py``) written at every
phase boundary and checkpointed inside long phases, so a new process continues after a
crash at any point: it never re-discovers once creation started, never creates a
duplicate (created objects carry their source uid; AlreadyExists and NotFound count as
progress) and a move that cannot finish before deletion started is compensated (target
objects removed, source unpaused).

Called by the ``capi-management-move`` / ``capi-move-to-bootstrap`` activities and by
``eksa-temporal move``; ``progress`` lets an activity heartbeat, ``hook`` lets a test
harness stop the process at a chosen point.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from eksa_temporal.kube.move import discovery, graph, objects
from eksa_temporal.kube.move.api import ApiError, MoveApi, ResourceType
from eksa_temporal.kube.move.errors import MoveAborted, PreconditionFailed
from eksa_temporal.kube.move.journal import ConfigMapJournal, JournalStore, journal_name
from eksa_temporal.kube.move.model import (
    CAPI_GROUP,
    SOURCE_UID_ANNOTATION,
    MoveJournal,
    MoveResult,
    Node,
    Phase,
)

Obj = dict[str, Any]
Progress = Callable[[str, int, int], None]
Hook = Callable[[str, int], None]


@dataclass(frozen=True)
class MoveOptions:
    cluster: str | None
    namespace: str = "eksa-system"
    journal_namespace: str = "eksa-system"
    block_move_timeout: float = 300.0
    checkpoint_every: int = 1000
    parallelism: int = 8


def _noop(*_: Any) -> None:
    return None


class Mover:
    """One move from ``source`` to ``target``; ``run()`` starts or resumes it."""

    def __init__(
        self,
        source: MoveApi,
        target: MoveApi,
        options: MoveOptions,
        *,
        journal: JournalStore | None = None,
        progress: Progress | None = None,
        hook: Hook | None = None,
    ) -> None:
        self.source, self.target, self.opt = source, target, options
        self.journal = journal or ConfigMapJournal(
            target, options.journal_namespace, journal_name(options.cluster, options.namespace)
        )
        self.progress: Progress = progress or _noop
        self.hook: Hook = hook or _noop
        self._types: dict[tuple[str, str], ResourceType] = {}
        self._bodies: dict[str, Obj] = {}
        self._counts = {"created": 0, "reused": 0, "deleted": 0}

    # ---- entry -------------------------------------------------------------------------

    def run(self) -> MoveResult:
        started = time.monotonic()
        j = self.journal.load()
        resumed = j.phase if j is not None else None
        if j is None:
            j = self._start()
            if j is None:
                return self._result(None, started, resumed, already_moved=True)
        elif j.cluster != self.opt.cluster or j.namespace != self.opt.namespace:
            raise PreconditionFailed(
                f"the target holds the journal of another move ({j.cluster} in {j.namespace}) "
                "(fix: finish that move first)"
            )
        elif j.source != self.source.host:
            raise PreconditionFailed(
                f"the journal in the target belongs to a move from {j.source}, not {self.source.host} "
                "(fix: resume it with the original --from-kubeconfig)"
            )
        if j.phase in (Phase.PAUSING, Phase.CREATING):
            try:
                if j.phase == Phase.PAUSING:
                    self._pause_and_discover(j)
                self._create(j)
            except (PreconditionFailed, ApiError, graph.GraphError) as exc:
                if isinstance(exc, ApiError) and exc.transient:
                    raise
                j.phase, j.abort_reason = Phase.COMPENSATING, str(exc)
                self.journal.save(j)
        if j.phase == Phase.COMPENSATING:
            self._compensate(j)
            raise MoveAborted(
                f"move of {j.cluster or j.namespace} aborted and undone: {j.abort_reason}"
            )
        if j.phase == Phase.DELETING:
            self._delete(j)
        if j.phase == Phase.UNPAUSING:
            self._unpause(j)
        return self._result(j, started, resumed)

    def abort(self, reason: str) -> bool:
        """Undo a move that has not started deleting from the source (compensation step):
        True when something was undone, False when there was no journal. Raises
        ``PreconditionFailed`` once deletion started: then only finishing is safe."""
        j = self.journal.load()
        if j is None:
            return False
        if j.phase in (Phase.DELETING, Phase.UNPAUSING):
            raise PreconditionFailed(
                f"the move of {j.cluster or j.namespace} is past the point of no return ({j.phase.value}) "
                "(fix: run the move again to finish it)"
            )
        if j.phase != Phase.COMPENSATING:
            j.phase, j.abort_reason = Phase.COMPENSATING, reason
            self.journal.save(j)
        self._compensate(j)
        return True

    def settle(self, reason: str) -> str:
        """Leave an interrupted move consistent (the compensation step): ``"undone"`` when it
        had not started deleting from the source (target objects removed, source unpaused),
        ``"finished"`` when it had (only finishing is safe then: the objects live in the
        target, unpaused) or when it had completed (no journal, the Cluster in the
        target), ``"none"`` when no move happened. Idempotent."""
        j = self.journal.load()
        if j is None:
            return "finished" if self._target_holds_cluster() else "none"
        if j.phase in (Phase.DELETING, Phase.UNPAUSING):
            self.run()
            return "finished"
        self.abort(reason)
        return "undone"

    def done_before(self) -> bool:
        """Whether an earlier run completed this move: no journal in the target and the
        Cluster there. Reads the target only, so it holds when the source is gone."""
        return self.journal.load() is None and self._target_holds_cluster()

    def _target_holds_cluster(self) -> bool:
        if self.opt.cluster is None:
            return False
        for rt in discovery.discover_types(self.target):
            if (rt.group, rt.kind) == (CAPI_GROUP, "Cluster"):
                return self.target.get(rt, self.opt.namespace, self.opt.cluster) is not None
        return False

    def _result(
        self,
        j: MoveJournal | None,
        started: float,
        resumed: Phase | None,
        *,
        already_moved: bool = False,
    ) -> MoveResult:
        by_verb = Counter(self.source.stats.snapshot())
        per_op = Counter(self.source.stats.object_requests)
        if self.target.stats is not self.source.stats:
            by_verb.update(self.target.stats.snapshot())
            per_op.update(self.target.stats.object_requests)
        return MoveResult(
            move_id=j.move_id if j else "",
            cluster=self.opt.cluster,
            namespace=self.opt.namespace,
            objects=len(j.nodes) if j else 0,
            created=self._counts["created"],
            reused=self._counts["reused"],
            deleted=self._counts["deleted"],
            resumed_from=resumed,
            already_moved=already_moved,
            api_requests=sum(by_verb.values()),
            requests_by_verb=dict(by_verb),
            requests_per_object_op=dict(sorted(per_op.items())),
            seconds=round(time.monotonic() - started, 3),
        )

    # ---- types and bodies ------------------------------------------------------------

    def _load_types(self) -> None:
        if not self._types:
            for rt in discovery.discover_types(self.source):
                self._types[(rt.group, rt.kind)] = rt

    def _rt(self, node: Node) -> ResourceType:
        self._load_types()
        key = (node.group, node.kind)
        if key not in self._types:
            raise PreconditionFailed(
                f"{node.api_version} {node.kind} is no longer served by the source"
            )
        return self._types[key]

    def _kinds(self, nodes: Iterable[Node]) -> list[ResourceType]:
        seen: dict[tuple[str, str], ResourceType] = {}
        for n in nodes:
            seen.setdefault((n.group, n.kind), self._rt(n))
        return list(seen.values())

    # ---- phase: start (read-only) ------------------------------------------------------

    def _start(self) -> MoveJournal | None:
        """Preconditions that need no pause, then the journal (phase PAUSING) naming what
        will be paused. None when the cluster is already in the target and not in the source."""
        self._load_types()
        cluster_rt = self._types.get((CAPI_GROUP, "Cluster"))
        if cluster_rt is None:
            raise PreconditionFailed(
                "the source serves no Cluster API Cluster CRD (fix: install-capi there first)"
            )
        roots = [cluster_rt] + [
            rt for k, rt in self._types.items() if k == (CAPI_GROUP, "ClusterClass")
        ]
        found = discovery.list_objects(self.source, roots, self.opt.namespace)
        if self.opt.cluster is not None:
            found = [
                o
                for o in found
                if o["kind"] == "Cluster" and o["metadata"]["name"] == self.opt.cluster
            ]
        if not found:
            if self.opt.cluster and self.target.get(
                cluster_rt, self.opt.namespace, self.opt.cluster
            ):
                return None  # an earlier run finished: nothing left to do
            raise PreconditionFailed(
                f"no Cluster {self.opt.cluster or '(any)'} in namespace {self.opt.namespace} of the source "
                "(fix: check --cluster / --namespace)"
            )
        nodes = graph.build_nodes(found)
        discovery.check_providers(self.source, self.target)
        discovery.check_not_paused(found, nodes)
        problems = [
            f"{o['metadata']['name']}: {w}"
            for o in found
            if o["kind"] == "Cluster"
            for w in discovery.cluster_provisioned(o)
        ]
        if problems:
            raise PreconditionFailed(
                f"cannot move while provisioning: {'; '.join(problems)} (fix: wait until the cluster is ready)"
            )
        j = MoveJournal(
            move_id=uuid.uuid4().hex,
            cluster=self.opt.cluster,
            namespace=self.opt.namespace,
            source=self.source.host,
            phase=Phase.PAUSING,
            nodes=[graph.prune(n, set()) for n in nodes],
            groups=[],
            paused=[n.uid for n in nodes],
        )
        self.journal.save(j)
        self.hook("pausing", 0)
        return j

    # ---- phase: pause, then discover the (now frozen) graph ---------------------------

    def _pause_and_discover(self, j: MoveJournal) -> None:
        self._load_types()
        pausable = graph.index(j.nodes)
        for i, uid in enumerate(j.paused, start=1):
            node = pausable[uid]
            out = self.source.merge_patch(
                self._rt(node), node.namespace, node.name, objects.pause_patch(node, True)
            )
            if out is None or out["metadata"]["uid"] != uid:
                raise PreconditionFailed(
                    f"{node.ref()} disappeared from the source before the move"
                )
            self.progress("pausing", i, len(j.paused))
            self.hook("pause", i)
        types = list(self._types.values())
        found = discovery.list_objects(self.source, types, self.opt.namespace)
        nodes, groups = discovery.build(found, types, self.opt.cluster, self.opt.namespace)
        discovery.check_provisioned(found, nodes)
        bodies = {o["metadata"]["uid"]: o for o in found}
        selected = {n.uid for n in nodes}
        blocked = [o for o in discovery.blocking(bodies[u] for u in selected)]
        if blocked:
            discovery.wait_unblocked(
                self.source,
                self._types,
                blocked,
                timeout=self.opt.block_move_timeout,
                on_wait=lambda n: self.progress("waiting-for-block-move", n, len(blocked)),
            )
            found = discovery.list_objects(self.source, self._kinds(nodes), self.opt.namespace)
            bodies = {o["metadata"]["uid"]: o for o in found}
        self._bodies = {u: bodies[u] for u in selected if u in bodies}
        j.nodes, j.groups, j.phase = nodes, groups, Phase.CREATING
        self.journal.save(j)
        self.hook("discovered", 0)

    # ---- phase: create in the target --------------------------------------------------

    def _recover_created(self, j: MoveJournal) -> None:
        """Objects created after the last checkpoint, found by their source-uid annotation."""
        wanted = {n.uid for n in j.nodes} - set(j.created)
        if not wanted:
            return
        for rt in self._kinds(j.nodes):
            try:
                found = self.target.list(rt, self.opt.namespace)
            except ApiError as exc:
                if exc.status == 404:  # the target does not serve this kind: none created
                    continue
                raise
            for o in found:
                src = (o["metadata"].get("annotations") or {}).get(SOURCE_UID_ANNOTATION)
                if src in wanted:
                    j.created[src] = o["metadata"]["uid"]

    def _create(self, j: MoveJournal) -> None:
        nodes = graph.index(j.nodes)
        if (
            not self._bodies
        ):  # resumed: the source is intact (nothing deleted before this phase ends)
            self._recover_created(j)
            todo = [nodes[u] for u in nodes if u not in j.created]
            found = discovery.list_objects(self.source, self._kinds(todo), self.opt.namespace)
            self._bodies = {o["metadata"]["uid"]: o for o in found if o["metadata"]["uid"] in nodes}
        objects.ensure_namespaces(self.target, {n.namespace for n in j.nodes if n.namespace})
        total, done = len(j.nodes), len(j.created)
        since_checkpoint = 0
        adopted = set(j.adopted)
        with ThreadPoolExecutor(max_workers=self.opt.parallelism) as pool:
            for group in j.groups:
                todo = [nodes[u] for u in group if u not in j.created and u in self._bodies]
                for node, created in zip(
                    todo,
                    pool.map(lambda n: self._create_one(n, nodes, j.created), todo),
                    strict=True,
                ):
                    j.created[node.uid] = created.target_uid
                    self._counts["reused" if created.reused else "created"] += 1
                    if created.adopted:
                        adopted.add(node.uid)
                    done += 1
                    since_checkpoint += 1
                    self.progress("creating", done, total)
                    self.hook("create", done)
                    if since_checkpoint >= self.opt.checkpoint_every:
                        j.adopted = sorted(adopted)
                        self.journal.save(j)
                        since_checkpoint = 0
        j.adopted, j.phase = sorted(adopted), Phase.DELETING
        self.journal.save(j)
        self.hook("created", 0)

    def _create_one(
        self, node: Node, nodes: Mapping[str, Node], created: Mapping[str, str]
    ) -> objects.Created:
        src = self._bodies[node.uid]
        body = objects.target_body(src, node, nodes, created)
        return self.target.stats.per_object(
            lambda: objects.create_in_target(
                self.target, self._rt(node), body, src.get("status"), node.restore_status
            )
        )

    # ---- phase: delete from the source ------------------------------------------------

    def _delete(self, j: MoveJournal) -> None:
        nodes = graph.index(j.nodes)
        deleted = set(j.deleted)
        total, since_checkpoint = len(j.nodes), 0

        def one(node: Node) -> bool:
            rt = self._rt(node)
            return self.source.stats.per_object(
                lambda: objects.delete_from_source(self.source, rt, node)
            )

        with ThreadPoolExecutor(max_workers=self.opt.parallelism) as pool:
            for group in reversed(j.groups):
                todo = [nodes[u] for u in group if u not in deleted]
                for node, gone_now in zip(todo, pool.map(one, todo), strict=True):
                    deleted.add(node.uid)
                    self._counts["deleted"] += int(gone_now)
                    since_checkpoint += 1
                    self.progress("deleting", len(deleted), total)
                    self.hook("delete", len(deleted))
                    if since_checkpoint >= self.opt.checkpoint_every:
                        j.deleted = sorted(deleted)
                        self.journal.save(j)
                        since_checkpoint = 0
        j.deleted, j.phase = sorted(deleted), Phase.UNPAUSING
        self.journal.save(j)
        self.hook("deleted", 0)

    # ---- phase: unpause in the target -------------------------------------------------

    def _unpause(self, j: MoveJournal) -> None:
        pausable = graph.clusters_and_classes(j.nodes)
        for i, node in enumerate(pausable, start=1):
            self.target.merge_patch(
                self._rt(node), node.namespace, node.name, objects.pause_patch(node, False)
            )
            self.progress("unpausing", i, len(pausable))
            self.hook("unpause", i)
        self.journal.delete()

    # ---- compensation -----------------------------------------------------------------

    def _compensate(self, j: MoveJournal) -> None:
        """Undo a move that never started deleting: remove what it created in the target
        (dependants first), then unpause the source. Idempotent."""
        if j.groups:
            self._recover_created(j)
            nodes = graph.index(j.nodes)
            adopted = set(j.adopted)
            undone = 0
            for group in reversed(j.groups):
                for uid in group:
                    if uid in j.created and uid not in adopted:
                        objects.delete_created(self.target, self._rt(nodes[uid]), nodes[uid])
                        undone += 1
                        self.progress("compensating", undone, len(j.created))
        pausable = graph.index(j.nodes)
        for i, uid in enumerate(j.paused, start=1):
            node = pausable[uid]
            self.source.merge_patch(
                self._rt(node), node.namespace, node.name, objects.pause_patch(node, False)
            )
            self.progress("unpausing-source", i, len(j.paused))
        self.hook("compensated", 0)
        self.journal.delete()
