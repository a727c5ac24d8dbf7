"""``kind``: create, list, read the kubeconfig of, and delete local Kubernetes clusters,
with kind's (and the Docker daemon's) known messages mapped to retryable or permanent
errors. A kind cluster config is written as YAML to a private temporary file; kubeconfig
output is never logged."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from eksa_temporal.tools.binaries import binary as bundle_binary
from eksa_temporal.tools.docker import DOCKER_MESSAGES
from eksa_temporal.tools.runner import KnownMessage, ToolResult, run

Runner = Callable[..., ToolResult]

CLUSTER_EXISTS = KnownMessage(
    pattern=r"node\(s\) already exist for a cluster with the name",
    retryable=False,
    meaning="cluster exists",
    fix="delete the existing kind cluster (`kind delete cluster --name <name>`) if it is no longer used, or choose another name",
)
CLUSTER_MISSING = KnownMessage(
    pattern=r"could not locate any control plane nodes",
    retryable=False,
    meaning="cluster not found",
    fix="create the cluster first (or check its name with `kind get clusters`)",
)
KIND_MESSAGES: tuple[KnownMessage, ...] = (CLUSTER_EXISTS, CLUSTER_MISSING, *DOCKER_MESSAGES)
NO_CLUSTERS = "No kind clusters found."

CONFIG_API_VERSION = "kind.x-k8s.io/v1alpha4"


class Kind:
    """The ``kind`` CLI (the bundle's binary unless given)."""

    def __init__(
        self,
        binary: str | None = None,
        run: Runner = run,
        *,
        timeout: float = 120.0,
        create_timeout: float = 540.0,  # within a lifecycle step's 10 minutes
    ) -> None:
        self.binary = binary or bundle_binary("kind")
        self.run = run
        self.timeout = timeout
        self.create_timeout = create_timeout

    def _run(self, *args: str, **kw: Any) -> ToolResult:
        kw.setdefault("timeout", self.timeout)
        return self.run([self.binary, *args], known=KIND_MESSAGES, **kw)

    def create_cluster(
        self,
        name: str,
        kubeconfig: Path,
        *,
        image: str,
        config: Mapping[str, Any] | None = None,
        wait: str = "300s",
        env: Mapping[str, str] | None = None,
        cancelled: Callable[[], bool] | None = None,
        on_tick: Callable[[], None] | None = None,
    ) -> ToolResult:
        """``kind create cluster --name NAME --kubeconfig PATH --image IMAGE --wait 300s
        [--config FILE]``; ``env`` (proxy settings) is the process environment kind passes on
        to the node."""
        argv = ["create", "cluster", "--name", name, "--kubeconfig", str(kubeconfig), "--image", image, "--wait", wait]
        with tempfile.TemporaryDirectory(prefix="eksa-kind-") as tmp:
            if config is not None:
                path = Path(tmp) / "kind-config.yaml"
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as fh:
                    yaml.safe_dump(dict(config), fh, sort_keys=False)
                argv += ["--config", str(path)]
            return self._run(
                *argv,
                timeout=self.create_timeout,
                env=dict(env) if env else None,
                cancelled=cancelled,
                on_tick=on_tick,
            )

    def get_clusters(self) -> list[str]:
        """``kind get clusters``: the cluster names (none: kind says so on stderr)."""
        result = self._run("get", "clusters")
        return [ln.strip() for ln in result.stdout.splitlines() if ln.strip() and ln.strip() != NO_CLUSTERS]

    def get_kubeconfig(self, name: str) -> str:
        """``kind get kubeconfig --name NAME`` (its output is never logged)."""
        return self._run("get", "kubeconfig", "--name", name, sensitive_output=True).stdout

    def delete_cluster(self, name: str) -> None:
        """``kind delete cluster --name NAME`` (a missing cluster is not an error to kind)."""
        self._run("delete", "cluster", "--name", name)

    def version(self) -> str:
        """``kind version``, e.g. ``kind v0.29.0 go1.24.2 linux/amd64``."""
        return self._run("version").stdout.strip()
