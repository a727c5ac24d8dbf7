"""The kubeadm and systemctl stand-ins inside the SSH test hosts answer and record like the
real tools (tests/standins/host/README.md)."""

from __future__ import annotations

from eksa_temporal.providers.ssh import connect
from tests.support.sshd import SshdHosts


def test_systemctl_keeps_unit_state_and_kubeadm_creates_and_removes_its_files(ssh_hosts: SshdHosts) -> None:
    (h,) = ssh_hosts(1)
    with connect(h.host) as s:
        assert s.run("systemctl is-active kubelet").rc == 3
        assert s.run("systemctl enable --now kubelet").ok
        assert s.run("systemctl is-active kubelet").text.strip() == "active"
        assert s.run("systemctl stop kubelet.service && systemctl is-active -q kubelet").rc == 3
        assert s.run("kubeadm join --config /missing.yaml").rc == 1
        assert s.run("kubeadm join 10.0.0.1:6443 --token t --discovery-token-unsafe-skip-ca-verification").ok
        assert s.read_file("/etc/kubernetes/kubelet.conf") is not None
        assert s.read_file("/etc/kubernetes/admin.conf") is None  # a worker has no admin.conf
        again = s.run("kubeadm join 10.0.0.1:6443")
        assert again.rc == 1 and b"kubelet.conf already exists" in again.stderr
        assert s.run("kubeadm reset -f").ok
        assert s.read_file("/etc/kubernetes/kubelet.conf") is None
    assert [(c["tool"], c["argv"][0], c["rc"]) for c in h.calls()] == [
        ("systemctl", "is-active", 3),
        ("systemctl", "enable", 0),
        ("systemctl", "is-active", 0),
        ("systemctl", "stop", 0),
        ("systemctl", "is-active", 3),
        ("kubeadm", "join", 1),
        ("kubeadm", "join", 0),
        ("kubeadm", "join", 1),
        ("kubeadm", "reset", 0),
    ]
