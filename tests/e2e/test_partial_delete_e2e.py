"""A delete run again after a partial delete finishes the job: the first delete stopped
(worker gone, operation terminated) after the Cluster was deleted and its kubeconfig
removed, before the bootstrap cluster went; the second delete completes, leaving no
machine, no bootstrap cluster and no kubeconfig."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from activities.bootstrap import BootstrapActivities
from activities.capi_install import CapiInstallActivities
from activities.models import BootstrapInput, DeleteClusterInput, InstallCapiInput, ValidateInput
from activities.move import MoveActivities, MoveStepInput
from activities.teardown import TeardownActivities
from activities.validate import ValidateActivities
from providers.registry import Registry
from workflows.models import CreateClusterInput, CreateClusterResult, DeleteClusterResult
from workflows.models import DeleteClusterInput as DeleteOperation

from .conftest import Stack
from .test_failures_e2e import FAIL_FAST, sim_clusters
from .test_lifecycle_e2e import live_machines, spec


def partial_delete(registry: Registry, name: str, workdir: str) -> None:
    """The steps of a management delete up to and including delete-cluster (which removes
    the cluster's kubeconfig), run directly: the operation then stops."""
    fields = {"cluster_name": name, "provider": "sim", "workdir": workdir, "spec_yaml": spec(name)}
    fields["kubeconfig"] = f"{workdir}/{name}-eks-a-cluster.kubeconfig"
    ValidateActivities(registry).setup_validate_delete(ValidateInput(**fields))
    boot = BootstrapActivities(registry).bootstrap_cluster_init(BootstrapInput(**fields))
    fields["bootstrap_kubeconfig"] = boot.bootstrap_kubeconfig
    CapiInstallActivities(registry).install_capi_bootstrap(InstallCapiInput(**fields))
    MoveActivities().move_to_bootstrap(MoveStepInput(**fields))
    TeardownActivities(registry).delete_cluster(DeleteClusterInput(**fields, control_plane_wait_seconds=60))


@pytest.mark.anyio
async def test_delete_run_again_after_a_partial_delete_finishes(stack: Stack) -> None:
    before = sim_clusters(stack)
    workdir = stack.workdir("half")
    created = await stack.lc.wait(
        (await stack.lc.start_create(CreateClusterInput(spec_yaml=spec("half"), workdir=workdir, timeouts=FAIL_FAST))).workflow_id
    )
    assert isinstance(created, CreateClusterResult)
    await asyncio.to_thread(partial_delete, Registry(stack.sim.state_dir), "half", workdir)
    assert not Path(created.kubeconfig_path or "").exists()
    assert "half-eks-a-cluster" in sim_clusters(stack)  # the bootstrap cluster is still there

    ref = await stack.lc.start_delete(DeleteOperation(spec_yaml=spec("half"), workdir=workdir, timeouts=FAIL_FAST))
    result = await asyncio.wait_for(stack.lc.wait(ref.workflow_id), 120)
    assert isinstance(result, DeleteClusterResult)
    assert live_machines(stack.sim) == []
    assert sim_clusters(stack) == before
