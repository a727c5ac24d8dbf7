"""Cleanup removes only what the create run made, against a real sim: clusters ``prod`` and
``prod-b`` on one sim, the create of ``prod`` fails mid-provisioning and its compensation
removes ``prod``'s machines, CAPI objects and clusters while ``prod-b`` keeps the same
machine ids and objects; objects whose name matches but that do not carry the run's owner
label (made by a user, or by another run) are reported kept and never deleted. A delete
then removes machines leaked outside CAPI, and the add-on objects Cluster API leaves behind,
by the cluster's identity (the owner label its create put on the CAPI Cluster), never by
its name."""

from __future__ import annotations

import dataclasses
import signal
from pathlib import Path
from typing import Any

import pytest
from temporalio.testing import ActivityEnvironment

from eksa_temporal.activities.bootstrap import BootstrapActivities
from eksa_temporal.activities.capi_install import CapiInstallActivities
from eksa_temporal.activities.models import (
    BootstrapInput,
    CleanupInput,
    DeleteClusterInput,
    InstallCapiInput,
    ProvisionInput,
    ValidateInput,
)
from eksa_temporal.activities.provision import ProvisionActivities
from eksa_temporal.activities.teardown import TeardownActivities
from eksa_temporal.activities.validate import ValidateActivities
from eksa_temporal.kube.client import Kube, WaitTimeout, kube_for
from eksa_temporal.ownership import OWNER_LABEL, owner_id
from eksa_temporal.providers.registry import Registry
from eksa_temporal.simulator.controllers.inventory import Inventory
from tests.activities.conftest import common
from tests.support.sim import running_sim

CAPI = "cluster.x-k8s.io/v1beta1"
ADDONS = "addons.cluster.x-k8s.io/v1beta1"


def run_of(name: str, run_id: str) -> ActivityEnvironment:
    """An activity environment of the create workflow run ``run_id`` of cluster ``name``."""
    env = ActivityEnvironment()
    env.info = dataclasses.replace(
        env.info, workflow_id=f"eksa/default/{name}", workflow_run_id=run_id
    )
    return env


def prepare(registry: Registry, env: ActivityEnvironment, name: str, tmp_path: Path) -> dict[str, Any]:
    """setup-validate, bootstrap-cluster-init and install-capi as run ``env``."""
    fields = common(name, tmp_path)
    env.run(ValidateActivities(registry).setup_validate, ValidateInput(**fields))
    boot = env.run(BootstrapActivities(registry).bootstrap_cluster_init, BootstrapInput(**fields))
    fields["bootstrap_kubeconfig"] = boot.bootstrap_kubeconfig
    env.run(
        CapiInstallActivities(registry, cache_dir=tmp_path / "cache").install_capi_components_bootstrap,
        InstallCapiInput(**fields),
    )
    return fields


def machines_of(registry: Registry, cluster: str) -> dict[str, dict[str, Any]]:
    return {m["id"]: m for m in registry.sim_client().machines() if m["cluster"] == cluster}


def capi_objects(kubeconfig: str, cluster: str) -> dict[str, str]:
    """kind/name -> uid of the CAPI Cluster and Machines of ``cluster``."""
    kube = kube_for(kubeconfig)
    found = {}
    c = kube.get(CAPI, "Cluster", cluster, "eksa-system")
    if c is not None:
        found[f"Cluster/{cluster}"] = c["metadata"]["uid"]
    machines, _ = kube.list_objects(
        CAPI, "Machine", "eksa-system", label_selector=f"cluster.x-k8s.io/cluster-name={cluster}"
    )
    for m in machines:
        found[f"Machine/{m['metadata']['name']}"] = m["metadata"]["uid"]
    return found


