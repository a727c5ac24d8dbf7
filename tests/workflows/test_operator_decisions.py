"""Failures: a step whose retries are exhausted parks for the operator (retry re-runs it,
abort compensates then fails); permanent errors fail fast with the remediation line and
collect a support bundle; cancel compensates unless keep-on-failure."""

from __future__ import annotations

import asyncio

import pytest

from eksa_temporal.client import LifecycleClient, LifecycleError
from eksa_temporal.workflows.models import CreateClusterInput, Phase, StepState, Timeouts

from .fakes import FakeInfra, spec_yaml

pytestmark = pytest.mark.anyio
FAST = Timeouts(initial_retry_seconds=0.05, max_retry_seconds=0.1, max_attempts=2, heartbeat_seconds=5)


def create_input(name: str, **kw: object) -> CreateClusterInput:
    return CreateClusterInput(spec_yaml=spec_yaml(name), workdir=f"/tmp/out/{name}", timeouts=FAST, **kw)  # type: ignore[arg-type]


async def wait_for_phase(lc: LifecycleClient, wf_id: str, phase: str, limit: float = 20.0) -> None:
    for _ in range(int(limit / 0.1)):
        if (await lc.status(wf_id, with_progress=False)).phase == phase:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{wf_id} never reached phase {phase}")


async def test_exhausted_retries_park_the_step_and_retry_runs_it_again(lifecycle: LifecycleClient, infra: FakeInfra) -> None:
    infra.transient["capi-management-move"] = 2  # both attempts fail; the operator's retry succeeds
    ref = await lifecycle.start_create(create_input("parked"))
    await wait_for_phase(lifecycle, ref.workflow_id, "awaiting-operator")
    status = await lifecycle.status(ref.workflow_id)
    assert status.state == "awaiting-operator"
    assert status.progress is not None
    parked = next(p for p in status.progress.steps if p.name == "capi-management-move")
    assert parked.state == StepState.AWAITING_OPERATOR
    assert parked.last_error == "RuntimeError: capi-management-move: connection refused"
    reply = await lifecycle.retry(ref.workflow_id, "network fixed")
    assert reply.step == "capi-management-move"
    await lifecycle.wait(ref.workflow_id)
    assert infra.names().count("capi-management-move") == 3
    assert "cleanup-infrastructure" not in infra.names()


async def test_abort_of_a_parked_step_compensates_and_fails(lifecycle: LifecycleClient, infra: FakeInfra) -> None:
    infra.transient["workload-cluster-init"] = 99
    ref = await lifecycle.start_create(create_input("aborted"))
    await wait_for_phase(lifecycle, ref.workflow_id, "awaiting-operator")
    await lifecycle.abort(ref.workflow_id, "giving up")
    with pytest.raises(LifecycleError, match="step workload-cluster-init aborted by the operator"):
        await lifecycle.wait(ref.workflow_id)
    names = infra.names()
    assert names[-2:] == ["collect-support-bundle", "cleanup-infrastructure"]
    cleanup = dict(infra.calls)["cleanup-infrastructure"]
    assert cleanup["bootstrap_kubeconfig"] == "/tmp/out/aborted/generated/aborted.kind.kubeconfig"
    status = await lifecycle.status(ref.workflow_id)
    assert (status.state, status.phase) == ("failed", Phase.FAILED)


async def test_retry_is_refused_when_nothing_is_parked(lifecycle: LifecycleClient, infra: FakeInfra) -> None:
    release = infra.block("workload-cluster-init")
    ref = await lifecycle.start_create(create_input("notparked"))
    await infra.started["workload-cluster-init"].wait()
    with pytest.raises(LifecycleError, match="retry refused: create of notparked is running, not awaiting"):
        await lifecycle.retry(ref.workflow_id)
    release.set()
    await lifecycle.wait(ref.workflow_id)


async def test_permanent_error_fails_fast_with_the_remediation_and_a_support_bundle(
    lifecycle: LifecycleClient, infra: FakeInfra
) -> None:
    infra.permanent["setup-validate"] = "PreflightFailed"
    ref = await lifecycle.start_create(create_input("badspec"))
    with pytest.raises(LifecycleError) as failed:
        await lifecycle.wait(ref.workflow_id)
    assert "step setup-validate failed: PreflightFailed: setup-validate cannot work (fix: change the spec)" in str(failed.value)
    assert infra.names() == ["setup-validate", "collect-support-bundle"]  # one attempt, nothing to clean up
    bundle = dict(infra.calls)["collect-support-bundle"]["bundle_path"]
    assert bundle.startswith("/tmp/out/badspec/support-bundle-") and bundle.endswith(".tar.gz")


async def test_a_create_refused_because_the_cluster_exists_writes_no_support_bundle(
    lifecycle: LifecycleClient, infra: FakeInfra
) -> None:
    # the folder is the existing cluster's: a bundle there would change what this run does not own
    infra.permanent["setup-validate"] = "ClusterExists"
    ref = await lifecycle.start_create(create_input("taken"))
    with pytest.raises(LifecycleError) as failed:
        await lifecycle.wait(ref.workflow_id)
    assert "ClusterExists" in str(failed.value)
    assert infra.names() == ["setup-validate"]


async def test_cancel_mid_create_runs_compensation(lifecycle: LifecycleClient, infra: FakeInfra) -> None:
    infra.block("workload-cluster-init")
    ref = await lifecycle.start_create(create_input("cancelme"))
    await infra.started["workload-cluster-init"].wait()
    await lifecycle.cancel("cancelme")
    with pytest.raises(LifecycleError):
        await lifecycle.wait(ref.workflow_id)
    assert infra.names()[-1] == "cleanup-infrastructure"
    status = await lifecycle.status(ref.workflow_id)
    assert status.state == "cancelled"
    assert status.progress is not None
    assert status.progress.compensation[0].state == StepState.COMPLETED


async def test_keep_on_failure_leaves_everything_for_inspection(lifecycle: LifecycleClient, infra: FakeInfra) -> None:
    infra.block("workload-cluster-init")
    ref = await lifecycle.start_create(create_input("keepme", keep_on_failure=True))
    await infra.started["workload-cluster-init"].wait()
    await lifecycle.cancel(ref.workflow_id)
    with pytest.raises(LifecycleError):
        await lifecycle.wait(ref.workflow_id)
    assert "cleanup-infrastructure" not in infra.names()
