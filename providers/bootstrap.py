"""The bootstrap-cluster seam: what ``bootstrap-cluster-init`` / ``delete-kind-cluster``
need from "kind" - create a throwaway cluster and write its kubeconfig, tell whether it
exists, delete it.

In this environment every provider's bootstrap cluster is a virtual cluster of the
simulated infrastructure (``SimBootstrapper``, no Docker needed); a kind-based
implementation (``kind create cluster --name N --kubeconfig P``) fits the same protocol.
Kubeconfigs are written straight to their file (mode 0600) and never returned as text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from eksa_temporal.files import write_private


@runtime_checkable
class Bootstrapper(Protocol):
    def exists(self, name: str) -> bool:
        """Whether the bootstrap cluster ``name`` exists."""
        ...

    def create(
        self, name: str, kubeconfig_path: Path, labels: dict[str, str] | None = None
    ) -> Path:
        """Create ``name`` unless it exists (with ``labels``, e.g. the owner identity);
        (re)write its kubeconfig to ``kubeconfig_path`` (0600) and return that path.
        Idempotent: an existing cluster keeps the labels it was created with."""
        ...

    def labels(self, name: str) -> dict[str, str] | None:
        """The labels ``name`` was created with; None when it does not exist."""
        ...

    def delete(self, name: str) -> bool:
        """Delete ``name``; False when it was already gone. Idempotent."""
        ...


def write_kubeconfig_file(path: Path, text: str) -> None:
    """Write kubeconfig text to ``path`` readable by the owner only, atomically; an
    unchanged file is left alone (its readers keep their cached client)."""
    write_private(path, text)


class SimBootstrapper:
    """Bootstrap clusters as virtual clusters of ``eksa-temporal sim serve``."""

    def __init__(self, sim_client: Any) -> None:
        self.sim = sim_client  # simulator.api.SimClient

    def exists(self, name: str) -> bool:
        return name in _names(self.sim.clusters())

    def create(
        self, name: str, kubeconfig_path: Path, labels: dict[str, str] | None = None
    ) -> Path:
        if not self.exists(name):
            self.sim.create_cluster(name, labels)
        write_kubeconfig_file(kubeconfig_path, self.sim.kubeconfig(name))
        return kubeconfig_path

    def labels(self, name: str) -> dict[str, str] | None:
        for item in self.sim.clusters():
            if isinstance(item, dict) and item.get("name") == name:
                return {str(k): str(v) for k, v in (item.get("labels") or {}).items()}
        return None

    def delete(self, name: str) -> bool:
        if not self.exists(name):
            return False
        self.sim.delete_cluster(name)
        return True


def _names(clusters: Any) -> set[str]:
    names: set[str] = set()
    for item in clusters:
        if isinstance(item, str):
            names.add(item)
        elif isinstance(item, dict):
            names.add(str(item.get("name")))
        else:
            names.add(str(getattr(item, "name", item)))
    return names