def test_cleanup_after_a_failed_create_of_prod_leaves_prod_b_untouched(
    registry: Registry, cluster_name: str, tmp_path: Path
) -> None:
    prod, prod_b = cluster_name, f"{cluster_name}-b"
    run_a, run_b = run_of(prod, "run-a"), run_of(prod_b, "run-b")
    sim = registry.sim_client()

    fields_b = prepare(registry, run_b, prod_b, tmp_path)
    run_b.run(ProvisionActivities(registry).workload_cluster_init, ProvisionInput(**fields_b))
    fields_a = prepare(registry, run_a, prod, tmp_path)
    before = sim.knobs()
    sim.set_knobs(boot_seconds=30)
    try:
        with pytest.raises(WaitTimeout):  # the create of prod fails mid-provisioning
            run_a.run(
                ProvisionActivities(registry).workload_cluster_init,
                ProvisionInput(**fields_a, control_plane_wait_seconds=1),
            )
    finally:
        sim.set_knobs(boot_seconds=before.boot_seconds)

    mine = owner_id(f"eksa/default/{prod}", "run-a")
    cluster_a = kube_for(fields_a["bootstrap_kubeconfig"]).get(CAPI, "Cluster", prod, "eksa-system")
    assert cluster_a is not None and cluster_a["metadata"]["labels"][OWNER_LABEL] == mine
    inventory = Inventory(registry.sim_state_dir)
    try:  # a machine of prod's run leaked outside CAPI, and one a user made under prod's name
        leaked = inventory.begin(owner_key=f"leak/{prod}", cluster=prod, machine=f"{prod}-leak",
                                 seed=1, boot_seconds=0, jitter_seconds=0, failure_rate=0,
                                 owner=mine)
        users = inventory.begin(owner_key=f"user/{prod}", cluster=prod, machine=f"{prod}-user",
                                seed=1, boot_seconds=0, jitter_seconds=0, failure_rate=0)
    finally:
        inventory.close()
    made_by_a = {i for i, m in machines_of(registry, prod).items() if m["owner"] == mine}
    assert leaked.id in made_by_a and len(made_by_a) >= 2
    machines_b = machines_of(registry, prod_b)
    objects_b = capi_objects(fields_b["bootstrap_kubeconfig"], prod_b)
    assert len([m for m in machines_b.values() if m["exists"]]) == 2 and len(objects_b) == 3

    cleaned = run_a.run(TeardownActivities(registry).cleanup_infrastructure, CleanupInput(**fields_a))

    assert f"CAPI Cluster eksa-system/{prod}" in cleaned.removed
    assert f"bootstrap cluster {prod}-eks-a-cluster" in cleaned.removed
    assert f"machine {leaked.provider_id}" in cleaned.removed
    after = machines_of(registry, prod)
    assert not [i for i in made_by_a if after[i]["exists"]]
    assert after[users.id]["exists"], "a machine without the run's owner is never removed"
    assert machines_of(registry, prod_b) == machines_b  # same ids, same states
    assert capi_objects(fields_b["bootstrap_kubeconfig"], prod_b) == objects_b
    names = {c["name"] for c in sim.clusters()}
    assert {prod_b, f"{prod_b}-eks-a-cluster"} <= names
    assert not names & {prod, f"{prod}-eks-a-cluster"}
    assert run_a.run(
        TeardownActivities(registry).cleanup_infrastructure, CleanupInput(**fields_a)
    ).removed == []

    sim.delete_machine(users.id)
    run_b.run(TeardownActivities(registry).cleanup_infrastructure, CleanupInput(**fields_b))


def test_objects_with_a_matching_name_but_not_the_runs_owner_are_never_deleted(
    registry: Registry, cluster_name: str, tmp_path: Path
) -> None:
    mgmt, name = f"{cluster_name}-m", cluster_name
    run_m = run_of(mgmt, "run-m")
    fields_m = prepare(registry, run_m, mgmt, tmp_path)
    kube = kube_for(fields_m["bootstrap_kubeconfig"])
    sim = registry.sim_client()
    # a user's CAPI Cluster named like the workload cluster, without our owner label; and one
    # labelled by another run of the same create workflow
    users = kube.create(
        {"apiVersion": CAPI, "kind": "Cluster", "metadata": {"name": name, "namespace": "default"},
         "spec": {}}
    )
    others = kube.create(
        {"apiVersion": CAPI, "kind": "Cluster",
         "metadata": {"name": name, "namespace": "eksa-system",
                      "labels": {OWNER_LABEL: owner_id(f"eksa/default/{name}", "run-other")}},
         "spec": {}}
    )
    sim.create_cluster(f"{name}-eks-a-cluster")  # a user's cluster with the bootstrap name
    fields = {**common(name, tmp_path), "management_kubeconfig": fields_m["bootstrap_kubeconfig"]}

    cleaned = run_of(name, "run-c").run(
        TeardownActivities(registry).cleanup_infrastructure, CleanupInput(**fields)
    )

    assert cleaned.removed == []
    assert f"bootstrap cluster {name}-eks-a-cluster (not made by this operation)" in cleaned.kept
    assert any(k.startswith("CAPI Cluster") and name in k for k in cleaned.kept)
    assert f"{name}-eks-a-cluster" in {c["name"] for c in sim.clusters()}
    for obj in (users, others):
        assert obj is not None
        meta = obj["metadata"]
        live = kube.get(CAPI, "Cluster", name, meta["namespace"])
        assert live is not None and live["metadata"]["uid"] == meta["uid"]
        assert not live["metadata"].get("deletionTimestamp")

    for obj in (users, others):
        kube.delete(CAPI, "Cluster", name, obj["metadata"]["namespace"])
    sim.delete_cluster(f"{name}-eks-a-cluster")
    run_m.run(TeardownActivities(registry).cleanup_infrastructure, CleanupInput(**fields_m))


