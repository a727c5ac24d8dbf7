"""``capi-move-abort`` leaves an interrupted move consistent, whatever the point it stopped
at (the move process killed with -9 at a phase point): before deleting from the source it
is undone - the source as it was and unpaused, nothing of the move in the target; past that
point it is finished - the objects in the target, unpaused; with no move it changes
nothing. An interrupted backup (``--to-directory``) is released: its pause undone. The
backup folder is owner-only and ``capi-backup-remove`` removes it, refusing a folder that
holds more than a backup."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from eksa_temporal.activities.move import (
    BackupInput,
    MoveActivities,
    MoveProgress,
    MoveStepInput,
    RemoveBackupInput,
)
from eksa_temporal.kube import move as engine
from eksa_temporal.kube.move import api as mapi
from eksa_temporal.kube.move.directory import JOURNAL_FILE
from tests.move import support
from tests.move.support import Pair
from tests.move.test_move_compensation import CLUSTER, crash, source_untouched


def abort_input(pair: Pair, tmp_path: Path, **extra: object) -> MoveStepInput:
    return MoveStepInput(
        cluster_name=CLUSTER,
        workdir=str(tmp_path),
        from_kubeconfig=pair.src_kubeconfig,
        to_kubeconfig=pair.dst_kubeconfig,
        **extra,  # type: ignore[arg-type]
    )


def paused(api: mapi.MoveApi, namespace: str) -> bool:
    cluster = api.get(support.TYPES["Cluster"], namespace, CLUSTER)
    return bool(cluster and (cluster.get("spec") or {}).get("paused"))


def journals(api: mapi.MoveApi) -> list[support.Obj]:
    return api.list(mapi.CONFIG_MAP, "eksa-system", label_selector="move.eksa-temporal.io/journal")


@pytest.mark.parametrize("at", ["pause:1", "create:3"])
def test_a_move_killed_before_deleting_is_undone(pair: Pair, tmp_path: Path, at: str) -> None:
    support.GraphBuilder(pair.src, pair.namespace).cluster(CLUSTER, machines=2, workers=1)
    before = support.snapshot(pair.src, pair.namespace)
    crash(pair, at)
    assert paused(pair.src, pair.namespace)  # what a cancelled move leaves without compensation
    result = MoveActivities().capi_move_abort(abort_input(pair, tmp_path))
    assert (result.settled, result.changed) == ("undone", True)
    source_untouched(pair, before)  # unpaused, unchanged; nothing in the target, no journal
    again = MoveActivities().capi_move_abort(abort_input(pair, tmp_path))
    assert (again.settled, again.changed) == ("none", False)


def test_a_move_killed_while_deleting_is_finished(pair: Pair, tmp_path: Path) -> None:
    support.GraphBuilder(pair.src, pair.namespace).cluster(CLUSTER, machines=2)
    crash(pair, "delete:2")
    result = MoveActivities().capi_move_abort(abort_input(pair, tmp_path))
    assert result.settled == "finished"
    assert pair.src.get(support.TYPES["Cluster"], pair.namespace, CLUSTER) is None
    assert pair.dst.get(support.TYPES["Cluster"], pair.namespace, CLUSTER) is not None
    assert not paused(pair.dst, pair.namespace)
    assert journals(pair.dst) == []


def test_without_a_move_abort_changes_nothing(pair: Pair, tmp_path: Path) -> None:
    support.GraphBuilder(pair.src, pair.namespace).cluster(CLUSTER, machines=1)
    before = support.snapshot(pair.src, pair.namespace)
    result = MoveActivities().capi_move_abort(abort_input(pair, tmp_path))
    assert (result.settled, result.changed) == ("none", False)
    source_untouched(pair, before)


def test_an_interrupted_backup_is_released_and_the_backup_is_private_and_removable(pair: Pair, tmp_path: Path) -> None:
    support.GraphBuilder(pair.src, pair.namespace).cluster(CLUSTER, machines=1)
    backup_dir = tmp_path / "generated" / "capi-backup-test"
    saved_journal = tmp_path / "journal-while-paused"

    def keep_journal(phase: str, done: int, total: int) -> None:
        if phase == "listing":  # paused, journal written: what a killed backup leaves
            shutil.copy(backup_dir / JOURNAL_FILE, saved_journal)

    engine.backup(pair.src_kubeconfig, str(backup_dir), CLUSTER, pair.namespace, progress=keep_journal)
    assert not paused(pair.src, pair.namespace)
    # the backup folder holds copies of Secrets: owner-only
    assert stat.S_IMODE(backup_dir.stat().st_mode) == 0o700
    files = [p for p in backup_dir.iterdir() if p.is_file()]
    assert files and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files)
    assert any(p.name.startswith("Secret_") for p in files)

    # the state a backup killed after its pause leaves: cluster paused, journal in the folder
    pair.src.merge_patch(support.TYPES["Cluster"], pair.namespace, CLUSTER, {"spec": {"paused": True}})
    shutil.copy(saved_journal, backup_dir / JOURNAL_FILE)
    released = MoveActivities().capi_move_abort(abort_input(pair, tmp_path, backup_dir=str(backup_dir)))
    assert released.changed and not paused(pair.src, pair.namespace)
    assert not (backup_dir / JOURNAL_FILE).exists()
    assert not MoveActivities().capi_move_abort(abort_input(pair, tmp_path, backup_dir=str(backup_dir))).changed

    removed = MoveActivities().capi_backup_remove(RemoveBackupInput(cluster_name=CLUSTER, workdir=str(tmp_path), backup_dir=str(backup_dir)))
    assert removed.changed and not backup_dir.exists()
    assert not MoveActivities().capi_backup_remove(RemoveBackupInput(cluster_name=CLUSTER, workdir=str(tmp_path), backup_dir=str(backup_dir))).changed


def test_backup_removal_refuses_a_folder_holding_more_than_a_backup(tmp_path: Path) -> None:
    folder = tmp_path / "not-a-backup"
    (folder / "projects").mkdir(parents=True)
    with pytest.raises(ApplicationError, match="holds more than a backup"):
        MoveActivities().capi_backup_remove(RemoveBackupInput(cluster_name=CLUSTER, workdir=str(tmp_path), backup_dir=str(folder)))
    assert (folder / "projects").exists()


def test_the_backup_activity_heartbeats_and_writes_into_the_folder_it_is_given(pair: Pair, tmp_path: Path) -> None:
    support.GraphBuilder(pair.src, pair.namespace).cluster(CLUSTER, machines=1)
    folder = tmp_path / "generated" / "capi-backup-abc"
    beats: list[MoveProgress] = []
    env = ActivityEnvironment()
    env.on_heartbeat = lambda *d: beats.append(MoveProgress.model_validate(d[0]))
    out = env.run(
        MoveActivities(heartbeat_interval=0).capi_backup,
        BackupInput(cluster_name=CLUSTER, workdir=str(tmp_path), from_kubeconfig=pair.src_kubeconfig, backup_dir=str(folder)),
    )
    assert out.backup_path == str(folder) and out.objects > 0
    # a long step: it heartbeats through every phase (pause, list, save)
    assert [b.phase for b in beats][:3] == ["starting", "pausing", "listing"]
    assert beats[-1].phase == "saving" and beats[-1].done == beats[-1].total == out.objects
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
