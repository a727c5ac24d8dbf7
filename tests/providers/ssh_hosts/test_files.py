"""Files on hosts: read first, written only when content, mode or owner differ; all
changes stay in the host's sandbox."""

from __future__ import annotations

from pathlib import Path

from eksa_temporal.providers.ssh import connect
from tests.support.sshd import SshdHosts


def test_write_file_changes_only_what_differs(ssh_hosts: SshdHosts) -> None:
    (h,) = ssh_hosts(1)
    with connect(h.host) as session:
        assert session.read_file("/etc/eksa/example.conf") is None
        assert session.write_file("/etc/eksa/example.conf", "a=1\n", mode="0600") is True
        mtime = h.file("/etc/eksa/example.conf").stat().st_mtime_ns
        assert session.write_file("/etc/eksa/example.conf", b"a=1\n", mode="0600") is False
        assert h.file("/etc/eksa/example.conf").stat().st_mtime_ns == mtime
        assert session.write_file("/etc/eksa/example.conf", "a=1\n", mode="0644") is True  # mode only
        assert session.write_file("/etc/eksa/example.conf", "a=2\n", mode="0644", owner="root:root") is True
        assert session.read_file("/etc/eksa/example.conf") == b"a=2\n"
        state = session.file_states(["/etc/eksa/example.conf", "/etc/eksa/missing"])
    assert state["/etc/eksa/missing"] is None
    assert state["/etc/eksa/example.conf"] is not None
    assert (state["/etc/eksa/example.conf"].mode, state["/etc/eksa/example.conf"].owner) == ("644", "root:root")
    assert h.file("/etc/eksa/example.conf").read_text() == "a=2\n"


def test_each_host_has_its_own_sandbox_and_the_machine_is_untouched(ssh_hosts: SshdHosts) -> None:
    a, b = ssh_hosts(2)
    with connect(a.host) as session:
        session.write_file("/etc/eksa-sandbox-probe", "a\n")
        assert session.run("mkdir -p /etc/kubernetes && touch /etc/kubernetes/probe").ok
    with connect(b.host) as session:
        assert session.read_file("/etc/eksa-sandbox-probe") is None
        assert session.run("hostname").text.strip() == b.name
    assert a.file("/etc/eksa-sandbox-probe").exists()
    assert not Path("/etc/eksa-sandbox-probe").exists()
    assert not Path("/etc/kubernetes/probe").exists()
