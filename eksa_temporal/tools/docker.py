"""``docker``: the daemon's facts (``docker info``), containers by label (``docker ps``) and
their removal (``docker rm -f``), with the daemon's known messages mapped to retryable or
permanent errors (``DOCKER_MESSAGES``, shared by ``tools.kind``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from eksa_temporal.tools.binaries import binary as bundle_binary
from eksa_temporal.tools.runner import KnownMessage, ToolError, ToolResult, failure, run

Runner = Callable[..., ToolResult]

DAEMON_PERMISSION = KnownMessage(
    pattern=r"permission denied while trying to connect to the Docker daemon socket",
    retryable=False,
    meaning="no permission to use the Docker daemon",
    fix="add the worker's user to the docker group (or give it access to the Docker socket), then run the operation again",
)
DAEMON_DOWN = KnownMessage(
    pattern=r"Cannot connect to the Docker daemon",
    retryable=True,
    meaning="the Docker daemon does not answer",
)
DOCKER_MESSAGES: tuple[KnownMessage, ...] = (DAEMON_PERMISSION, DAEMON_DOWN)
_NO_SUCH_CONTAINER = "No such container"


def parse_labels(text: str) -> dict[str, str]:
    """``docker ps``'s ``Labels`` field (``k=v,k2=v2``) as a mapping."""
    labels: dict[str, str] = {}
    for item in text.split(","):
        if item:
            key, _, value = item.partition("=")
            labels[key] = value
    return labels


class Docker:
    """The ``docker`` CLI (the bundle's binary unless given)."""

    def __init__(self, binary: str | None = None, run: Runner = run, *, timeout: float = 60.0) -> None:
        self.binary = binary or bundle_binary("docker")
        self.run = run
        self.timeout = timeout

    def _run(self, *args: str, check: bool = True) -> ToolResult:
        return self.run([self.binary, *args], timeout=self.timeout, known=DOCKER_MESSAGES, check=check)

    def info(self) -> dict[str, Any]:
        """``docker info --format {{json .}}`` (keys: ServerVersion, MemTotal, NCPU, ...)."""
        result = self._run("info", "--format", "{{json .}}")
        data = json.loads(result.stdout or "{}")
        if not isinstance(data, dict):
            raise ToolError("docker info: unexpected output", tool="docker", argv=result.argv, exit_code=0)
        errors = data.get("ServerErrors") or []
        if errors or not data.get("ServerVersion"):
            text = "\n".join(str(e) for e in errors) or "docker info reports no server"
            raise failure("docker", result.argv, result.exit_code or 1, "", text, DOCKER_MESSAGES)
        return data

    def ps(self, labels: Mapping[str, str], all: bool = True) -> list[dict[str, Any]]:
        """Containers carrying every label in ``labels`` (one dict per container: ID,
        Names, Labels, State, Image, ...)."""
        args = ["ps", *(["-a"] if all else []), "--no-trunc", "--format", "{{json .}}"]
        for key, value in labels.items():
            args += ["--filter", f"label={key}={value}"]
        result = self._run(*args)
        return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]

    def rm(self, ids: list[str]) -> None:
        """``docker rm -f ID ...``; containers already gone are not an error."""
        if not ids:
            return
        result = self._run("rm", "-f", *ids, check=False)
        if result.exit_code == 0:
            return
        other = [ln for ln in result.stderr.splitlines() if ln.strip() and _NO_SUCH_CONTAINER not in ln]
        if other:
            raise failure("docker", result.argv, result.exit_code, result.stdout, result.stderr, DOCKER_MESSAGES)
