"""A move that must not start, or cannot finish before deleting, leaves the source as it
was: refused up front without a change, or compensated after the pause (target objects
removed, source unpaused). ``block-move`` is waited for, with a bound. An interrupted
move can be undone (``--abort`` / ``capi-move-abort``) until deletion has started."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from eksa_temporal.cli.main import main
from eksa_temporal.kube.move import MoveAborted, MoveOptions, Mover, PreconditionFailed
from eksa_temporal.kube.move import api as mapi
from eksa_temporal.kube.move.model import BLOCK_MOVE_ANNOTATION
from tests.move import support
from tests.move.support import Pair
from tests.support.paths import REPO

CLUSTER = "demo"


def mover(pair: Pair, **kw: object) -> Mover:
    return Mover(pair.src, pair.dst, MoveOptions(cluster=CLUSTER, namespace=pair.namespace, **kw))  # type: ignore[arg-type]


def source_untouched(pair: Pair, before: dict[tuple[str, str], support.Obj]) -> None:
    assert support.snapshot(pair.src, pair.namespace) == before
    cluster = pair.src.get(support.TYPES["Cluster"], pair.namespace, CLUSTER)
    assert cluster is not None and not cluster["spec"].get("paused")
    assert support.snapshot(pair.dst, pair.namespace) == {}
    assert (
        pair.dst.list(
            mapi.CONFIG_MAP, "eksa-system", label_selector="move.eksa-temporal.io/journal"
        )
        == []
    )


def test_a_machine_without_node_ref_found_after_the_pause_undoes_the_pause(pair: Pair) -> None:
    support.GraphBuilder(pair.src, pair.namespace).cluster(CLUSTER, machines=2)
    pair.src.replace(
        support.TYPES["Machine"],
        {**pair.src.get(support.TYPES["Machine"], pair.namespace, f"{CLUSTER}-cp-1"), "status": {}},
        subresource="status",
    )  # type: ignore[dict-item]
    before = support.snapshot(pair.src, pair.namespace)
    with pytest.raises(MoveAborted, match="no nodeRef"):
        mover(pair).run()
    source_untouched(pair, before)


def test_a_permanent_target_error_while_creating_removes_what_was_created(pair: Pair) -> None:
    support.GraphBuilder(pair.src, pair.namespace).cluster(CLUSTER, machines=2, workers=1)
    before = support.snapshot(pair.src, pair.namespace)
    pair.dst.delete(
        mapi.CRD, None, "simmachines.infrastructure.cluster.x-k8s.io"
    )  # POSTs of SimMachines get 404
    with pytest.raises(MoveAborted, match=r"SimMachine|simmachines"):
        mover(pair).run()
    source_untouched(pair, before)


def test_a_fresh_move_refuses_a_cluster_someone_else_paused(pair: Pair) -> None:
    support.GraphBuilder(pair.src, pair.namespace).cluster(CLUSTER, machines=1)
    pair.src.merge_patch(
        support.TYPES["Cluster"], pair.namespace, CLUSTER, {"spec": {"paused": True}}
    )
    before = support.snapshot(pair.src, pair.namespace)
    with pytest.raises(PreconditionFailed, match="already paused by someone else"):
        mover(pair).run()
    assert support.snapshot(pair.src, pair.namespace) == before
    assert support.snapshot(pair.dst, pair.namespace) == {}


def test_a_target_with_an_older_provider_is_refused_before_anything_changes(pair: Pair) -> None:
    support.GraphBuilder(pair.src, pair.namespace).cluster(CLUSTER, machines=1)
    before = support.snapshot(pair.src, pair.namespace)
    pair.dst.merge_patch(mapi.PROVIDER, "capi-system", "cluster-api", {"version": "v1.9.0"})
    with pytest.raises(PreconditionFailed, match=r"older than v1\.10\.10"):
        mover(pair).run()
    source_untouched(pair, before)


def test_block_move_is_waited_for_and_the_move_continues_once_it_is_gone(pair: Pair) -> None:
    support.GraphBuilder(pair.src, pair.namespace).cluster(CLUSTER, machines=1)
    sim_cluster = support.TYPES["SimCluster"]
    pair.src.merge_patch(
        sim_cluster,
        pair.namespace,
        CLUSTER,
        {"metadata": {"annotations": {BLOCK_MOVE_ANNOTATION: ""}}},
    )

    def unblock() -> None:
        time.sleep(1.5)
        pair.src.merge_patch(
            sim_cluster,
            pair.namespace,
            CLUSTER,
            {"metadata": {"annotations": {BLOCK_MOVE_ANNOTATION: None}}},
        )

    helper = threading.Thread(target=unblock)
    helper.start()
    started = time.monotonic()
    result = mover(pair, block_move_timeout=20.0).run()
    helper.join()
    assert time.monotonic() - started >= 1.5
    assert result.deleted == result.objects
    assert support.snapshot(pair.src, pair.namespace) == {}


def test_block_move_that_never_goes_away_aborts_the_move_after_its_timeout(pair: Pair) -> None:
    support.GraphBuilder(pair.src, pair.namespace).cluster(CLUSTER, machines=1)
    sim_cluster = support.TYPES["SimCluster"]
    pair.src.merge_patch(
        sim_cluster,
        pair.namespace,
        CLUSTER,
        {"metadata": {"annotations": {BLOCK_MOVE_ANNOTATION: ""}}},
    )
    before = support.snapshot(pair.src, pair.namespace)
    with pytest.raises(MoveAborted, match="block-move"):
        mover(pair, block_move_timeout=1.0).run()
    source_untouched(pair, before)


def crash(pair: Pair, at: str) -> None:
    env = {**os.environ, "EKSA_MOVE_CRASH_AT": at}
    runner = Path(__file__).with_name("crash_runner.py")
    done = subprocess.run(
        [
            sys.executable,
            str(runner),
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
    assert done.returncode == -9, done.stderr[-2000:]


def test_an_interrupted_move_is_undone_by_abort_before_deletion_started(pair: Pair) -> None:
    support.GraphBuilder(pair.src, pair.namespace).cluster(CLUSTER, machines=2)
    before = support.snapshot(pair.src, pair.namespace)
    crash(pair, "create:5")
    args = [
        "move",
        "--from-kubeconfig",
        pair.src_kubeconfig,
        "--to-kubeconfig",
        pair.dst_kubeconfig,
        "--cluster",
        CLUSTER,
        "--abort",
    ]
    assert main(args) == 0
    source_untouched(pair, before)
    assert main(args) == 0  # nothing left to undo


def test_abort_refuses_once_deletion_started(pair: Pair) -> None:
    support.GraphBuilder(pair.src, pair.namespace).cluster(CLUSTER, machines=1)
    crash(pair, "delete:2")
    with pytest.raises(PreconditionFailed, match="point of no return"):
        mover(pair).abort("test")
    assert mover(pair).run().resumed_from == "deleting"  # finishing is the way out
