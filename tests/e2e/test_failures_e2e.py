"""Failure handling against the simulated infrastructure with the real activities: a cancel
mid-create leaves nothing behind; a step failing on API faults (sim knob) parks, and the
operator's retry finishes the create once the faults stop, or the operator's abort cleans
up; no secret reaches a workflow history or a search attribute."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from eksa_temporal.client import LifecycleError
from eksa_temporal.workflows.models import CreateClusterInput, Timeouts, UpgradeClusterInput

from .conftest import Stack
from .crash import step_events
from .secrets import assert_no_secrets, decoded_history, secrets_of
from .test_lifecycle_e2e import live_machines, spec

pytestmark = pytest.mark.anyio
FAIL_FAST = Timeouts(step_seconds=30, long_step_seconds=60, heartbeat_seconds=10, initial_retry_seconds=0.1, max_retry_seconds=0.2, max_attempts=2)


async def until(predicate_coro, limit: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(limit / 0.1)):
        if await predicate_coro():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition not reached in time")


def sim_clusters(stack: Stack) -> list[str]:
    return sorted(c["name"] for c in stack.sim.client.clusters())


async def test_cancel_mid_create_leaves_nothing_behind(stack: Stack) -> None:
    before = sim_clusters(stack)
    ref = await stack.lc.start_create(CreateClusterInput(spec_yaml=spec("gone"), workdir=stack.workdir("gone"), timeouts=FAIL_FAST))
    handle = stack.client.get_workflow_handle(ref.workflow_id)

    async def machines_booting() -> bool:
        return "workload-cluster-init" in (await step_events(handle))["running"] and bool(live_machines(stack.sim, "gone"))

    await until(machines_booting)
    await stack.lc.cancel(ref.workflow_id)
    with pytest.raises(LifecycleError, match="cancelled"):
        await stack.lc.wait(ref.workflow_id)
    assert live_machines(stack.sim) == []
    assert sim_clusters(stack) == before  # the bootstrap cluster is gone too
    status = await stack.lc.status(ref.workflow_id)
    assert status.state == "cancelled"
    assert status.progress is not None and [c.name for c in status.progress.compensation] == ["cleanup-infrastructure"]


async def test_parked_step_is_retried_by_the_operator_after_the_faults_stop(stack: Stack) -> None:
    stack.sim.client.set_knobs(api_error_rate=1.0)
    ref = await stack.lc.start_create(CreateClusterInput(spec_yaml=spec("flaky"), workdir=stack.workdir("flaky"), timeouts=FAIL_FAST))

    async def parked() -> bool:
        return (await stack.lc.status(ref.workflow_id, with_progress=False)).state == "awaiting-operator"

    await until(parked)
    status = await stack.lc.status(ref.workflow_id)
    assert status.progress is not None and status.progress.error
    stack.sim.client.set_knobs(api_error_rate=0.0)
    await stack.lc.retry(ref.workflow_id, "API healthy again")
    result = await stack.lc.wait(ref.workflow_id)
    assert len(live_machines(stack.sim, "flaky")) == 2

    # secrets: the sim admin token and every kubeconfig token stay out of every payload of
    # the history (inputs, results, failures, heartbeats, memo, search attributes, the
    # operator's retry) and of the description
    secrets = secrets_of(stack.sim.state_dir, Path(stack.workdir("flaky")))
    assert len(secrets) >= 2
    history = await decoded_history(stack.client, ref.workflow_id)
    assert_no_secrets(history, secrets, where="the workflow history and description")
    assert result.kubeconfig_path in history.text  # the reference is there, its content is not


async def test_abort_of_a_parked_create_cleans_up_and_fails(stack: Stack) -> None:
    before = sim_clusters(stack)
    stack.sim.client.set_knobs(api_error_rate=1.0)
    ref = await stack.lc.start_create(CreateClusterInput(spec_yaml=spec("doomed"), workdir=stack.workdir("doomed"), timeouts=FAIL_FAST))

    async def parked() -> bool:
        return (await stack.lc.status(ref.workflow_id, with_progress=False)).state == "awaiting-operator"

    await until(parked)
    stack.sim.client.set_knobs(api_error_rate=0.0)
    await stack.lc.abort(ref.workflow_id, "give up")
    with pytest.raises(LifecycleError, match="aborted by the operator"):
        await stack.lc.wait(ref.workflow_id)
    assert live_machines(stack.sim) == []
    assert sim_clusters(stack) == before
    assert list(Path(stack.workdir("doomed")).glob("support-bundle-*.tar.gz")), "no support bundle was collected"


async def test_upgrade_changing_an_immutable_field_is_refused_before_any_change(stack: Stack) -> None:
    created = await stack.lc.wait(
        (await stack.lc.start_create(CreateClusterInput(spec_yaml=spec("imm"), workdir=stack.workdir("imm"), timeouts=FAIL_FAST))).workflow_id
    )
    changed = spec("imm").replace("192.168.0.0/16", "172.20.0.0/16")
    ref = await stack.lc.start_upgrade(UpgradeClusterInput(spec_yaml=changed, workdir=stack.workdir("imm"), timeouts=FAIL_FAST))
    with pytest.raises(LifecycleError, match=r"step setup-validate-upgrade failed: ImmutableFieldChanged: .*fix:"):
        await stack.lc.wait(ref.workflow_id)
    status = await stack.lc.status(ref.workflow_id)
    assert status.progress is not None
    assert [(p.name, p.runs) for p in status.progress.steps if p.runs] == [("setup-validate-upgrade", 1)]
    assert len(live_machines(stack.sim, "imm")) == 2
    assert created.kubeconfig_path
