"""The component source: where the installer takes Cluster API component manifests from,
chosen by configuration (``EKSA_COMPONENTS_SOURCE``):

- ``auto`` (the default): the release bundle's files (downloaded over HTTPS into the
  verified cache), except on the simulated infrastructure (infrastructure component
  ``sim``), whose operations use the embedded zero-download stand-in manifests shipped in
  this package;
- ``release``: always the bundle's files;
- ``embedded``: always the embedded stand-ins where the bundle has them (offline demos);
- a path: a clusterctl local repository (``<path>/<provider>/<version>/*.yaml``, provider by
  inventory label or short name) for air-gapped installs; a provider found there is
  installed from it, the others as with ``auto``.

An operation's own components folder (``--components-dir``) still comes first.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

SOURCE_ENV = "EKSA_COMPONENTS_SOURCE"
AUTO = "auto"
EMBEDDED = "embedded"
RELEASE = "release"
_MODES = (AUTO, EMBEDDED, RELEASE)


@dataclass(frozen=True)
class ComponentSource:
    """``repository``: the clusterctl local repository (None: none); ``mode``: how
    providers outside it are obtained (``auto``, ``embedded`` or ``release``)."""

    repository: Path | None = None
    mode: str = AUTO

    @property
    def name(self) -> str:
        return str(self.repository) if self.repository is not None else self.mode

    def folder(self, operation_dir: str | None) -> str | None:
        """The components folder an install reads first: the operation's own, else the
        configured repository (None: the release alone)."""
        if operation_dir:
            return operation_dir
        return str(self.repository) if self.repository is not None else None

    def embedded_for(self, infrastructure: str) -> bool:
        """Whether an install with infrastructure provider ``infrastructure`` (clusterctl
        name) uses the embedded stand-ins rather than downloading the release files."""
        return self.mode == EMBEDDED or (self.mode == AUTO and infrastructure == "sim")


def configured_source(env: Mapping[str, str] | None = None) -> ComponentSource:
    """The source ``EKSA_COMPONENTS_SOURCE`` selects (unset: ``auto``)."""
    value = (os.environ if env is None else env).get(SOURCE_ENV, "").strip()
    if not value or value in _MODES:
        return ComponentSource(mode=value or AUTO)
    return ComponentSource(Path(value).expanduser())
