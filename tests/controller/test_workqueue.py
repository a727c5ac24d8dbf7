"""The work queue: a key queued many times is handed out once, never to two workers at a
time, and once more when it was added while being worked on."""

from __future__ import annotations

import asyncio

import pytest

from eksa_temporal.controller.loop import WorkQueue

pytestmark = pytest.mark.anyio


async def test_a_key_added_many_times_is_handed_out_once() -> None:
    q = WorkQueue(asyncio.get_running_loop())
    for _ in range(5):
        q.add(("ns", "a"))
    q.add(("ns", "b"))
    assert await q.get() == ("ns", "a")
    assert await q.get() == ("ns", "b")
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(q.get(), 0.05)


async def test_a_key_added_while_worked_on_comes_back_only_after_done() -> None:
    q = WorkQueue(asyncio.get_running_loop())
    q.add(("ns", "a"))
    key = await q.get()
    q.add(key)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(q.get(), 0.05)  # not to a second worker meanwhile
    q.done(key)
    assert await asyncio.wait_for(q.get(), 1) == key


async def test_add_after_keeps_the_earliest_time() -> None:
    q = WorkQueue(asyncio.get_running_loop())
    q.add_after(("ns", "a"), 5)
    q.add_after(("ns", "a"), 0.05)
    q.add_after(("ns", "a"), 3)
    assert await asyncio.wait_for(q.get(), 1) == ("ns", "a")
