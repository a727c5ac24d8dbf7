"""The controllers' work queues and per-kind worker pools: a key is handed to one worker at
a time, a key added while it waits or is being reconciled is reconciled once more (not
twice), several keys of one kind are worked on at once, the pool size comes from the
argument, the environment or the default, and a Cluster's gate flip re-queues that
Cluster's objects only."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest

from eksa_temporal.simulator.controllers import manager as m
from eksa_temporal.simulator.controllers import objects as o
from eksa_temporal.simulator.controllers.queue import WorkQueue
from tests.simulator.controllers import capi
from tests.simulator.controllers import harness as h


def test_a_key_added_while_a_worker_holds_it_waits_for_done_and_comes_back_once() -> None:
    async def scenario() -> None:
        q: WorkQueue[str] = WorkQueue()
        q.add("a")
        assert await q.get() == "a"
        q.add("a")
        q.add("a")
        q.add_after("a", 0.01)
        q.add("b")
        assert await asyncio.wait_for(q.get(), 1) == "b"  # "a" is held: not handed out again
        await asyncio.sleep(0.03)  # the delayed add falls due while "a" is still held
        second = asyncio.ensure_future(q.get())
        await asyncio.sleep(0.02)
        assert not second.done() and q.processing == 2
        q.done("a")
        assert await asyncio.wait_for(second, 1) == "a"
        q.done("a")
        q.done("b")
        assert len(q) == 0 and q.processing == 0
        third = asyncio.ensure_future(q.get())
        await asyncio.sleep(0.03)
        assert not third.done()  # three adds and a delayed add of "a" made one more reconcile only
        third.cancel()

    asyncio.run(scenario())


def test_a_pool_works_on_several_keys_at_once_never_on_one_key_twice() -> None:
    held: set[str] = set()
    seen: list[str] = []
    most = 0

    async def worker(q: WorkQueue[str]) -> None:
        nonlocal most
        while True:
            key = await q.get()
            assert key not in held, f"{key} handed to two workers"
            held.add(key)
            most = max(most, len(held))
            seen.append(key)
            await asyncio.sleep(random.uniform(0, 0.004))  # a reconcile that yields
            if random.random() < 0.3:
                q.add(key)  # its own write re-queues it
            held.discard(key)
            q.done(key)

    async def scenario() -> None:
        q: WorkQueue[str] = WorkQueue()
        workers = [asyncio.create_task(worker(q)) for _ in range(4)]
        keys = [f"k{i}" for i in range(20)]
        for _ in range(30):
            for key in random.sample(keys, 8):
                q.add(key)
            await asyncio.sleep(0.002)
        for _ in range(500):
            if len(q) == 0 and q.processing == 0:
                break
            await asyncio.sleep(0.01)
        assert len(q) == 0 and q.processing == 0
        for w in workers:
            w.cancel()
        results = await asyncio.gather(*workers, return_exceptions=True)
        assert all(isinstance(r, asyncio.CancelledError) for r in results), results

    asyncio.run(scenario())
    assert most > 1  # the pool did run keys side by side
    assert set(seen) == {f"k{i}" for i in range(20)}


def test_a_pool_of_waiting_workers_stops_at_once_when_cancelled() -> None:
    async def scenario() -> None:
        q: WorkQueue[str] = WorkQueue()
        q.add_after("later", 60)  # waiting workers also wait for a due time
        for spins in range(5):  # a cancellation meeting a wake-up, at every point of it
            getters = [asyncio.ensure_future(q.get()) for _ in range(20)]
            await asyncio.sleep(0.001)
            q.add(f"k{spins}")
            for _ in range(spins):
                await asyncio.sleep(0)
            for g in getters:
                g.cancel()
            _, pending = await asyncio.wait(getters, timeout=1)
            assert not pending, f"{len(pending)} workers did not stop (wake-up after {spins} loop turns)"

    asyncio.run(scenario())


def test_the_pool_size_comes_from_the_argument_the_environment_or_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(m.WORKERS_ENV, raising=False)
    assert m.pool_size() == m.DEFAULT_WORKERS
    monkeypatch.setenv(m.WORKERS_ENV, "5")
    assert m.pool_size() == 5
    assert m.pool_size(3) == 3
    for bad in ("0", "many"):
        monkeypatch.setenv(m.WORKERS_ENV, bad)
        with pytest.raises(ValueError, match=m.WORKERS_ENV if bad == "many" else "at least 1"):
            m.pool_size()


def test_many_clusters_come_up_with_a_pool_per_kind_and_a_gate_flip_requeues_one_cluster(tmp_path: Path) -> None:
    store = h.open_store(tmp_path)
    h.install(store, "mgmt")
    h.apply(store, "mgmt", [capi.namespace()])
    names = [f"w{i}" for i in range(6)]
    for name in names:
        h.apply(store, "mgmt", capi.cluster_objects(name, cp=1, workers=1))
    reconciled: list[o.Key] = []

    async def scenario() -> None:
        async with h.running(store, tmp_path) as manager:
            assert manager.workers == m.DEFAULT_WORKERS and len(manager.queues) > 10
            for name in names:
                await h.wait_for(lambda n=name: h.cond(h.get(store, "mgmt", "Cluster", n), "Available", v2=True),  # type: ignore[misc]
                                 timeout=30, what=f"{name} Available")
            await h.settle(manager)
            assert manager.max_active == 1  # reconcilers are synchronous: one runs at a time
            real = manager.process

            def spy(key: o.Key) -> None:
                reconciled.append(key)
                real(key)

            manager.process = spy  # type: ignore[method-assign]
            store.patch("mgmt", h.CLUSTER_V, "Cluster",
                        capi.NS, "w0", {"spec": {"paused": True}})
            await h.settle(manager)

    asyncio.run(scenario())
    kinds = {k.kind for k in reconciled}
    assert {"Cluster", "KubeadmControlPlane", "MachineDeployment", "Machine", "SimMachine"} <= kinds, kinds
    strangers = [k for k in reconciled if k.kind not in ("Deployment",) and not k.name.startswith("w0")]
    assert not strangers, strangers  # the other clusters' objects were left alone
