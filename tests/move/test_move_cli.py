"""``eksa-temporal move`` between two clusters: one summary line with the request count,
a re-run says there is nothing left to do, wrong usage is one actionable line."""

from __future__ import annotations

import pytest

from eksa_temporal.cli.main import main
from tests.move import support
from tests.move.conftest import Pair


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


def test_a_move_without_a_target_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["move", "--from-kubeconfig", "a.kubeconfig", "--cluster", "demo"]) == 2
    assert "needs --from-kubeconfig and --to-kubeconfig" in capsys.readouterr().err
