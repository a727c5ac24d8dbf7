"""The SSH test hosts fixture for the host access tests."""

from tests.support.sshd import ssh_hosts

__all__ = ["ssh_hosts"]
