"""The host's Docker as the docker provider sees it: the daemon's facts (version, memory)
and the node containers of a cluster, found by the label CAPD and kind put on every node
and load-balancer container they make, ``io.x-k8s.kind.cluster=<cluster name>`` - an exact
label match, never a name prefix (``prod`` never matches ``prod-b``'s containers).

``DockerClient`` is what the provider needs of ``eksa_temporal.tools.docker.Docker``
(``info``, ``ps`` with label filters, ``rm``); tests pass a fake.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from eksa_temporal.ownership import OWNER_LABEL
from eksa_temporal.tools.docker import Docker, parse_labels

CLUSTER_LABEL = "io.x-k8s.kind.cluster"
ROLE_LABEL = "io.x-k8s.kind.role"
# EKS-A warns below this much memory for Docker (pkg/validations: recommendedTotalMemory)
RECOMMENDED_MEMORY = 6_200_000_000
MEMORY_WARNING = (
    "recommended memory to be allocated for Docker is 6 GB, please be aware that not "
    "allocating enough memory can cause problems while cluster creation"
)
# EKS-A refuses older Docker engines (pkg/validations: requiredMajorVersion)
REQUIRED_MAJOR_VERSION = 20


class DockerClient(Protocol):
    def info(self) -> dict[str, Any]: ...

    def ps(self, labels: Mapping[str, str], all: bool = True) -> list[dict[str, Any]]: ...

    def rm(self, ids: list[str]) -> None: ...


def default_client() -> DockerClient:
    """The host's ``docker`` CLI (``eksa_temporal.tools.docker.Docker``)."""
    return Docker()


def labels_of(container: dict[str, Any]) -> dict[str, str]:
    """A ``docker ps`` row's labels (``"k=v,k2=v2"`` or already a mapping)."""
    raw = container.get("Labels")
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}
    return parse_labels(str(raw or ""))


def cluster_containers(docker: DockerClient, cluster: str) -> list[dict[str, Any]]:
    """The containers (running or not) labelled as cluster ``cluster``'s nodes; the label
    is checked again on each row, so a filter the daemon ignored cannot widen the set."""
    found = docker.ps({CLUSTER_LABEL: cluster}, all=True)
    return [c for c in found if labels_of(c).get(CLUSTER_LABEL) == cluster]


def describe(container: dict[str, Any]) -> str:
    names = str(container.get("Names") or "").split(",")[0] or str(container.get("ID", ""))[:12]
    return f"container {names}"


def foreign_owner(container: dict[str, Any], owner: str) -> bool:
    """Whether the container carries another operation's owner identity."""
    theirs = labels_of(container).get(OWNER_LABEL)
    return bool(theirs) and theirs != owner


def server_major(version: str) -> int | None:
    """``"28.0.1"`` -> 28; None when the daemon's version does not start with a number."""
    head = version.strip().split(".", 1)[0]
    return int(head) if head.isdigit() else None
