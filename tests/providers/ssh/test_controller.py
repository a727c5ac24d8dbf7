"""The worker-side infrastructure controller of SSH hosts against an in-memory API and
recorded host access: claims are recorded before any host is touched and never
duplicated, bootstrap data runs once per host, readiness and addresses are reported, a
deleted machine's host is reset and freed, paused clusters and moves are left alone, and
host errors surface through ``check()``."""

from __future__ import annotations

import pytest

from eksa_temporal.providers.ssh.controller import MACHINE_FINALIZER, HostController
from eksa_temporal.providers.ssh.hosts import AuthFailed, HostUnreachable
from eksa_temporal.providers.ssh.kubeapi import Conflict

from .fakes import INFRA, NS, FakeAccess, FakeApi, cluster_objects, hosts, machine_objects


def make(api: FakeApi, access: FakeAccess, roles: tuple[str, ...] = ("cp", "cp", "worker")) -> HostController:
    return HostController(api, "c1", NS, hosts(*roles), access, endpoint={"host": "10.0.0.10", "port": 6443})


def passes(ctl: HostController, n: int = 3) -> None:
    for _ in range(n):
        ctl.reconcile()
        ctl.wait_idle()


def sshmachine(api: FakeApi, name: str) -> dict:  # type: ignore[type-arg]
    found = api.get(INFRA, "SSHMachine", name, NS)
    assert found is not None
    return found


def test_machines_claim_distinct_hosts_bootstrap_once_and_report_ready() -> None:
    api, access = FakeApi(), FakeAccess()
    cluster_objects(api)
    for name, role in (("cp-a", "cp"), ("cp-b", "cp"), ("md-a", "worker")):
        machine_objects(api, name, role)
    ctl = make(api, access)
    passes(ctl)
    claims = {n: sshmachine(api, n)["spec"]["hostName"] for n in ("cp-a", "cp-b", "md-a")}
    assert sorted(claims.values()) == ["h0", "h1", "h2"] and claims["md-a"] == "h2"
    for name, host in claims.items():
        m = sshmachine(api, name)
        assert m["spec"]["providerID"] == f"ssh://{host}"
        assert m["status"]["ready"] is True
        assert {"type": "InternalIP", "address": f"127.0.0.{int(host[1:]) + 2}"} in m["status"]["addresses"]
        assert MACHINE_FINALIZER in m["metadata"]["finalizers"]
        assert access.of(host) == ["connect", "bootstrap"]  # one connection, bootstrapped once
    sc = api.get(INFRA, "SSHCluster", "c1", NS)
    assert sc is not None and sc["status"]["ready"] and sc["spec"]["controlPlaneEndpoint"]["host"] == "10.0.0.10"
    assert ctl.progress()["h0"] == "ready"
    ctl.check()
    ctl.close()


def test_a_host_held_by_another_machine_in_the_namespace_is_never_claimed() -> None:
    api, access = FakeApi(), FakeAccess()
    cluster_objects(api)
    machine_objects(api, "other", "cp", cluster="c2")
    other = sshmachine(api, "other")
    other["spec"]["hostName"] = "h0"
    api.put(other)
    machine_objects(api, "cp-a", "cp")
    ctl = make(api, access)
    passes(ctl)
    assert sshmachine(api, "cp-a")["spec"]["hostName"] == "h1"
    assert access.of("h0") == []  # the other cluster's machine is not ours to bootstrap
    ctl.close()


def test_without_a_free_host_the_machine_waits_unclaimed() -> None:
    api, access = FakeApi(), FakeAccess()
    cluster_objects(api)
    machine_objects(api, "md-a", "worker")
    machine_objects(api, "md-b", "worker")
    ctl = make(api, access)
    passes(ctl)
    claimed = [n for n in ("md-a", "md-b") if sshmachine(api, n)["spec"].get("hostName")]
    assert len(claimed) == 1
    assert any("waiting for a free host" in step for step in ctl.progress().values())
    ctl.close()