def outliving(kube: Kube, name: str, labels: dict[str, str]) -> list[tuple[str, str, str]]:
    """A ClusterResourceSet, a ConfigMap and a Secret named ``name`` with ``labels`` (objects
    Cluster API does not remove with a Cluster); their (apiVersion, kind, name)."""
    made: list[dict[str, Any]] = [
        {"apiVersion": ADDONS, "kind": "ClusterResourceSet",
         "spec": {"clusterSelector": {"matchLabels": {"cluster.x-k8s.io/cluster-name": name}}}},
        {"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "b"}},
        {"apiVersion": "v1", "kind": "Secret", "type": "addons.cluster.x-k8s.io/resource-set"},
    ]
    made = [o for o in made if kube.serves(o["apiVersion"], o["kind"])]  # CRS: with CAPI's CRDs
    for obj in made:
        kube.create({**obj, "metadata": {"name": name, "namespace": "eksa-system", "labels": labels}})
    return [(o["apiVersion"], o["kind"], name) for o in made]


def test_delete_removes_leaked_machines_and_outliving_objects_by_the_clusters_identity_not_its_name(
    registry: Registry, cluster_name: str, tmp_path: Path
) -> None:
    create = run_of(cluster_name, "run-create")
    fields = prepare(registry, create, cluster_name, tmp_path)
    create.run(ProvisionActivities(registry).workload_cluster_init, ProvisionInput(**fields))
    identity = owner_id(f"eksa/default/{cluster_name}", "run-create")
    kube = kube_for(fields["bootstrap_kubeconfig"])
    capi_name = {"cluster.x-k8s.io/cluster-name": cluster_name}
    ours = outliving(kube, f"{cluster_name}-addon", {OWNER_LABEL: identity, **capi_name})
    strangers = [  # the cluster's name without its identity; its identity without its name
        # (shared by clusters); another run's; another cluster's
        *outliving(kube, f"{cluster_name}-user", capi_name),
        *outliving(kube, "shared", {OWNER_LABEL: identity}),
        *outliving(kube, f"{cluster_name}-other",
                   {OWNER_LABEL: owner_id(f"eksa/default/{cluster_name}", "run-other")}),
        *outliving(kube, "next-door", {OWNER_LABEL: identity, "cluster.x-k8s.io/cluster-name": "next-door"}),
    ]
    inventory = Inventory(registry.sim_state_dir)
    try:  # a machine of the cluster leaked outside CAPI, and one a user made under its name
        leaked = inventory.begin(owner_key=f"leak/{cluster_name}", cluster=cluster_name,
                                 machine="leak", seed=1, boot_seconds=0, jitter_seconds=0,
                                 failure_rate=0, owner=identity)
        users = inventory.begin(owner_key=f"user/{cluster_name}", cluster=cluster_name,
                                machine="user", seed=1, boot_seconds=0, jitter_seconds=0,
                                failure_rate=0)
    finally:
        inventory.close()

    deleted = run_of(cluster_name, "run-delete").run(
        TeardownActivities(registry).delete_cluster, DeleteClusterInput(**fields)
    )

    assert deleted.changed
    after = machines_of(registry, cluster_name)
    assert not after[leaked.id]["exists"], "the leaked machine carries the cluster's identity"
    assert after[users.id]["exists"], "a machine that merely has the cluster's name stays"
    assert not [m for m in after.values() if m["owner"] == identity and m["exists"]]
    assert [ref for ref in ours if kube.get(*ref, "eksa-system") is not None] == []
    assert [ref for ref in strangers if kube.get(*ref, "eksa-system") is None] == []
    registry.sim_client().delete_machine(users.id)
    create.run(TeardownActivities(registry).cleanup_infrastructure, CleanupInput(**fields))


def test_owner_labels_of_virtual_clusters_survive_a_sim_kill(tmp_path: Path) -> None:
    owner = {OWNER_LABEL: owner_id("eksa/default/k", "run-k")}
    with running_sim(tmp_path / "sim") as sim:
        sim.client.create_cluster("k-eks-a-cluster", owner)
        sim.client.create_cluster("k-eks-a-cluster", {OWNER_LABEL: "run-" + "0" * 40})  # exists
        sim.kill(signal.SIGKILL)
        sim.restart()
        labels = {c["name"]: c["labels"] for c in sim.client.clusters()}
        assert labels["k-eks-a-cluster"] == owner  # set once, at creation
