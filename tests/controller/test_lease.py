"""Leader election on a real Lease (the sim API server): one holder at a time, a holder that
stops renewing loses the Lease after its duration, a released Lease is taken at once, and
the same identity after a restart keeps it."""

from __future__ import annotations

import secrets
from pathlib import Path

from eksa_temporal.controller.lease import LeaderElector
from eksa_temporal.controller.names import LEASE_API
from eksa_temporal.kube import Kube
from tests.controller.conftest import Mgmt


class Clock:
    def __init__(self) -> None:
        self.t = 1_000.0

    def __call__(self) -> float:
        return self.t


def elector(mgmt: Mgmt, identity: str, ns: str, clock: Clock, lease_seconds: int = 15) -> LeaderElector:
    return LeaderElector(mgmt.kube, identity, lease_seconds, namespace=ns, wall=lambda: 1.8e9 + clock.t, mono=clock)


def lease_ns(mgmt: Mgmt) -> str:
    ns = f"lease-{secrets.token_hex(4)}"
    return ns


def test_one_holder_at_a_time_and_a_silent_holder_loses_after_the_lease_duration(mgmt: Mgmt) -> None:
    ns, clock = lease_ns(mgmt), Clock()
    a, b = elector(mgmt, "a", ns, clock), elector(mgmt, "b", ns, clock)
    a.ensure_namespace()
    assert a.step() is True
    assert b.step() is False
    clock.t += 10
    assert a.step() is True  # renewed
    clock.t += 10
    assert b.step() is False  # a renewed 10 s ago
    # a stops renewing (killed): b takes over once a's last renewal is 15 s old
    clock.t += 4
    assert b.step() is False
    clock.t += 2
    assert b.step() is True
    lease = mgmt.kube.get(LEASE_API, "Lease", "eksa-temporal-controller", ns)
    assert lease is not None
    assert lease["spec"]["holderIdentity"] == "b"
    assert lease["spec"]["leaseDurationSeconds"] == 15
    assert lease["spec"]["leaseTransitions"] == 1
    assert a.step() is False  # the old holder sees it lost


def test_a_released_lease_is_taken_at_once(mgmt: Mgmt) -> None:
    ns, clock = lease_ns(mgmt), Clock()
    a, b = elector(mgmt, "a", ns, clock), elector(mgmt, "b", ns, clock)
    a.ensure_namespace()
    assert a.step() is True
    assert b.step() is False
    a.release()
    assert b.step() is True


def test_the_same_identity_after_a_restart_holds_at_once(mgmt: Mgmt) -> None:
    ns, clock = lease_ns(mgmt), Clock()
    first = elector(mgmt, "pod-1", ns, clock)
    first.ensure_namespace()
    assert first.step() is True
    again = elector(mgmt, "pod-1", ns, clock)
    assert again.step() is True


def test_two_candidates_racing_on_one_record_never_both_win(mgmt: Mgmt) -> None:
    ns, clock = lease_ns(mgmt), Clock()
    a, b, c = (elector(mgmt, i, ns, clock) for i in ("a", "b", "c"))
    a.ensure_namespace()
    assert a.step() is True
    assert b.step() is False and c.step() is False  # both observed a's record
    clock.t += 20  # a is gone; b and c both see it expired
    results = [b.step(), c.step()]
    assert sorted(results) == [False, True]


def test_a_candidate_with_a_clock_far_behind_still_takes_over_by_its_own_observation(mgmt: Mgmt) -> None:
    ns, clock = lease_ns(mgmt), Clock()
    a = elector(mgmt, "a", ns, clock)
    a.ensure_namespace()
    assert a.step() is True
    # b's wall clock is an hour behind: a's renewTime looks fresh to it forever
    b = LeaderElector(mgmt.kube, "b", 15, namespace=ns, wall=lambda: 1.8e9 + clock.t - 3600, mono=clock)
    assert b.step() is False
    clock.t += 14
    assert b.step() is False
    clock.t += 1  # the record has not changed for 15 s of b's own time
    assert b.step() is True


def test_a_holder_whose_renewals_stop_landing_stops_acting_by_its_own_clock(mgmt: Mgmt, tmp_path: Path) -> None:
    ns, clock = lease_ns(mgmt), Clock()
    a = elector(mgmt, "a", ns, clock, lease_seconds=4)
    a.ensure_namespace()
    assert a.step() is True and a.holds()
    clock.t += 3
    assert a.holds()  # renewed 3 s ago
    clock.t += 1
    assert not a.holds()  # a renewal hanging on the API server does not extend it
    # rounds against an API server that is away fail without raising and keep it lost
    away = tmp_path / "away.kubeconfig"
    text = mgmt.kubeconfig.read_text().replace(mgmt.sim.url.split("/clusters/")[0], "https://127.0.0.1:1")
    assert "https://127.0.0.1:1/" in text
    away.write_text(text)
    a.kube = Kube.from_kubeconfig(away)
    assert a.step() is False
    assert not a.holds()
