"""Backup to and restore from a directory through ``eksa-temporal move``
(``--to-directory`` / ``--from-directory``), as clusterctl does: one private YAML file per
object, the source left unpaused, the restore rebuilding owners on new uids and
unpausing; an interrupted backup (its journal file says it paused the cluster) resumes."""

from __future__ import annotations

import json
import stat
import uuid
from pathlib import Path

import pytest

from eksa_temporal.cli.main import main
from eksa_temporal.kube.move.directory import JOURNAL_FILE
from eksa_temporal.kube.move.journal import FileJournal
from eksa_temporal.kube.move.model import MoveJournal, Node, Phase
from tests.move import support
from tests.move.support import Pair

CLUSTER = "demo"


def backup_with_cli(pair: Pair, backup: Path) -> int:
    """``eksa-temporal move --to-directory`` of the test cluster; the exit code."""
    return main(
        [
            "move",
            "--from-kubeconfig",
            pair.src_kubeconfig,
            "--cluster",
            CLUSTER,
            "-n",
            pair.namespace,
            "--to-directory",
            str(backup),
            "-q",
        ]
    )


def test_backup_then_restore_into_another_cluster_recreates_the_objects(
    pair: Pair, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    support.GraphBuilder(pair.src, pair.namespace).cluster(CLUSTER, machines=2, workers=1)
    before = support.snapshot(pair.src, pair.namespace)
    backup = tmp_path / "backup"

    assert backup_with_cli(pair, backup) == 0
    files = sorted(p.name for p in backup.iterdir())
    assert len(files) == len(before) and f"Cluster_{pair.namespace}_{CLUSTER}.yaml" in files
    assert all(stat.S_IMODE((backup / f).stat().st_mode) == 0o600 for f in files)
    assert support.snapshot(pair.src, pair.namespace) == before  # source unchanged, unpaused again
    assert not pair.src.get(support.TYPES["Cluster"], pair.namespace, CLUSTER)["spec"].get("paused")  # type: ignore[index]

    capsys.readouterr()
    assert (
        main(
            [
                "move",
                "--to-kubeconfig",
                pair.dst_kubeconfig,
                "--from-directory",
                str(backup),
                "-o",
                "json",
            ]
        )
        == 0
    )
    restored = json.loads(capsys.readouterr().out)
    assert restored["created"] == len(before)
    assert support.snapshot(pair.dst, pair.namespace) == before
    assert support.owner_uids_resolve(pair.dst, pair.namespace) == []
    assert "paused" not in pair.dst.get(support.TYPES["Cluster"], pair.namespace, CLUSTER)["spec"]  # type: ignore[index]

    assert (
        main(
            [
                "move",
                "--to-kubeconfig",
                pair.dst_kubeconfig,
                "--from-directory",
                str(backup),
                "-o",
                "json",
            ]
        )
        == 0
    )
    again = json.loads(capsys.readouterr().out)
    assert (again["created"], again["reused"]) == (0, len(before))  # a re-run creates nothing


def test_an_interrupted_backup_resumes_and_unpauses_the_cluster_it_paused(
    pair: Pair, tmp_path: Path
) -> None:
    objs = support.GraphBuilder(pair.src, pair.namespace).cluster(CLUSTER, machines=1)
    cluster = objs[0]
    backup = tmp_path / "backup"
    # the state a backup leaves when killed right after pausing
    pair.src.merge_patch(
        support.TYPES["Cluster"], pair.namespace, CLUSTER, {"spec": {"paused": True}}
    )
    node = Node(
        uid=cluster["metadata"]["uid"],
        api_version=cluster["apiVersion"],
        kind="Cluster",
        namespace=pair.namespace,
        name=CLUSTER,
    )
    FileJournal(backup / JOURNAL_FILE).save(
        MoveJournal(
            move_id=uuid.uuid4().hex,
            cluster=CLUSTER,
            namespace=pair.namespace,
            source="x",
            phase=Phase.PAUSING,
            nodes=[node],
            groups=[],
            paused=[node.uid],
        )
    )

    assert backup_with_cli(pair, backup) == 0
    assert not (backup / JOURNAL_FILE).exists()
    assert not pair.src.get(support.TYPES["Cluster"], pair.namespace, CLUSTER)["spec"].get("paused")  # type: ignore[index]
    assert len(list(backup.glob("*.yaml"))) == len(objs)


def test_a_backup_refuses_a_cluster_someone_else_paused(
    pair: Pair, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    support.GraphBuilder(pair.src, pair.namespace).cluster(CLUSTER, machines=1)
    pair.src.merge_patch(
        support.TYPES["Cluster"], pair.namespace, CLUSTER, {"spec": {"paused": True}}
    )
    code = main(
        [
            "move",
            "--from-kubeconfig",
            pair.src_kubeconfig,
            "--cluster",
            CLUSTER,
            "-n",
            pair.namespace,
            "--to-directory",
            str(tmp_path / "b"),
            "-q",
        ]
    )
    assert code == 1
    assert "already paused by someone else" in capsys.readouterr().err
    assert pair.src.get(support.TYPES["Cluster"], pair.namespace, CLUSTER)["spec"]["paused"] is True  # type: ignore[index]
