"""What a cancel or an abort unwinds, in which order: a create first settles an interrupted
move (``capi-move-abort``) and then removes what it made; a management delete puts the
cluster back (move undone or moved back, bootstrap cluster removed) until ``delete-cluster``
starts, and leaves the rest to a re-run after that; an upgrade undoes only an interrupted
backup's pause, and removes its backup folder once it succeeded."""

from __future__ import annotations

import pytest

from eksa_temporal.client import LifecycleClient, LifecycleError
from eksa_temporal.workflows.models import (
    CreateClusterInput,
    DeleteClusterInput,
    StepState,
    Timeouts,
    UpgradeClusterInput,
)

from .fakes import FakeInfra, spec_yaml
from .test_operator_decisions import wait_for_phase

pytestmark = pytest.mark.anyio
FAST = Timeouts(initial_retry_seconds=0.05, max_retry_seconds=0.1, max_attempts=2, heartbeat_seconds=5)


def workdir(name: str) -> str:
    return f"/tmp/out/{name}"


async def cancel_during(lc: LifecycleClient, infra: FakeInfra, start: object, step: str) -> list[str]:
    """Start an operation (``start`` is the awaitable start call), cancel it while ``step``
    runs; the steps run after the cancel, in order."""
    infra.block(step)
    ref = await start  # type: ignore[misc]
    await infra.started[step].wait()
    seen = len(infra.calls)
    await lc.cancel(ref.workflow_id)
    with pytest.raises(LifecycleError, match="cancelled"):
        await lc.wait(ref.workflow_id)
    status = await lc.status(ref.workflow_id)
    assert status.progress is not None
    assert all(c.state == StepState.COMPLETED for c in status.progress.compensation), status.progress.compensation
    return infra.names()[seen:]


def create(name: str) -> CreateClusterInput:
    return CreateClusterInput(spec_yaml=spec_yaml(name), workdir=workdir(name), timeouts=FAST)


def delete(name: str) -> DeleteClusterInput:
    return DeleteClusterInput(spec_yaml=spec_yaml(name), workdir=workdir(name), timeouts=FAST)


def upgrade(name: str) -> UpgradeClusterInput:
    return UpgradeClusterInput(spec_yaml=spec_yaml(name), workdir=workdir(name), timeouts=FAST)


async def test_a_create_cancelled_during_the_move_unwinds_the_move_before_cleanup(lifecycle: LifecycleClient, infra: FakeInfra) -> None:
    after = await cancel_during(lifecycle, infra, lifecycle.start_create(create("cm")), "capi-management-move")
    assert after == ["capi-move-abort", "cleanup-infrastructure"]
    abort = dict(infra.calls)["capi-move-abort"]
    # the move's own direction: from the bootstrap cluster to the new cluster
    assert abort["from_kubeconfig"] == "/tmp/out/cm/generated/cm.kind.kubeconfig"
    assert abort["to_kubeconfig"] == "/tmp/out/cm/cm-eks-a-cluster.kubeconfig"


async def test_a_create_cancelled_before_the_move_only_cleans_up(lifecycle: LifecycleClient, infra: FakeInfra) -> None:
    after = await cancel_during(lifecycle, infra, lifecycle.start_create(create("cb")), "install-capi-components-workload")
    assert after == ["cleanup-infrastructure"]


async def test_an_aborted_move_is_unwound_after_the_bundle_and_before_cleanup(lifecycle: LifecycleClient, infra: FakeInfra) -> None:
    infra.transient["capi-management-move"] = 99
    ref = await lifecycle.start_create(create("am"))
    await wait_for_phase(lifecycle, ref.workflow_id, "awaiting-operator")
    await lifecycle.abort(ref.workflow_id, "give up")
    with pytest.raises(LifecycleError, match="step capi-management-move aborted by the operator"):
        await lifecycle.wait(ref.workflow_id)
    assert infra.names()[-3:] == ["collect-support-bundle", "capi-move-abort", "cleanup-infrastructure"]


async def test_a_delete_cancelled_during_the_move_undoes_it_and_removes_the_bootstrap_cluster(
    lifecycle: LifecycleClient, infra: FakeInfra
) -> None:
    infra.results["capi-move-abort"] = {"settled": "undone"}
    after = await cancel_during(lifecycle, infra, lifecycle.start_delete(delete("dm")), "capi-move-to-bootstrap")
    assert after == ["capi-move-abort", "delete-kind-cluster"]
    abort = dict(infra.calls)["capi-move-abort"]
    # the reverse direction of a create's move: from the cluster to the bootstrap cluster
    assert abort["from_kubeconfig"] == "/tmp/out/dm/dm-eks-a-cluster.kubeconfig"
    assert abort["to_kubeconfig"] == "/tmp/out/dm/generated/dm.kind.kubeconfig"


async def test_a_delete_whose_move_had_to_finish_moves_the_cluster_back(lifecycle: LifecycleClient, infra: FakeInfra) -> None:
    infra.results["capi-move-abort"] = {"settled": "finished"}
    after = await cancel_during(lifecycle, infra, lifecycle.start_delete(delete("df")), "capi-move-to-bootstrap")
    assert after == ["capi-move-abort", "capi-management-move", "delete-kind-cluster"]


async def test_a_delete_cancelled_once_deleting_leaves_the_rest_to_a_re_run(lifecycle: LifecycleClient, infra: FakeInfra) -> None:
    after = await cancel_during(lifecycle, infra, lifecycle.start_delete(delete("dd")), "delete-cluster")
    assert after == []


async def test_a_delete_cancelled_before_the_move_removes_only_its_bootstrap_cluster(lifecycle: LifecycleClient, infra: FakeInfra) -> None:
    after = await cancel_during(lifecycle, infra, lifecycle.start_delete(delete("di")), "install-capi-components-bootstrap")
    assert after == ["delete-kind-cluster"]


async def test_an_upgrade_cancelled_during_the_backup_undoes_its_pause(lifecycle: LifecycleClient, infra: FakeInfra) -> None:
    after = await cancel_during(lifecycle, infra, lifecycle.start_upgrade(upgrade("ub")), "capi-backup")
    assert after == ["capi-move-abort"]
    calls = dict(infra.calls)
    assert calls["capi-move-abort"]["backup_dir"] == calls["capi-backup"]["backup_dir"]
    assert calls["capi-backup"]["backup_dir"].startswith("/tmp/out/ub/generated/capi-backup-")


async def test_an_upgrade_cancelled_during_the_rollout_rolls_nothing_back(lifecycle: LifecycleClient, infra: FakeInfra) -> None:
    after = await cancel_during(lifecycle, infra, lifecycle.start_upgrade(upgrade("ur")), "upgrade-cluster")
    assert after == []


async def test_a_successful_upgrade_removes_its_backup(lifecycle: LifecycleClient, infra: FakeInfra) -> None:
    result = await lifecycle.wait((await lifecycle.start_upgrade(upgrade("uok"))).workflow_id)
    calls = dict(infra.calls)
    assert infra.names()[-1] == "capi-backup-remove"
    assert calls["capi-backup-remove"]["backup_dir"] == calls["capi-backup"]["backup_dir"]
    assert result.backup_path is None  # type: ignore[union-attr]
