"""Host facts and preflight checks over SSH, all hosts in parallel with one connection each;
one finding per problem naming the host."""

from __future__ import annotations

import socket

from eksa_temporal.providers.ssh import (
    HostRequirements,
    SSHHost,
    check_hosts,
    connect,
    connection_count,
    host_facts,
)
from eksa_temporal.providers.ssh.hostcheck import evaluate
from tests.support.sshd import SshdHosts

SMALL = HostRequirements(cpus=1, memory_mib=256, disk_gib=0.1)


def test_facts_identify_each_host(ssh_hosts: SshdHosts) -> None:
    a, b = ssh_hosts(2)
    facts = []
    for h in (a, b):
        with connect(h.host) as session:
            facts.append(host_facts(session))
    assert [f["hostname"] for f in facts] == [a.name, b.name]
    assert [f["address"] for f in facts] == [a.address, b.address]
    assert facts[0]["machine_id"] != facts[1]["machine_id"] and len(facts[0]["machine_id"]) == 32
    assert facts[0]["os_id"] and facts[0]["cpus"] >= 1 and facts[0]["memory_mib"] > 0
    assert facts[0]["interface"] == "lo"
    assert abs(facts[0]["clock_skew_seconds"]) < 2


def test_hosts_meeting_the_requirements_give_no_findings(ssh_hosts: SshdHosts) -> None:
    hosts = [h.host for h in ssh_hosts(3)]
    before = {h.name: connection_count(h.name) for h in hosts}
    assert check_hosts(hosts, SMALL.model_copy(update={"control_plane": True})) == []
    assert all(connection_count(h.name) - before[h.name] == 1 for h in hosts)


def test_each_problem_is_one_finding_naming_the_host(ssh_hosts: SshdHosts) -> None:
    cp, worker, down = ssh_hosts(3)
    down.stop()
    rotated = ssh_hosts(1)[0]
    rotated.rotate_host_key()
    with socket.socket() as busy:
        busy.bind((cp.address, 6443))
        busy.listen()
        findings = check_hosts(
            [cp.host, worker.host, down.host, rotated.host],
            {
                cp.name: SMALL.model_copy(update={"control_plane": True}),
                worker.name: HostRequirements(cpus=512, memory_mib=10**8, disk_gib=10**6, os_ids=("plan9",)),
            },
            timeout=3,
        )
    by_host: dict[str, list[str]] = {}
    for f in findings:
        by_host.setdefault(f.path, []).append(f.check)
    assert by_host == {
        f"SSHHost/{cp.name}": ["ssh-ports"],
        f"SSHHost/{worker.name}": ["ssh-os", "ssh-cpu", "ssh-memory", "ssh-disk"],
        f"SSHHost/{down.name}": ["ssh-access"],
        f"SSHHost/{rotated.name}": ["ssh-access"],
    }
    text = {f.path: f.line() for f in findings if f.check in ("ssh-ports", "ssh-access")}
    assert f"port 6443 is in use ({cp.address}:6443)" in text[f"SSHHost/{cp.name}"]
    assert "unreachable" in text[f"SSHHost/{down.name}"]
    assert "changed" in text[f"SSHHost/{rotated.name}"] and "fix:" in text[f"SSHHost/{rotated.name}"]
    assert all(f.message.startswith(f"host {f.path.split('/')[1]} (") for f in findings if f.check != "ssh-access")


def test_swap_and_clock_skew_are_findings() -> None:
    host = SSHHost(name="h", address="192.0.2.10", private_key_file="/k", known_hosts_file="/kh")
    facts = {
        "os_id": "ubuntu", "cpus": 4, "memory_mib": 8192, "disk_free_gib": 100.0, "address": "192.0.2.10",
        "listening": ["0.0.0.0:10250", "192.0.2.11:6443"], "swap_on": True,
        "clock_skew_seconds": -7.5, "clock_uncertainty_seconds": 0.1,
    }
    findings = evaluate(host, facts, HostRequirements())
    assert [f.check for f in findings] == ["ssh-swap", "ssh-ports", "ssh-clock"]
    assert "0.0.0.0:10250" in findings[1].message and "-7.5 s" in findings[2].message