def test_a_claim_on_a_changed_object_conflicts_and_is_not_recorded() -> None:
    api, access = FakeApi(), FakeAccess()
    cluster_objects(api)
    machine_objects(api, "cp-a", "cp")
    ctl = make(api, access)
    passes(ctl, 1)  # adds the finalizer
    stale = sshmachine(api, "cp-a")
    api.put(sshmachine(api, "cp-a"))  # someone else wrote it meanwhile
    with pytest.raises(Conflict):
        ctl._claim(stale, "h0")
    assert not sshmachine(api, "cp-a")["spec"].get("hostName")
    ctl.close()


def test_a_machine_whose_claim_was_recorded_resumes_on_the_same_host() -> None:
    api, access = FakeApi(), FakeAccess()
    cluster_objects(api)
    machine_objects(api, "cp-a", "cp")
    m = sshmachine(api, "cp-a")
    m["metadata"]["finalizers"] = [MACHINE_FINALIZER]
    m["spec"].update({"hostName": "h1", "providerID": "ssh://h1"})  # claimed before a crash
    api.put(m)
    ctl = make(api, access)
    passes(ctl)
    assert access.of("h1") == ["connect", "bootstrap"] and access.of("h0") == []
    ctl.close()


def test_machines_wait_for_bootstrap_data() -> None:
    api, access = FakeApi(), FakeAccess()
    cluster_objects(api)
    machine_objects(api, "cp-a", "cp")
    machine = api.get("cluster.x-k8s.io/v1beta1", "Machine", "cp-a", NS)
    assert machine is not None
    machine["spec"]["bootstrap"] = {}
    api.put(machine)
    ctl = make(api, access)
    passes(ctl)
    assert not sshmachine(api, "cp-a")["spec"].get("hostName") and access.calls == []
    ctl.close()


def test_deleting_a_machine_resets_its_host_then_frees_it() -> None:
    api, access = FakeApi(), FakeAccess()
    cluster_objects(api)
    machine_objects(api, "cp-a", "cp")
    ctl = make(api, access, ("cp",))
    passes(ctl)
    api.delete("SSHMachine", "cp-a")
    passes(ctl)
    assert api.get(INFRA, "SSHMachine", "cp-a", NS) is None
    assert access.of("h0") == ["connect", "bootstrap", "connect", "reset"]
    machine_objects(api, "cp-b", "cp")  # the host is free again
    passes(ctl)
    assert sshmachine(api, "cp-b")["spec"]["hostName"] == "h0"
    ctl.close()


def test_a_machine_deleted_for_a_move_keeps_its_host_as_it_is() -> None:
    api, access = FakeApi(), FakeAccess()
    cluster_objects(api)
    machine_objects(api, "cp-a", "cp")
    ctl = make(api, access, ("cp",))
    passes(ctl)
    m = sshmachine(api, "cp-a")
    m["metadata"]["annotations"] = {"clusterctl.cluster.x-k8s.io/delete-for-move": ""}
    api.put(m)
    api.delete("SSHMachine", "cp-a")
    passes(ctl)
    assert api.get(INFRA, "SSHMachine", "cp-a", NS) is None
    assert "reset" not in access.of("h0")
    ctl.close()


def test_a_paused_cluster_is_left_alone() -> None:
    api, access = FakeApi(), FakeAccess()
    cluster_objects(api, paused=True)
    machine_objects(api, "cp-a", "cp")
    ctl = make(api, access)
    passes(ctl)
    assert access.calls == [] and not sshmachine(api, "cp-a")["metadata"].get("finalizers")
    ctl.close()


def test_host_errors_surface_through_check_permanent_first() -> None:
    api = FakeApi()
    cluster_objects(api)
    machine_objects(api, "cp-a", "cp")
    machine_objects(api, "md-a", "worker")

    def fail(host: object) -> BaseException:
        name = getattr(host, "name", "")
        return AuthFailed(f"{name}: bad key") if name == "h2" else HostUnreachable(host, "refused")  # type: ignore[arg-type]

    ctl = make(api, FakeAccess(fail))
    passes(ctl)
    with pytest.raises(AuthFailed):
        ctl.check()
    assert "status" not in sshmachine(api, "cp-a")
    ctl.close()
