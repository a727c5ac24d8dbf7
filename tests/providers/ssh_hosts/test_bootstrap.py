"""Bootstrap data run on a host over SSH: files, then each runcmd step exactly once, resumed
at the first step not done after a failure or a lost connection (checked in the
stand-ins' call logs)."""

from __future__ import annotations

import secrets
import threading
from pathlib import Path

import pytest

from eksa_temporal.providers.ssh import (
    BootstrapStepFailed,
    HostUnreachable,
    InvalidBootstrapData,
    connect,
    connection_count,
    parse_cloud_config,
    run_bootstrap,
)
from tests.providers.ssh_hosts.bootstrap_data import CA_KEY, MOTD, control_plane_data
from tests.support.sshd import SshdHosts, TestHost


def _commands(h: TestHost) -> list[str]:
    return [" ".join([c["tool"], *c["argv"]]) for c in h.calls() if c["rc"] == 0]


EXPECTED = [
    "systemctl enable --now containerd",
    "kubeadm init --config /run/kubeadm/kubeadm.yaml",
    "systemctl restart kubelet",
]


def test_parses_cloud_config_as_the_kubeadm_bootstrap_provider_writes_it() -> None:
    cfg = parse_cloud_config(control_plane_data(), hostname="cp-1")
    assert [f.path for f in cfg.write_files] == [
        "/etc/kubernetes/pki/ca.key", "/etc/eksa/motd", "/run/kubeadm/kubeadm.yaml",
    ]
    assert cfg.write_files[0].content.decode() == CA_KEY
    assert (cfg.write_files[0].permissions, cfg.write_files[0].owner) == ("0600", "root:root")
    assert cfg.write_files[1].content.decode() == MOTD
    assert b"name: 'cp-1'" in cfg.write_files[2].content
    assert cfg.runcmd[2] == "systemctl restart kubelet"
    assert cfg.ignored == ["users"]
    with pytest.raises(InvalidBootstrapData):
        parse_cloud_config("#cloud-config\n- just a list\n")


def test_bootstrap_runs_every_step_once_and_a_rerun_changes_nothing(
    ssh_hosts: SshdHosts, capsys: pytest.CaptureFixture[str]
) -> None:
    (h,) = ssh_hosts(1)
    steps: list[str] = []
    with connect(h.host) as session:
        first = run_bootstrap(session, control_plane_data(), on_step=steps.append)
        again = run_bootstrap(session, control_plane_data(), on_step=steps.append)
    assert first.ran == [0, 1, 2, 3]
    assert sorted(first.files_written) == sorted(
        ["/etc/kubernetes/pki/ca.key", "/etc/eksa/motd", "/run/kubeadm/kubeadm.yaml"]
    )
    assert again.ran == [] and again.files_written == []
    assert [s.outcome for s in again.steps] == ["done"] * 4
    assert _commands(h) == EXPECTED
    assert h.file("/etc/kubernetes/pki/ca.key").read_text() == CA_KEY
    assert oct(h.file("/etc/kubernetes/pki/ca.key").stat().st_mode & 0o777) == "0o600"
    assert h.file("/etc/eksa/motd").read_text() == MOTD
    assert b"name: 'host-1'" in h.file("/run/kubeadm/kubeadm.yaml").read_bytes()
    assert h.file("/etc/kubernetes/kubelet.conf").exists()
    assert h.file("/run/cluster-api/bootstrap-success.complete").read_text() == "success\n"
    assert any("runcmd 2/4 kubeadm init" in s for s in steps)
    assert all(CA_KEY.splitlines()[1] not in s for s in steps)
    logged = capsys.readouterr()
    client_key_body = ssh_hosts.client_key.read_text().splitlines()[1]
    for secret in (CA_KEY.splitlines()[1], client_key_body):
        assert secret not in logged.out and secret not in logged.err
    assert "ssh command" in logged.out + logged.err
    # the machine running the tests is untouched
    assert not Path("/etc/kubernetes/kubelet.conf").exists()
    assert not Path("/var/lib/eksa-temporal").exists()


def test_bootstrap_resumes_at_the_step_that_failed(ssh_hosts: SshdHosts) -> None:
    (h,) = ssh_hosts(1)
    h.fail_next("kubeadm", "init")
    with connect(h.host) as session:
        with pytest.raises(BootstrapStepFailed) as err:
            run_bootstrap(session, control_plane_data())
        assert "step 2/4" in str(err.value) and h.name in str(err.value)
        report = run_bootstrap(session, control_plane_data())
    assert [s.outcome for s in report.steps] == ["done", "ran", "ran", "ran"]
    assert report.files_written == []
    assert _commands(h) == EXPECTED
    assert [c["rc"] for c in h.calls("kubeadm")] == [1, 0]


def test_bootstrap_resumes_after_the_connection_is_lost_mid_step(ssh_hosts: SshdHosts) -> None:
    """The worker dies while kubeadm runs: the host finishes the step (its output goes to a
    log on the host), and the next bootstrap finds it done instead of running it again."""
    (h,) = ssh_hosts(1)
    delay = h.file("/var/lib/eksa-standin/kubeadm-delay")
    delay.parent.mkdir(parents=True, exist_ok=True)
    delay.write_text("1.5")
    session = connect(h.host)

    def crash(line: str) -> None:
        if "kubeadm init" in line:
            threading.Timer(0.5, session.close).start()

    with pytest.raises(HostUnreachable):
        run_bootstrap(session, control_plane_data(), on_step=crash)
    before = connection_count(h.name)
    with connect(h.host) as again:
        report = run_bootstrap(again, control_plane_data())
    assert connection_count(h.name) == before + 1
    assert [s.outcome for s in report.steps] == ["done", "done", "ran", "ran"]
    assert _commands(h) == EXPECTED


def test_kubeadm_is_not_run_again_on_a_host_that_already_joined(ssh_hosts: SshdHosts) -> None:
    (h,) = ssh_hosts(1)
    with connect(h.host) as session:
        run_bootstrap(session, control_plane_data())
        # other bootstrap data (a new markers directory) for a host that already has kubelet.conf
        report = run_bootstrap(session, control_plane_data("echo rerun", verb="join"))
    assert [s.outcome for s in report.steps] == ["ran", "ran", "kubeadm-done", "ran", "ran"]
    assert [c["argv"][0] for c in h.calls("kubeadm")] == ["init"]


def test_a_failing_step_reports_its_output_redacted(ssh_hosts: SshdHosts) -> None:
    (h,) = ssh_hosts(1)
    token = f"{secrets.token_hex(3)}.{secrets.token_hex(8)}"  # kubeadm token shape, fresh per run
    data = control_plane_data(f"'echo kubeadm join --token {token} >&2; exit 4'")
    with connect(h.host) as session, pytest.raises(BootstrapStepFailed) as err:
        run_bootstrap(session, data)
    assert "exited 4" in str(err.value) and "step 2/5" in str(err.value)
    assert token not in str(err.value) and "***" in str(err.value)
    assert err.value.rc == 4


def test_a_long_step_ticks_while_it_runs(ssh_hosts: SshdHosts) -> None:
    (h,) = ssh_hosts(1)
    delay = h.file("/var/lib/eksa-standin/kubeadm-delay")
    delay.parent.mkdir(parents=True, exist_ok=True)
    delay.write_text("2.2")
    ticks: list[int] = []
    with connect(h.host) as session:
        run_bootstrap(session, control_plane_data(), on_tick=lambda: ticks.append(1))
    assert len(ticks) >= 2
