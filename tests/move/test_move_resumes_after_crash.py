"""A move killed with SIGKILL at every phase boundary and in the middle of every phase
finishes when a new process runs it again: the target holds the source's objects (spec,
data, labels, annotations, status, owners on the target's uids), the source holds
nothing, the Cluster is unpaused, no journal is left behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from eksa_temporal.kube.move import api as mapi
from eksa_temporal.kube.move.journal import ConfigMapJournal, journal_name
from tests.move import support
from tests.move.support import Pair
from tests.support.histories import assert_no_secrets
from tests.support.paths import REPO

RUNNER = Path(__file__).with_name("crash_runner.py")
CLUSTER = "demo"
OBJECTS = 33  # support.GraphBuilder.cluster(machines=3, workers=2)

# every phase boundary and the middle of every phase, in the order a move reaches them
CHAIN = [
    "pausing:0",  # journal written, nothing paused yet
    "pause:1",  # cluster paused, graph not yet journaled
    "discovered:0",  # graph journaled, nothing created
    "create:1",
    f"create:{OBJECTS // 2}",
    f"create:{OBJECTS}",  # all created, phase not yet advanced
    "created:0",
    "delete:1",
    f"delete:{OBJECTS // 2}",
    f"delete:{OBJECTS}",
    "deleted:0",
    "unpause:1",  # target unpaused, journal still there
]
# a first crash in the middle of each phase, then one clean run: (point, resumed phase)
FIRST_CRASH = [
    (f"create:{OBJECTS // 2}", "creating"),
    (f"delete:{OBJECTS // 2}", "deleting"),
]


def run(pair: Pair, crash_at: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "EKSA_MOVE_CRASH_AT"}
    if crash_at:
        env["EKSA_MOVE_CRASH_AT"] = crash_at
    env["CHECKPOINT"] = "7"  # checkpoints inside the phases, too
    return subprocess.run(
        [
            sys.executable,
            str(RUNNER),
            pair.src_kubeconfig,
            pair.dst_kubeconfig,
            CLUSTER,
            pair.namespace,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        cwd=REPO,
    )


def assert_moved(pair: Pair, before: dict[tuple[str, str], support.Obj]) -> None:
    after = support.snapshot(pair.dst, pair.namespace)
    assert sorted(after) == sorted(before)
    for key, obj in before.items():
        assert after[key] == obj, key
    assert support.snapshot(pair.src, pair.namespace) == {}
    assert support.owner_uids_resolve(pair.dst, pair.namespace) == []
    cluster = pair.dst.get(support.TYPES["Cluster"], pair.namespace, CLUSTER)
    assert cluster is not None and "paused" not in cluster["spec"]
    journals = pair.dst.list(
        mapi.CONFIG_MAP, "eksa-system", label_selector="move.eksa-temporal.io/journal"
    )
    assert journals == []


def test_a_move_killed_at_every_point_in_turn_completes_and_a_rerun_is_a_no_op(pair: Pair) -> None:
    support.GraphBuilder(pair.src, pair.namespace).cluster(CLUSTER, machines=3, workers=2)
    before = support.snapshot(pair.src, pair.namespace)
    assert len(before) == OBJECTS
    for crash_at in CHAIN:  # each run resumes the previous one and is killed further on
        crashed = run(pair, crash_at)
        assert crashed.returncode == -9, (crash_at, crashed.returncode, crashed.stderr[-2000:])
    finished = run(pair, None)
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert json.loads(finished.stdout)["resumed_from"] == "unpausing"
    assert_moved(pair, before)
    again = run(pair, None)
    assert again.returncode == 0, again.stderr[-2000:]
    assert json.loads(again.stdout)["already_moved"] is True
    assert_moved(pair, before)


@pytest.mark.parametrize(("crash_at", "resumes_from"), FIRST_CRASH)
def test_a_move_killed_once_completes_when_run_again(
    pair: Pair, crash_at: str, resumes_from: str
) -> None:
    support.GraphBuilder(pair.src, pair.namespace).cluster(CLUSTER, machines=3, workers=2)
    before = support.snapshot(pair.src, pair.namespace)
    secrets = support.secret_values(
        pair.sim, pair.src, pair.namespace, pair.src_kubeconfig, pair.dst_kubeconfig
    )

    crashed = run(pair, crash_at)
    assert crashed.returncode == -9, crashed.stderr[-2000:]
    journal = ConfigMapJournal(
        pair.dst, "eksa-system", journal_name(CLUSTER, pair.namespace)
    ).load()
    assert journal is not None and journal.phase.value == resumes_from
    assert len(journal.nodes) == OBJECTS
    # identities and uids only, never a Secret's data or a token
    assert_no_secrets(journal.model_dump_json(), secrets, where="the move journal")

    finished = run(pair, None)
    assert finished.returncode == 0, finished.stderr[-2000:]
    result = json.loads(finished.stdout)
    assert result["resumed_from"] == resumes_from
    assert result["objects"] == OBJECTS
    assert_moved(pair, before)
