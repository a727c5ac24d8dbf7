"""Resetting a host: kubeadm state, bootstrap files and markers removed, so the next
bootstrap starts over; a clean host needs nothing."""

from __future__ import annotations

from eksa_temporal.providers.ssh import connect, reset_host, run_bootstrap
from tests.providers.ssh_hosts.bootstrap_data import control_plane_data
from tests.support.sshd import SshdHosts


def test_reset_undoes_bootstrap_and_the_next_bootstrap_starts_over(ssh_hosts: SshdHosts) -> None:
    (h,) = ssh_hosts(1)
    with connect(h.host) as session:
        assert reset_host(session) == []
        run_bootstrap(session, control_plane_data())
        done = reset_host(session)
        assert done[0] == "kubeadm reset -f"
        assert "removed /etc/eksa/motd" in done
        assert session.read_file("/etc/kubernetes/kubelet.conf") is None
        assert session.read_file("/etc/eksa/motd") is None
        assert session.run("test -e /var/lib/eksa-temporal/bootstrap").rc != 0
        assert reset_host(session) == []
        report = run_bootstrap(session, control_plane_data())
    assert report.ran == [0, 1, 2, 3]
    assert [c["argv"][0] for c in h.calls("kubeadm")] == ["init", "reset", "init"]
