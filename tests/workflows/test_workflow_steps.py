"""The lifecycle workflows run their steps in runbook order, choose the management or the
workload plan from the spec, and report progress, search attributes and result paths."""

from __future__ import annotations

import json

import pytest

from eksa_temporal.client import LifecycleClient, OperationAlreadyRunning
from eksa_temporal.workflows.create import MANAGEMENT_PLAN, WORKLOAD_PLAN
from eksa_temporal.workflows.delete import MANAGEMENT_PLAN as DELETE_MANAGEMENT_PLAN
from eksa_temporal.workflows.models import (
    CreateClusterInput,
    CreateClusterResult,
    DeleteClusterInput,
    Phase,
    StepState,
    Timeouts,
    UpgradeClusterInput,
)
from eksa_temporal.workflows.upgrade import PLAN as UPGRADE_PLAN

from .fakes import FakeInfra, spec_yaml

pytestmark = pytest.mark.anyio
FAST = Timeouts(initial_retry_seconds=0.05, max_retry_seconds=0.1, max_attempts=2, heartbeat_seconds=5)


def create_input(name: str = "demo", management: str | None = None, **kw: object) -> CreateClusterInput:
    return CreateClusterInput(spec_yaml=spec_yaml(name, management), workdir=f"/tmp/out/{name}", timeouts=FAST, **kw)  # type: ignore[arg-type]


async def test_management_create_runs_the_runbook_in_order(lifecycle: LifecycleClient, infra: FakeInfra) -> None:
    ref = await lifecycle.start_create(create_input("mgmt1"))
    result = await lifecycle.wait(ref.workflow_id)
    assert infra.names() == MANAGEMENT_PLAN
    assert isinstance(result, CreateClusterResult)
    assert result.kubeconfig_path == "/tmp/out/mgmt1/mgmt1-eks-a-cluster.kubeconfig"
    assert result.cluster_config_path == "/tmp/out/mgmt1/mgmt1-eks-a-cluster.yaml"
    status = await lifecycle.status("mgmt1")
    assert status.state == "completed" and status.phase == Phase.COMPLETED
    assert status.progress is not None
    assert [p.state for p in status.progress.steps] == [StepState.COMPLETED] * len(MANAGEMENT_PLAN)
    # the new cluster's steps receive the bootstrap kubeconfig the bootstrap step returned
    install = dict(infra.calls)["install-capi-components-bootstrap"]
    assert install["bootstrap_kubeconfig"] == "/tmp/out/mgmt1/generated/mgmt1.kind.kubeconfig"


async def test_workload_create_applies_on_the_management_cluster(lifecycle: LifecycleClient, infra: FakeInfra) -> None:
    inp = create_input("wl1", management="mgmt1", management_kubeconfig="/tmp/out/mgmt1/mgmt1-eks-a-cluster.kubeconfig")
    ref = await lifecycle.start_create(inp)
    await lifecycle.wait(ref.workflow_id)
    assert infra.names() == WORKLOAD_PLAN
    assert dict(infra.calls)["create-workload-cluster"]["management_kubeconfig"].endswith("mgmt1-eks-a-cluster.kubeconfig")


async def test_upgrade_and_delete_follow_their_plans(lifecycle: LifecycleClient, infra: FakeInfra) -> None:
    up = UpgradeClusterInput(spec_yaml=spec_yaml("mgmt2"), workdir="/tmp/out/mgmt2", timeouts=FAST)
    await lifecycle.wait((await lifecycle.start_upgrade(up)).workflow_id)
    assert infra.names() == UPGRADE_PLAN
    assert dict(infra.calls)["upgrade-cluster"]["kubeconfig"] == "/tmp/out/mgmt2/mgmt2-eks-a-cluster.kubeconfig"
    infra.calls.clear()
    rm = DeleteClusterInput(spec_yaml=spec_yaml("mgmt2"), workdir="/tmp/out/mgmt2", timeouts=FAST)
    await lifecycle.wait((await lifecycle.start_delete(rm)).workflow_id)
    assert infra.names() == DELETE_MANAGEMENT_PLAN


async def test_operations_are_searchable_by_cluster(lifecycle: LifecycleClient, infra: FakeInfra) -> None:
    ref = await lifecycle.start_create(create_input("searchme"))
    await lifecycle.wait(ref.workflow_id)
    found = await lifecycle.list("searchme")
    assert [(o.workflow_id, o.operation, o.provider, o.state) for o in found] == [
        ("eksa/default/searchme", "create", "sim", "completed")
    ]


async def test_a_second_operation_on_a_busy_cluster_is_refused(lifecycle: LifecycleClient, infra: FakeInfra) -> None:
    release = infra.block("workload-cluster-init")
    ref = await lifecycle.start_create(create_input("busy"))
    await infra.started["workload-cluster-init"].wait()
    up = UpgradeClusterInput(spec_yaml=spec_yaml("busy"), workdir="/tmp/out/busy", timeouts=FAST)
    with pytest.raises(OperationAlreadyRunning) as refused:
        await lifecycle.start_upgrade(up)
    assert "cluster default/busy is busy: operation create (eksa/default/busy" in str(refused.value)
    assert "\n" not in str(refused.value)
    release.set()
    await lifecycle.wait(ref.workflow_id)
    # once the create closed, the next operation on the cluster may start
    await lifecycle.wait((await lifecycle.start_upgrade(up)).workflow_id)


async def test_progress_serialises_for_the_cli(lifecycle: LifecycleClient, infra: FakeInfra) -> None:
    ref = await lifecycle.start_create(create_input("jsonme"))
    await lifecycle.wait(ref.workflow_id)
    data = json.loads((await lifecycle.status(ref.workflow_id)).model_dump_json())
    assert data["state"] == "completed"
    assert data["progress"]["steps"][0]["name"] == "setup-validate"
