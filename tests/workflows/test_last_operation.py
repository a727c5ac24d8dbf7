"""``LifecycleClient.last_operation``: the latest operation of a cluster with the spec digest
and origin every operation carries in its memo, the running step, the failure line; None for
a cluster that never had one."""

from __future__ import annotations

import secrets

import pytest

from eksa_temporal.client import LifecycleClient, LifecycleError
from eksa_temporal.spec import load_spec
from eksa_temporal.spec.digest import spec_digest
from eksa_temporal.workflows.models import (
    CreateClusterInput,
    DeleteClusterInput,
    UpgradeClusterInput,
)

from .fakes import FakeInfra, spec_yaml

pytestmark = pytest.mark.anyio


def _name() -> str:
    return f"lo{secrets.token_hex(4)}"


async def test_a_cluster_without_operations_has_no_last_operation(lifecycle: LifecycleClient) -> None:
    assert await lifecycle.last_operation(_name(), "default") is None


async def test_last_operation_shows_the_running_step_then_the_completed_digest_and_origin(
    lifecycle: LifecycleClient, infra: FakeInfra
) -> None:
    name = _name()
    text = spec_yaml(name, management="mgmt1")
    spec = load_spec(text).spec
    assert spec is not None
    release = infra.block("create-workload-cluster")
    inp = CreateClusterInput(
        spec_yaml=text, workdir=f"/tmp/out/{name}", management_kubeconfig="/tmp/m.kubeconfig", origin="controller"
    )
    ref = await lifecycle.start_create(inp)
    await infra.started["create-workload-cluster"].wait()
    running = await lifecycle.last_operation(name, "default")
    assert running is not None
    assert (running.workflow_id, running.run_id) == (ref.workflow_id, ref.run_id)
    assert (running.operation, running.state, running.current_step) == ("create", "running", "create-workload-cluster")
    assert running.spec_digest == spec_digest(spec)
    assert running.origin == "controller"
    assert running.ui_url == ref.ui_url
    release.set()
    await lifecycle.wait(ref.workflow_id)
    done = await lifecycle.last_operation(name, "default")
    assert done is not None
    assert (done.state, done.current_step, done.error, done.origin) == ("completed", None, None, "controller")
    assert done.spec_digest == spec_digest(spec) and done.closed_at is not None
    # the memo holds the digest and the origin, never the spec text
    memo = await (await lifecycle.handle(ref.workflow_id).describe()).memo()
    assert set(memo) == {"eksa_spec_digest", "eksa_origin"}


async def test_last_operation_is_the_latest_run_with_its_failure_line(lifecycle: LifecycleClient, infra: FakeInfra) -> None:
    name = _name()
    text = spec_yaml(name, management="mgmt1")
    base = {"spec_yaml": text, "workdir": f"/tmp/out/{name}", "management_kubeconfig": "/tmp/m.kubeconfig"}
    await lifecycle.wait((await lifecycle.start_create(CreateClusterInput(**base))).workflow_id)
    infra.permanent["upgrade-cluster"] = "InvalidSpec"
    bigger = "count: 2\n".join(text.rsplit("count: 1\n", 1))  # the worker group's count
    assert bigger != text
    ref = await lifecycle.start_upgrade(UpgradeClusterInput(**base | {"spec_yaml": bigger}))
    with pytest.raises(LifecycleError):
        await lifecycle.wait(ref.workflow_id)
    failed = await lifecycle.last_operation(name)
    assert failed is not None
    assert (failed.operation, failed.state, failed.origin, failed.run_id) == ("upgrade", "failed", "cli", ref.run_id)
    assert failed.error is not None and "upgrade-cluster cannot work" in failed.error
    big = load_spec(bigger).spec
    assert big is not None and failed.spec_digest == spec_digest(big)
    await lifecycle.wait((await lifecycle.start_delete(DeleteClusterInput(**base))).workflow_id)
    deleted = await lifecycle.last_operation(name)
    assert deleted is not None and (deleted.operation, deleted.state) == ("delete", "completed")
