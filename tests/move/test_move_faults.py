"""API faults injected by the sim (HTTP 500 / 429 / connection reset on a share of the
requests) are absorbed by the engine's per-request retries: the move completes in one
run and the retries are counted."""

from __future__ import annotations

from eksa_temporal.kube.move import MoveOptions, Mover, RequestStats, api_for
from tests.move import support
from tests.move.support import Pair

CLUSTER = "demo"


def test_api_faults_are_absorbed_by_per_request_retries(pair: Pair) -> None:
    support.GraphBuilder(pair.src, pair.namespace).cluster(CLUSTER, machines=1, workers=1)
    before = support.snapshot(pair.src, pair.namespace)
    stats = RequestStats()
    src, dst = api_for(pair.src_kubeconfig, stats), api_for(pair.dst_kubeconfig, stats)
    pair.sim.client.set_knobs(api_error_rate=0.08, seed=11)
    try:
        result = Mover(src, dst, MoveOptions(cluster=CLUSTER, namespace=pair.namespace)).run()
    finally:
        pair.sim.client.set_knobs(api_error_rate=0.0)
    assert stats.retries > 0  # faults did happen
    assert result.objects == len(before)
    after = support.snapshot(pair.dst, pair.namespace)
    assert after == before
    assert support.snapshot(pair.src, pair.namespace) == {}
    assert support.owner_uids_resolve(pair.dst, pair.namespace) == []
