"""The upstream Cluster API components of ``../shared/upstream-components`` as a clusterctl
local repository for the installer (``EKSA_COMPONENTS_SOURCE`` / ``--components-dir``).

``upstream_repository(base)`` builds it under ``base`` from links to the shared folders
(never copies). One addition, a stand-in: the shared cert-manager folder holds cert-manager's
CRDs only (its published ``cert-manager.yaml`` is rendered from a Helm chart), so the
repository's cert-manager folder links those CRDs and adds the cert-manager Namespace and
controller Deployments of the embedded stand-in manifest, for the simulator's cert-manager
controllers to act behind - as the real Deployments would run cert-manager. The
``upstream_components`` fixture (session-wide) yields that path, or skips without
``../shared``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from eksa_temporal.providers.capi.components import CORE, component_manifests
from tests.support.paths import shared_path

CERT_MANAGER = next(c for c in CORE if c.name == "cert-manager")


def upstream_repository(base: Path, shared: Path) -> Path:
    """Build the local repository under ``base`` from ``shared`` (the upstream folder)."""
    base.mkdir(parents=True, exist_ok=True)
    for provider in sorted(p for p in shared.iterdir() if p.is_dir()):
        if provider.name == "cert-manager":
            continue
        (base / provider.name).symlink_to(provider, target_is_directory=True)
    for version in sorted((shared / "cert-manager").iterdir()):
        folder = base / "cert-manager" / version.name
        folder.mkdir(parents=True)
        for crds in version.glob("*.yaml"):
            (folder / crds.name).symlink_to(crds)
        controllers = component_manifests(CERT_MANAGER, crds=False)
        (folder / "zz-controllers-standin.yaml").write_text(yaml.safe_dump_all(controllers))
    return base


@pytest.fixture(scope="session")
def upstream_components(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    shared = shared_path("upstream-components")
    yield upstream_repository(tmp_path_factory.mktemp("components") / "repo", shared)


if __name__ == "__main__":  # python -m tests.support.components DIR: build the repository in DIR
    import sys

    from tests.support.paths import SHARED

    target = Path(sys.argv[1]).resolve()
    print(upstream_repository(target, SHARED / "upstream-components"))
