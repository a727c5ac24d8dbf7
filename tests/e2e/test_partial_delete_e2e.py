"""A delete run again after a partial delete finishes the job: the first delete stopped
(worker gone, operation terminated) after the Cluster was deleted and its kubeconfig
removed, or right after it asked for the Cluster's deletion (the kubeconfig still there,
the cluster's API gone); the second delete completes, leaving no machine, no bootstrap
cluster and no kubeconfig."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from unittest import mock

import pytest
from temporalio.testing import ActivityEnvironment

from eksa_temporal.activities import teardown
from eksa_temporal.activities.bootstrap import BootstrapActivities
from eksa_temporal.activities.capi_install import CapiInstallActivities
from eksa_temporal.activities.models import (
    BootstrapInput,
    DeleteClusterInput,
    InstallCapiInput,
    ValidateInput,
)
from eksa_temporal.activities.move import MoveActivities, MoveStepInput
from eksa_temporal.activities.teardown import TeardownActivities
from eksa_temporal.activities.validate import ValidateActivities
from eksa_temporal.kube.client import kube_for
from eksa_temporal.providers.registry import Registry
from eksa_temporal.workflows.models import (
    CreateClusterInput,
    CreateClusterResult,
    DeleteClusterResult,
)
from eksa_temporal.workflows.models import DeleteClusterInput as DeleteOperation

from .conftest import Stack
from .test_failures_e2e import FAIL_FAST, sim_clusters
from .test_lifecycle_e2e import live_machines, spec


def partial_delete(registry: Registry, name: str, workdir: str, *, stop_while_deleting: bool) -> None:
    """The steps of a management delete run directly, then the operation stops: after
    delete-cluster (which removes the cluster's kubeconfig), or right after delete-cluster
    asked for the Cluster's deletion (the kubeconfig stays, its API goes away)."""
    env = ActivityEnvironment()  # the steps run as one run of the cluster's delete workflow
    env.info = dataclasses.replace(env.info, workflow_id=f"eksa/default/{name}", workflow_run_id="first-delete")
    fields = {"cluster_name": name, "provider": "sim", "workdir": workdir, "spec_yaml": spec(name)}
    fields["kubeconfig"] = f"{workdir}/{name}-eks-a-cluster.kubeconfig"
    env.run(ValidateActivities(registry).setup_validate_delete, ValidateInput(**fields))
    boot = env.run(BootstrapActivities(registry).bootstrap_cluster_init, BootstrapInput(**fields))
    fields["bootstrap_kubeconfig"] = boot.bootstrap_kubeconfig
    env.run(CapiInstallActivities(registry).install_capi_components_bootstrap, InstallCapiInput(**fields))
    env.run(MoveActivities().capi_move_to_bootstrap, MoveStepInput(**fields))
    inp = DeleteClusterInput(**fields, control_plane_wait_seconds=60)
    if not stop_while_deleting:
        env.run(TeardownActivities(registry).delete_cluster, inp)
        return
    # the worker dies as delete-cluster is about to ask for the deletion; the request got out
    with mock.patch.object(teardown, "delete_capi_cluster", side_effect=Stopped), pytest.raises(Stopped):
        env.run(TeardownActivities(registry).delete_cluster, inp)
    kube_for(boot.bootstrap_kubeconfig).delete("cluster.x-k8s.io/v1beta1", "Cluster", name, "eksa-system")


class Stopped(Exception):
    """Stands in for the worker dying inside delete-cluster."""


@pytest.mark.anyio
@pytest.mark.parametrize("stop_while_deleting", [False, True], ids=["after-delete-cluster", "while-deleting"])
async def test_delete_run_again_after_a_partial_delete_finishes(stack: Stack, stop_while_deleting: bool) -> None:
    before = sim_clusters(stack)
    workdir = stack.workdir("half")
    created = await stack.lc.wait(
        (await stack.lc.start_create(CreateClusterInput(spec_yaml=spec("half"), workdir=workdir, timeouts=FAIL_FAST))).workflow_id
    )
    assert isinstance(created, CreateClusterResult)
    await asyncio.to_thread(partial_delete, Registry(stack.sim.state_dir), "half", workdir, stop_while_deleting=stop_while_deleting)
    assert Path(created.kubeconfig_path or "").exists() == stop_while_deleting
    assert "half-eks-a-cluster" in sim_clusters(stack)  # the bootstrap cluster is still there
    if stop_while_deleting:
        for _ in range(300):  # the controllers remove the machines, then the cluster's API
            if "half" not in sim_clusters(stack):
                break
            await asyncio.sleep(0.1)
        assert "half" not in sim_clusters(stack)

    ref = await stack.lc.start_delete(DeleteOperation(spec_yaml=spec("half"), workdir=workdir, timeouts=FAIL_FAST))
    result = await asyncio.wait_for(stack.lc.wait(ref.workflow_id), 90)
    assert isinstance(result, DeleteClusterResult)
    assert live_machines(stack.sim) == []
    assert sim_clusters(stack) == before
    assert not Path(created.kubeconfig_path or "").exists()
