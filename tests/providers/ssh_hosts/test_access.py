"""Connecting to hosts: pinned host keys, first contact, authentication and reachability,
each failure one clear error naming the host."""

from __future__ import annotations

import secrets

import pytest

from eksa_temporal.errors import PermanentError
from eksa_temporal.providers.ssh import (
    AuthFailed,
    HostKeyChanged,
    HostKeyUnknown,
    HostUnreachable,
    RemoteCommandFailed,
    connect,
    connection_count,
)
from tests.support.sshd import SshdHosts


def test_connects_with_the_pinned_host_key_over_one_connection(ssh_hosts: SshdHosts) -> None:
    (h,) = ssh_hosts(1)
    before = connection_count(h.name)
    with connect(h.host) as session:
        assert session.run("hostname").text.strip() == h.name
        assert session.run("echo $SSH_CONNECTION").text.split()[2] == h.address
        assert session.run("cat", stdin=b"through stdin").stdout == b"through stdin"
        assert session.run("exit 7").rc == 7
    assert connection_count(h.name) - before == 1


def test_a_changed_host_key_is_a_permanent_error_naming_the_host(ssh_hosts: SshdHosts) -> None:
    (h,) = ssh_hosts(1)
    h.rotate_host_key()
    with pytest.raises(HostKeyChanged) as err:
        connect(h.host)
    assert isinstance(err.value, PermanentError) and err.value.non_retryable
    assert h.name in str(err.value) and "SHA256:" in str(err.value)
    assert "fix:" in str(err.value)


def test_an_unknown_host_key_is_refused_without_first_contact(ssh_hosts: SshdHosts) -> None:
    (h,) = ssh_hosts(1, pin=False)
    with pytest.raises(HostKeyUnknown) as err:
        connect(h.host)
    assert h.name in str(err.value) and err.value.non_retryable
    assert ssh_hosts.known_hosts.read_text() == ""


def test_first_contact_records_the_host_key_once(ssh_hosts: SshdHosts) -> None:
    (h,) = ssh_hosts(1, pin=False)
    with connect(h.host.model_copy(update={"first_contact": True})) as session:
        assert session.run("true").ok
    recorded = ssh_hosts.known_hosts.read_text()
    assert recorded == h.known_hosts_line
    with connect(h.host) as session:  # pinned now, no first contact needed
        assert session.run("true").ok
    h.rotate_host_key()
    with pytest.raises(HostKeyChanged):  # first contact never accepts a different key
        connect(h.host.model_copy(update={"first_contact": True}))
    assert ssh_hosts.known_hosts.read_text() == recorded


def test_a_key_the_host_refuses_is_auth_failed(ssh_hosts: SshdHosts) -> None:
    (h,) = ssh_hosts(1)
    wrong = h.host.model_copy(update={"private_key_file": str(ssh_hosts.wrong_key())})
    with pytest.raises(AuthFailed) as err:
        connect(wrong)
    assert h.name in str(err.value) and err.value.non_retryable


def test_a_missing_private_key_file_is_auth_failed_without_contacting_the_host(
    ssh_hosts: SshdHosts,
) -> None:
    (h,) = ssh_hosts(1)
    before = connection_count(h.name)
    missing = h.host.model_copy(update={"private_key_file": str(ssh_hosts.base / "nope")})
    with pytest.raises(AuthFailed, match="cannot be used"):
        connect(missing)
    assert connection_count(h.name) == before


def test_an_unreachable_host_is_a_retryable_error(ssh_hosts: SshdHosts) -> None:
    (h,) = ssh_hosts(1)
    h.stop()
    with pytest.raises(HostUnreachable) as err:
        connect(h.host, timeout=3)
    assert not isinstance(err.value, PermanentError)
    assert h.name in str(err.value)


def test_a_connection_lost_mid_session_is_host_unreachable(ssh_hosts: SshdHosts) -> None:
    (h,) = ssh_hosts(1)
    with connect(h.host) as session:
        assert session.run("true").ok
        h.stop()
        with pytest.raises(HostUnreachable):
            session.run("true")


def test_failed_commands_report_redacted_output(ssh_hosts: SshdHosts) -> None:
    (h,) = ssh_hosts(1)
    token = f"{secrets.token_hex(3)}.{secrets.token_hex(8)}"  # kubeadm token shape, fresh per run
    with connect(h.host, secrets=["hunter2-literal"]) as session, pytest.raises(RemoteCommandFailed) as err:
        session.run(f"echo 'join {token} hunter2-literal' >&2; exit 3", check=True)
    text = str(err.value)
    assert h.name in text and "exited 3" in text
    assert token not in text and "hunter2-literal" not in text and "***" in text
