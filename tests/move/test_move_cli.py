"""``eksa-temporal move`` between two clusters: one summary line with the request count,
a re-run says there is nothing left to do, each object costs no more requests than
clusterctl spends, wrong usage is one actionable line."""

from __future__ import annotations

import json

import pytest

from eksa_temporal.cli.main import main
from tests.move import support
from tests.move.support import Pair


def test_the_move_command_moves_a_cluster_and_a_rerun_has_nothing_to_do(
    pair: Pair, capsys: pytest.CaptureFixture[str]
) -> None:
    support.GraphBuilder(pair.src, pair.namespace).cluster("demo", machines=1)
    before = support.snapshot(pair.src, pair.namespace)
    args = [
        "move",
        "--from-kubeconfig",
        pair.src_kubeconfig,
        "--to-kubeconfig",
        pair.dst_kubeconfig,
        "--cluster",
        "demo",
        "-q",
    ]
    assert main(args) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith(f"move of demo: {len(before)} objects ({len(before)} created")
    assert "API requests" in line and "per object" in line
    assert support.snapshot(pair.dst, pair.namespace) == before

    assert main(args) == 0
    assert "nothing to do" in capsys.readouterr().out


def test_each_object_costs_at_most_two_requests_to_create_and_two_to_delete(
    pair: Pair, capsys: pytest.CaptureFixture[str]
) -> None:
    support.GraphBuilder(pair.src, pair.namespace).cluster("demo", machines=2, workers=1)
    args = [
        "move",
        "--from-kubeconfig",
        pair.src_kubeconfig,
        "--to-kubeconfig",
        pair.dst_kubeconfig,
        "--cluster",
        "demo",
        "-o",
        "json",
    ]
    assert main(args) == 0
    result = json.loads(capsys.readouterr().out)
    per_op = {int(k): v for k, v in result["requests_per_object_op"].items()}
    assert sum(per_op.values()) == 2 * result["objects"]  # one create and one delete each
    assert max(per_op) == 2  # POST (+ status PUT); merge PATCH + DELETE
    # plus a fixed overhead (CRD and per-kind lists, journal writes, pause / unpause);
    # clusterctl spends ~6 per object (GET, POST, then GET, PATCH, PATCH, DELETE)
    assert result["api_requests"] <= 4 * result["objects"] + 40


def test_a_move_without_a_target_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["move", "--from-kubeconfig", "a.kubeconfig", "--cluster", "demo"]) == 2
    assert "needs --from-kubeconfig and --to-kubeconfig" in capsys.readouterr().err
