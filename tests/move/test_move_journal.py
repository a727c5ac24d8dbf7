"""The move journal in the target cluster: a large journal is split over generation-
stamped ConfigMaps and reads back whole; older parts are removed; a stale second mover
cannot overwrite newer progress (fenced by resourceVersion)."""

from __future__ import annotations

import pytest

from eksa_temporal.kube.move import JournalConflict
from eksa_temporal.kube.move import api as mapi
from eksa_temporal.kube.move import journal as jmod
from eksa_temporal.kube.move.journal import JOURNAL_LABEL, ConfigMapJournal
from eksa_temporal.kube.move.model import MoveJournal, Node, OwnerEdge, Phase
from tests.move.support import Pair


def big_journal(n: int) -> MoveJournal:
    nodes = [
        Node(
            uid=f"uid-{i:05d}-{i * 7919 % 10007}",
            api_version="cluster.x-k8s.io/v1beta1",
            kind="Machine",
            namespace="eksa-system",
            name=f"m{i}",
            owners=(OwnerEdge(uid=f"uid-{i // 2:05d}", controller=True),),
        )
        for i in range(n)
    ]
    return MoveJournal(
        move_id="m1",
        cluster="demo",
        namespace="eksa-system",
        source="https://src",
        phase=Phase.CREATING,
        nodes=nodes,
        groups=[[x.uid for x in nodes]],
    )


def parts(pair: Pair) -> list[str]:
    cms = pair.dst.list(
        mapi.CONFIG_MAP, "eksa-system", label_selector=f"{JOURNAL_LABEL}=move-journal-demo"
    )
    return sorted(cm["metadata"]["name"] for cm in cms)


def test_a_large_journal_is_split_over_configmaps_and_reads_back_whole(
    pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jmod, "PART_BYTES", 4000)
    store = ConfigMapJournal(pair.dst, "eksa-system", "move-journal-demo")
    j = big_journal(2000)
    store.save(j)
    first = parts(pair)
    assert len(first) > 2
    assert ConfigMapJournal(pair.dst, "eksa-system", "move-journal-demo").load() == j

    j.created = {n.uid: f"new-{n.uid}" for n in j.nodes[:100]}
    j.phase = Phase.DELETING
    store.save(j)
    second = parts(pair)
    assert not (set(first) - {"move-journal-demo"}) & set(second)  # the old generation is gone
    assert ConfigMapJournal(pair.dst, "eksa-system", "move-journal-demo").load() == j

    store.delete()
    assert parts(pair) == []


def test_a_stale_mover_cannot_overwrite_newer_progress(pair: Pair) -> None:
    a = ConfigMapJournal(pair.dst, "eksa-system", "move-journal-demo")
    j = big_journal(3)
    a.save(j)
    b = ConfigMapJournal(pair.dst, "eksa-system", "move-journal-demo")
    loaded = b.load()
    assert loaded is not None
    loaded.phase = Phase.DELETING
    b.save(loaded)
    j.phase = Phase.CREATING
    with pytest.raises(JournalConflict):
        a.save(j)
    got = ConfigMapJournal(pair.dst, "eksa-system", "move-journal-demo").load()
    assert got is not None and got.phase == Phase.DELETING
