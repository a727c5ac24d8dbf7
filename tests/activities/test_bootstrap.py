"""bootstrap-cluster-init and delete-kind-cluster against a real sim process."""

from __future__ import annotations

import stat
from pathlib import Path

from eksa_temporal.activities.bootstrap import BootstrapActivities
from eksa_temporal.activities.models import BootstrapInput, DeleteBootstrapInput
from eksa_temporal.kube.client import kube_for
from eksa_temporal.providers.registry import Registry
from tests.activities.conftest import common


def test_bootstrap_create_is_idempotent(
    registry: Registry, cluster_name: str, tmp_path: Path
) -> None:
    acts = BootstrapActivities(registry)
    inp = BootstrapInput(**common(cluster_name, tmp_path))
    first = acts.bootstrap_cluster_init(inp)
    second = acts.bootstrap_cluster_init(inp)

    path = Path(first.bootstrap_kubeconfig)
    assert path == tmp_path / cluster_name / "generated" / f"{cluster_name}.kind.kubeconfig"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert (first.changed, second.changed) == (True, False)
    assert second.bootstrap_kubeconfig == first.bootstrap_kubeconfig
    names = [c["name"] for c in registry.sim_client().clusters()]
    assert names.count(f"{cluster_name}-eks-a-cluster") == 1
    assert kube_for(path).get("v1", "Namespace", "eksa-system") is not None


def test_delete_kind_cluster_is_idempotent(
    registry: Registry, cluster_name: str, tmp_path: Path
) -> None:
    acts = BootstrapActivities(registry)
    fields = common(cluster_name, tmp_path)
    acts.bootstrap_cluster_init(BootstrapInput(**fields))
    first = acts.delete_kind_cluster(DeleteBootstrapInput(**fields))
    second = acts.delete_kind_cluster(DeleteBootstrapInput(**fields))
    assert (first.changed, second.changed) == (True, False)
    assert f"{cluster_name}-eks-a-cluster" not in [
        c["name"] for c in registry.sim_client().clusters()
    ]
    assert not (tmp_path / cluster_name / "generated" / f"{cluster_name}.kind.kubeconfig").exists()
