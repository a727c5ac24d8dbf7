"""The component source: where the installer takes Cluster API component manifests from,
chosen by configuration (``EKSA_COMPONENTS_SOURCE``), never by what the target cluster is.

- ``embedded`` (the default; works offline): the release manifest's files, i.e. the
  manifests shipped in this package (``providers.capi.components`` and the simulator's
  infrastructure provider) and the pinned downloads of the providers the package does not
  ship.
- a path: a clusterctl local repository (``<path>/<provider>/<version>/*.yaml``, provider
  by inventory label or short name). A provider found there is installed from it; the
  others come from the release manifest as with ``embedded``.

An operation's own components folder (``--components-dir``) still comes first.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

SOURCE_ENV = "EKSA_COMPONENTS_SOURCE"
EMBEDDED = "embedded"


@dataclass(frozen=True)
class ComponentSource:
    """``repository``: the clusterctl local repository, None for ``embedded``."""

    repository: Path | None = None

    @property
    def name(self) -> str:
        return str(self.repository) if self.repository is not None else EMBEDDED

    def folder(self, operation_dir: str | None) -> str | None:
        """The components folder an install reads first: the operation's own, else the
        configured repository (None: the release manifest alone)."""
        if operation_dir:
            return operation_dir
        return str(self.repository) if self.repository is not None else None


def configured_source(env: Mapping[str, str] | None = None) -> ComponentSource:
    """The source ``EKSA_COMPONENTS_SOURCE`` selects (unset or ``embedded``: embedded)."""
    value = (os.environ if env is None else env).get(SOURCE_ENV, "").strip()
    if not value or value == EMBEDDED:
        return ComponentSource()
    return ComponentSource(Path(value).expanduser())
