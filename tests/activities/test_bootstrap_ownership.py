"""The bootstrap cluster ``<c>-eks-a-cluster`` is taken over and deleted only when an
operation of the same cluster made it, against a real sim: one made by a user or by an
operation of another cluster is refused by ``bootstrap-cluster-init`` (ClusterExists) and
kept - with its kubeconfig file - by ``delete-kind-cluster`` and the create's cleanup; a
delete run again after a crash, or after an earlier failed delete, takes over its own."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from eksa_temporal.activities.bootstrap import BootstrapActivities
from eksa_temporal.activities.models import BootstrapInput, CleanupInput, DeleteBootstrapInput
from eksa_temporal.activities.teardown import TeardownActivities
from eksa_temporal.ownership import CLUSTER_LABEL, OWNER_LABEL, cluster_id, owner_id
from eksa_temporal.providers.registry import Registry
from tests.activities.conftest import common


def run_of(name: str, run_id: str) -> ActivityEnvironment:
    """An activity environment of run ``run_id`` of cluster ``name``'s workflow."""
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, workflow_id=f"eksa/default/{name}", workflow_run_id=run_id)
    return env


def bootstrap_names(registry: Registry) -> set[str]:
    return {c["name"] for c in registry.sim_client().clusters()}


@pytest.mark.parametrize("who", ["user", "other-cluster"])
def test_a_bootstrap_cluster_made_by_someone_else_is_refused_and_kept(
    registry: Registry, cluster_name: str, tmp_path: Path, who: str
) -> None:
    boot_name = f"{cluster_name}-eks-a-cluster"
    labels = (
        None if who == "user"
        else {OWNER_LABEL: owner_id("eksa/default/other", "r1"), CLUSTER_LABEL: cluster_id("eksa/default/other")}
    )
    sim = registry.sim_client()
    sim.create_cluster(boot_name, labels)
    fields = common(cluster_name, tmp_path)
    theirs = tmp_path / cluster_name / "generated" / f"{cluster_name}.kind.kubeconfig"
    theirs.parent.mkdir(parents=True)
    theirs.write_text("their kubeconfig\n")
    run = run_of(cluster_name, "run-1")
    try:
        with pytest.raises(ApplicationError) as refused:
            run.run(BootstrapActivities(registry).bootstrap_cluster_init, BootstrapInput(**fields))
        assert refused.value.type == "ClusterExists" and refused.value.non_retryable
        assert f"bootstrap cluster {boot_name} exists" in str(refused.value) and "(fix: " in str(refused.value)

        deleted = run.run(BootstrapActivities(registry).delete_kind_cluster, DeleteBootstrapInput(**fields))
        assert not deleted.changed
        assert deleted.kept == [f"bootstrap cluster {boot_name} (not made by an operation of this cluster)"]

        cleaned = run.run(TeardownActivities(registry).cleanup_infrastructure, CleanupInput(**fields))
        assert f"bootstrap cluster {boot_name} (not made by this operation)" in cleaned.kept

        assert boot_name in bootstrap_names(registry)
        assert theirs.read_text() == "their kubeconfig\n"
    finally:
        sim.delete_cluster(boot_name)


def test_a_delete_run_again_takes_over_its_own_bootstrap_cluster(
    registry: Registry, cluster_name: str, tmp_path: Path
) -> None:
    boot_name = f"{cluster_name}-eks-a-cluster"
    fields = common(cluster_name, tmp_path)
    first = run_of(cluster_name, "run-crashed").run(
        BootstrapActivities(registry).bootstrap_cluster_init, BootstrapInput(**fields)
    )
    assert first.changed
    labels = registry.sim_client().clusters()
    made = next(c["labels"] for c in labels if c["name"] == boot_name)
    assert made[CLUSTER_LABEL] == cluster_id(f"eksa/default/{cluster_name}")

    again = run_of(cluster_name, "run-again")
    second = again.run(BootstrapActivities(registry).bootstrap_cluster_init, BootstrapInput(**fields))
    assert not second.changed and second.bootstrap_kubeconfig == first.bootstrap_kubeconfig

    deleted = again.run(BootstrapActivities(registry).delete_kind_cluster, DeleteBootstrapInput(**fields))
    assert deleted.changed and deleted.kept == []
    assert boot_name not in bootstrap_names(registry)
    assert not Path(first.bootstrap_kubeconfig).exists()
