"""The SQLite machine inventory: intent is idempotent per owner, failures are seeded,
state survives reopening, deletion is recorded with a time."""

from __future__ import annotations

from pathlib import Path

from eksa_temporal.simulator.controllers.inventory import Inventory


def _begin(inv: Inventory, owner: str, *, seed: int = 0, rate: float = 0.0) -> str:
    return inv.begin(owner_key=owner, cluster="c1", machine=owner, seed=seed,
                     boot_seconds=1.0, jitter_seconds=0.5, failure_rate=rate).id


def test_recording_intent_twice_for_one_owner_returns_the_same_machine(tmp_path: Path) -> None:
    inv = Inventory(tmp_path)
    first = _begin(inv, "mgmt/ns/m1/uid1")
    assert _begin(inv, "mgmt/ns/m1/uid1") == first
    assert _begin(inv, "mgmt/ns/m2/uid2") != first
    assert len(inv.list()) == 2


def test_records_survive_reopening_and_carry_a_sim_provider_id(tmp_path: Path) -> None:
    inv = Inventory(tmp_path)
    mid = _begin(inv, "o1")
    inv.mark_running(mid)
    inv.close()
    again = Inventory(tmp_path)
    [row] = again.list("c1")
    assert row["id"] == mid and row["state"] == "running" and row["exists"] is True
    assert row["provider_id"] == f"sim://c1/{mid}"
    assert again.by_provider_id(row["provider_id"]) is not None
    assert (tmp_path / "machines.db").exists()


def test_failures_and_boot_jitter_are_deterministic_under_a_seed(tmp_path: Path) -> None:
    def draw(path: Path, seed: int) -> list[tuple[bool, float]]:
        inv = Inventory(path)
        out = []
        for i in range(20):
            rec = inv.begin(owner_key=f"o{i}", cluster="c", machine=f"m{i}", seed=seed,
                            boot_seconds=1.0, jitter_seconds=1.0, failure_rate=0.5)
            out.append((rec.fail, round(rec.boot_at - rec.created_at, 6)))
        return out

    a, b, c = draw(tmp_path / "a", 1), draw(tmp_path / "b", 1), draw(tmp_path / "c", 2)
    assert a == b
    assert a != c
    assert 0 < sum(f for f, _ in a) < 20
    assert all(1.0 <= boot <= 2.0 for _, boot in a)


def test_a_deleted_machine_keeps_its_record_with_a_deletion_time(tmp_path: Path) -> None:
    inv = Inventory(tmp_path)
    mid = _begin(inv, "o1")
    inv.mark_running(mid)
    assert inv.mark_deleted(mid) is True
    assert inv.mark_deleted(mid) is False
    [row] = inv.list()
    assert row["state"] == "deleted" and row["exists"] is False and row["deleted_at"] >= row["created_at"]
