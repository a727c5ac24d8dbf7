"""A wait reports progress (and so heartbeats) at most every third of the activity's
heartbeat timeout, never more rarely than every 5 s, and every 5 s outside an activity."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from temporalio.testing import ActivityEnvironment

from eksa_temporal.activities.common import progress_interval


def _in_activity(heartbeat: timedelta | None) -> float:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, heartbeat_timeout=heartbeat)
    result: float = env.run(progress_interval)
    return result


def test_the_interval_follows_the_heartbeat_timeout() -> None:
    assert _in_activity(timedelta(seconds=5)) == 5 / 3  # a 5 s window would miss the timeout
    assert _in_activity(timedelta(seconds=20)) == 5.0  # the product default: unchanged
    assert _in_activity(timedelta(seconds=0.3)) == 0.5
    assert _in_activity(None) == 5.0
    assert progress_interval() == 5.0
