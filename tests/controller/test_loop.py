"""The controller loop (watch threads, work queue, Lease) on the sim API server with the
Temporal side faked: a config applied after its Cluster is seen through the config watch
(not the resync); a controller started after another stopped finds the running operation
and starts nothing twice."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from eksa_temporal.controller import names
from eksa_temporal.controller.loop import Options, build
from eksa_temporal.controller.status import condition_of
from tests.controller.conftest import FakeLifecycle, Mgmt, workload_docs

pytestmark = pytest.mark.anyio
API = names.EKSA_API


async def eventually(what: str, probe: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        got = await asyncio.to_thread(probe)
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


@asynccontextmanager
async def running(mgmt: Mgmt, fake: FakeLifecycle, namespace: str, workdir: Path) -> AsyncIterator[None]:
    options = Options(
        kubeconfig=mgmt.kubeconfig, workdir=workdir, identity=f"loop-{secrets.token_hex(3)}",
        namespace=namespace, lease_seconds=2, resync_seconds=600, poll_seconds=0.2,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(build(options, fake).run(stop))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


def reason(mgmt: Mgmt, namespace: str) -> str | None:
    cond = condition_of(mgmt.kube.get(API, "Cluster", "w1", namespace) or {}, names.READY)
    return None if cond is None else f"{cond['status']}/{cond.get('reason', '')}"


async def test_a_config_applied_after_its_cluster_is_picked_up_by_the_config_watch(mgmt: Mgmt, namespace: str, tmp_path: Path) -> None:
    fake = FakeLifecycle()
    cluster, datacenter = workload_docs("w1", namespace)
    async with running(mgmt, fake, namespace, tmp_path):
        mgmt.kube.apply([cluster])
        await eventually("MissingDependentObjects", lambda: reason(mgmt, namespace) == "False/MissingDependentObjects")
        assert fake.starts == []
        mgmt.kube.apply([datacenter])  # the resync is 10 min away: only the watch can see it
        await eventually("the create", lambda: fake.starts)
        assert [op for op, _, _ in fake.starts] == ["create"]
        fake.finish(namespace, "w1")
        await eventually("Ready", lambda: reason(mgmt, namespace) == "True/")


async def test_a_restarted_controller_finds_the_running_operation_and_starts_nothing_twice(mgmt: Mgmt, namespace: str, tmp_path: Path) -> None:
    fake = FakeLifecycle()
    mgmt.kube.apply(workload_docs("w1", namespace))
    async with running(mgmt, fake, namespace, tmp_path):
        await eventually("the create", lambda: fake.starts)
    async with running(mgmt, fake, namespace, tmp_path):  # the next holder of the Lease
        await eventually("the running create shown", lambda: reason(mgmt, namespace) == "False/CreateInProgress")
        await asyncio.sleep(1.0)  # several polls of the running operation
        assert len(fake.starts) == 1
        fake.finish(namespace, "w1")
        await eventually("Ready", lambda: reason(mgmt, namespace) == "True/")
        mgmt.kube.apply(workload_docs("w1", namespace, workers=3))
        await eventually("the upgrade", lambda: len(fake.starts) == 2)
    assert [op for op, _, _ in fake.starts] == ["create", "upgrade"]
