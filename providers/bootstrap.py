"""The bootstrap-cluster seam: what ``bootstrap-cluster-init`` / ``delete-kind-cluster``
need from "kind" - create a throwaway cluster and write its kubeconfig, tell whether it
exists, delete it.

Two backends: ``KindBootstrapper`` (``kind create cluster``, through ``eksa_temporal.tools``;
the default of every real provider) and ``SimBootstrapper`` (a virtual cluster of the
simulated infrastructure, no Docker needed). ``BootstrapOptions`` (a provider's
``bootstrap_options``) say how the cluster is made: node image, extra labels, extra mounts,
a registry mirror and proxy environment. Kubeconfigs are written straight to their file
(mode 0600) and never returned as text.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from eksa_temporal import config
from eksa_temporal.bundle import load_bundle
from eksa_temporal.files import write_private
from eksa_temporal.kube.client import Kube
from eksa_temporal.logs import get_logger
from eksa_temporal.ownership import OWNER_LABEL
from eksa_temporal.providers.base import BootstrapOptions
from eksa_temporal.tools.kind import CONFIG_API_VERSION, Kind

log = get_logger(__name__)


@dataclass(frozen=True)
class Progress:
    """Callbacks of a long bootstrap-cluster creation: ``tick`` about every second while it
    runs (the activity heartbeats), ``cancelled`` polled (True: stop the creation)."""

    tick: Callable[[], None] | None = None
    cancelled: Callable[[], bool] | None = None


@runtime_checkable
class Bootstrapper(Protocol):
    def exists(self, name: str) -> bool:
        """Whether the bootstrap cluster ``name`` exists."""
        ...

    def create(
        self,
        name: str,
        kubeconfig_path: Path,
        labels: dict[str, str] | None = None,
        options: BootstrapOptions | None = None,
        progress: Progress | None = None,
    ) -> Path:
        """Create ``name`` unless it exists (with ``labels``, e.g. the owner identity, and
        the provider's ``options``); (re)write its kubeconfig to ``kubeconfig_path`` (0600)
        and return that path. Idempotent: an existing cluster keeps the labels it was
        created with. ``progress`` is told while a long creation runs (heartbeats) and
        asked whether to give up (cancellation)."""
        ...

    def write_kubeconfig(self, name: str, kubeconfig_path: Path) -> Path:
        """(Re)write the kubeconfig of the existing cluster ``name`` (0600); never creates."""
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
        self,
        name: str,
        kubeconfig_path: Path,
        labels: dict[str, str] | None = None,
        options: BootstrapOptions | None = None,
        progress: Progress | None = None,
    ) -> Path:
        """Only ``options.labels`` apply to a virtual cluster (beside ``labels``)."""
        if not self.exists(name):
            wanted = {**(options.labels if options else {}), **(labels or {})}
            self.sim.create_cluster(name, wanted or labels)
        return self.write_kubeconfig(name, kubeconfig_path)

    def write_kubeconfig(self, name: str, kubeconfig_path: Path) -> Path:
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


class BootstrapUnreachable(Exception):
    """A bootstrap cluster exists but its API server does not answer (retryable)."""


# the registries a registry mirror serves in the bootstrap cluster (the images it pulls)
MIRRORED_REGISTRIES = ("docker.io", "registry.k8s.io", "quay.io", "ghcr.io", "public.ecr.aws")


def mirror_patch(endpoint: str) -> str:
    """containerd configuration (a kind ``containerdConfigPatches`` item) pulling the
    images of ``MIRRORED_REGISTRIES`` through the mirror ``endpoint``."""
    url = endpoint if "://" in endpoint else f"https://{endpoint}"
    return "".join(
        f'[plugins."io.containerd.grpc.v1.cri".registry.mirrors."{registry}"]\n'
        f'  endpoint = ["{url}"]\n'
        for registry in MIRRORED_REGISTRIES
    )


def kind_config(labels: dict[str, str], options: BootstrapOptions) -> dict[str, Any]:
    """The kind ``Cluster`` config: one control-plane node carrying ``labels`` (read back
    from its Node) and ``options.extra_mounts``; the registry mirror as a containerd patch."""
    node: dict[str, Any] = {"role": "control-plane"}
    if labels:
        node["labels"] = dict(labels)
    if options.extra_mounts:
        node["extraMounts"] = [dict(m) for m in options.extra_mounts]
    cfg: dict[str, Any] = {"kind": "Cluster", "apiVersion": CONFIG_API_VERSION, "nodes": [node]}
    if options.registry_mirror:
        cfg["containerdConfigPatches"] = [mirror_patch(options.registry_mirror)]
    return cfg


def api_answers(kube: Kube, timeout: float) -> bool:
    """Whether the API server behind ``kube`` answers ``/version`` within ``timeout`` s."""
    from kubernetes.client import VersionApi

    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        try:
            VersionApi(kube.api_client).get_code(_request_timeout=max(1.0, min(5.0, left)))
            return True
        except Exception:  # refused, TLS, timeout, 5xx: not (yet) answering
            if deadline - time.monotonic() <= 1.0:
                return False
            time.sleep(1.0)


class KindBootstrapper:
    """Bootstrap clusters made by ``kind``. The labels (owner identity) live on the kind
    node (kind config ``nodes[0].labels``) and are read back from the cluster's Node
    through the Kubernetes API; a copy recorded under ``state_dir`` answers for a cluster
    whose API does not answer. An existing cluster whose API does not answer within
    ``health_timeout`` is deleted and made again by ``create``."""

    def __init__(
        self,
        kind: Kind | None = None,
        *,
        state_dir: Path | None = None,
        health_timeout: float = 30.0,
        kube: Callable[[Path], Kube] = Kube.from_kubeconfig,
        answers: Callable[[Kube, float], bool] = api_answers,
    ) -> None:
        self.kind = kind or Kind()
        self.state_dir = state_dir or config.state_dir() / "kind"
        self.health_timeout = health_timeout
        self._kube = kube
        self._answers = answers

    def exists(self, name: str) -> bool:
        return name in self.kind.get_clusters()

    def create(
        self,
        name: str,
        kubeconfig_path: Path,
        labels: dict[str, str] | None = None,
        options: BootstrapOptions | None = None,
        progress: Progress | None = None,
    ) -> Path:
        opts = options or BootstrapOptions()
        watch = progress or Progress()
        if self.exists(name):
            text = self.kind.get_kubeconfig(name)
            if self._with_kube(text, lambda kube: self._answers(kube, self.health_timeout)):
                write_kubeconfig_file(kubeconfig_path, text)
                return kubeconfig_path
            log.warning("bootstrap cluster does not answer; making it again", cluster=name)
            self.kind.delete_cluster(name)
        wanted = {**opts.labels, **(labels or {})}
        self._record(name, wanted)
        image = opts.node_image or load_bundle().bootstrap_node_image()
        with tempfile.TemporaryDirectory(prefix="eksa-kind-") as tmp:
            written = Path(tmp) / "kubeconfig"
            self.kind.create_cluster(
                name,
                written,
                image=image,
                config=kind_config(wanted, opts),
                env=opts.env or None,
                on_tick=watch.tick,
                cancelled=watch.cancelled,
            )
            text = written.read_text() if written.exists() else self.kind.get_kubeconfig(name)
        write_kubeconfig_file(kubeconfig_path, text)
        log.info("bootstrap cluster created", cluster=name, image=image)
        return kubeconfig_path

    def write_kubeconfig(self, name: str, kubeconfig_path: Path) -> Path:
        write_kubeconfig_file(kubeconfig_path, self.kind.get_kubeconfig(name))
        return kubeconfig_path

    def labels(self, name: str) -> dict[str, str] | None:
        """The labels of the first Node carrying the owner label; None when ``name`` does
        not exist. While no Node carries them yet (kind still creating it, or a crash in
        between) the labels recorded before ``kind create`` answer; with neither, {} (a
        cluster this product did not make)."""
        if not self.exists(name):
            return None
        text = self.kind.get_kubeconfig(name)
        found: dict[str, str] | None = self._with_kube(text, self._node_labels)
        if found:
            return found
        recorded = self._recorded(name)
        if found is not None:
            return recorded if recorded is not None else {}
        if recorded is not None:
            log.warning("bootstrap cluster does not answer; using its recorded labels", cluster=name)
            return recorded
        raise BootstrapUnreachable(f"bootstrap cluster {name} exists but its API server does not answer")

    def delete(self, name: str) -> bool:
        self._record_path(name).unlink(missing_ok=True)
        if not self.exists(name):
            return False
        self.kind.delete_cluster(name)
        return True

    # -- helpers -------------------------------------------------------------------------
    def _node_labels(self, kube: Kube) -> dict[str, str] | None:
        if not self._answers(kube, self.health_timeout):
            return None
        nodes, _ = kube.list_objects("v1", "Node")
        for node in nodes:
            node_labels = (node.get("metadata") or {}).get("labels") or {}
            if OWNER_LABEL in node_labels:
                return {str(k): str(v) for k, v in node_labels.items()}
        return {}

    def _with_kube(self, kubeconfig_text: str, use: Callable[[Kube], Any]) -> Any:
        """``use(kube)`` with a client for ``kubeconfig_text`` (a private temporary file)."""
        with tempfile.TemporaryDirectory(prefix="eksa-kind-") as tmp:
            path = Path(tmp) / "kubeconfig"
            write_private(path, kubeconfig_text)
            kube = self._kube(path)
            try:
                return use(kube)
            finally:
                close = getattr(getattr(kube, "api_client", None), "close", None)
                if callable(close):
                    close()

    def _record_path(self, name: str) -> Path:
        return self.state_dir / f"{name}.labels.json"

    def _record(self, name: str, labels: dict[str, str]) -> None:
        write_private(self._record_path(name), json.dumps(labels, sort_keys=True))

    def _recorded(self, name: str) -> dict[str, str] | None:
        try:
            data = json.loads(self._record_path(name).read_text())
        except (OSError, ValueError):
            return None
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else None


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
