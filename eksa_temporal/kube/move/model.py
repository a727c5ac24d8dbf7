"""Value types of the move engine: a graph node (an object's identity and its owner
edges, never its body), the journal that lets a new worker resume a move, the phases
and the result.

The graph code (``graph.py``), the journal stores (``journal.py``) and the engine
(``engine.py``) share these; activities and the CLI see only ``MoveResult``. Nothing
here holds a Secret's data: a node is apiVersion/kind/namespace/name/uid plus edges.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

# annotations and labels clusterctl uses, and our own bookkeeping
BLOCK_MOVE_ANNOTATION = "clusterctl.cluster.x-k8s.io/block-move"
DELETE_FOR_MOVE_ANNOTATION = "clusterctl.cluster.x-k8s.io/delete-for-move"
PAUSED_ANNOTATION = "cluster.x-k8s.io/paused"
CLUSTERCTL_LABEL = "clusterctl.cluster.x-k8s.io"
MOVE_LABEL = "clusterctl.cluster.x-k8s.io/move"
# on every object the move creates in the target: the UID it had in the source
SOURCE_UID_ANNOTATION = "move.eksa-temporal.io/source-uid"
BOOKKEEPING_ANNOTATIONS = frozenset({SOURCE_UID_ANNOTATION, DELETE_FOR_MOVE_ANNOTATION})

CAPI_GROUP = "cluster.x-k8s.io"
SOFT_OWNED_SECRET_SUFFIXES = ("kubeconfig", "ca", "etcd", "sa", "proxy")


class Phase(StrEnum):
    """Where a move stands. The journal records the phase it is IN (work may be partial)."""

    PAUSING = "pausing"
    CREATING = "creating"
    DELETING = "deleting"
    UNPAUSING = "unpausing"
    COMPENSATING = "compensating"


class OwnerEdge(BaseModel):
    """One ownerReference of a node, by the owner's SOURCE uid."""

    model_config = ConfigDict(frozen=True)
    uid: str
    controller: bool | None = None
    block_owner_deletion: bool | None = None


class Node(BaseModel):
    """One object of the move graph: identity plus edges, no body."""

    model_config = ConfigDict(frozen=True)
    uid: str
    api_version: str
    kind: str
    namespace: str
    name: str
    owners: tuple[OwnerEdge, ...] = ()
    soft_owners: tuple[str, ...] = ()
    # the kind has a status subresource and the source object had a status
    restore_status: bool = False
    # moved even when no Cluster owns it (clusterctl's ``move`` label on its CRD or on itself)
    force_move: bool = False

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0] if "/" in self.api_version else ""

    @property
    def is_cluster(self) -> bool:
        return self.kind == "Cluster" and self.group == CAPI_GROUP

    @property
    def is_cluster_class(self) -> bool:
        return self.kind == "ClusterClass" and self.group == CAPI_GROUP

    def ref(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"


class MoveJournal(BaseModel):
    """Everything a new worker needs to finish (or undo) a move: identities only.

    ``groups`` is the creation order (lists of uids; owners in earlier groups); deletion
    walks it backwards. ``created`` maps source uid -> target uid (a checkpoint: objects
    created after the last write are recovered from their ``SOURCE_UID_ANNOTATION``).
    ``adopted`` lists source uids whose target object already existed before the move
    (updated, never removed by compensation).
    """

    version: int = 1
    move_id: str
    cluster: str | None
    namespace: str
    source: str  # API server URL of the source, to detect a mismatched resume
    phase: Phase
    nodes: list[Node]
    groups: list[list[str]]
    paused: list[str] = Field(default_factory=list)
    created: dict[str, str] = Field(default_factory=dict)
    adopted: list[str] = Field(default_factory=list)
    deleted: list[str] = Field(default_factory=list)
    abort_reason: str | None = None


class MoveResult(BaseModel):
    """What a move (or backup / restore) did; safe to log and return from an activity."""

    model_config = ConfigDict(frozen=True)
    move_id: str = ""
    cluster: str | None = None
    namespace: str = ""
    objects: int = 0
    created: int = 0
    reused: int = 0
    deleted: int = 0
    resumed_from: Phase | None = None
    already_moved: bool = False
    api_requests: int = 0
    requests_by_verb: dict[str, int] = Field(default_factory=dict)
    # histogram: API requests one object's create (or delete) took -> how many such ops
    requests_per_object_op: dict[int, int] = Field(default_factory=dict)
    seconds: float = 0.0

    @property
    def requests_per_object(self) -> float:
        return self.api_requests / self.objects if self.objects else 0.0
