"""SSH-provisioned hosts: the description of one host (``SSHHost``) and the errors host
access raises.

An ``SSHHost`` holds references only: the private key and the known-hosts file are paths
on the worker, never their contents, so a host can travel in workflow data. Each error's
message names the host; the permanent ones (a changed or unknown host key, a key the
host refuses) carry a remediation line, the transient ones (host unreachable, a command
that failed) are plain exceptions Temporal retries.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from eksa_temporal.errors import PermanentError


class SSHHost(BaseModel):
    """One host reachable over SSH. ``first_contact`` allows accepting (and recording in
    ``known_hosts_file``) a host key not yet known, once; without it an unknown key is an
    error."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(min_length=1)
    address: str = Field(min_length=1)
    port: int = Field(default=22, ge=1, le=65535)
    user: str = "root"
    private_key_file: str = Field(description="path of the private key on the worker")
    known_hosts_file: str = Field(description="path of the known-hosts file pinning host keys")
    first_contact: bool = False
    labels: dict[str, str] = Field(default_factory=dict)

    @property
    def target(self) -> str:
        """``name (address:port)``, how messages name the host."""
        return f"{self.name} ({self.address}:{self.port})"

    @property
    def known_hosts_name(self) -> str:
        """The host's name in a known-hosts file (``[address]:port`` unless port 22)."""
        return self.address if self.port == 22 else f"[{self.address}]:{self.port}"


class HostKeyChanged(PermanentError):
    remediation = (
        "verify the host was reinstalled on purpose, then replace its line in the known-hosts file"
    )


class HostKeyUnknown(PermanentError):
    remediation = (
        "add the host's key to the known-hosts file, or set firstContact on the host in the "
        "inventory to accept it once"
    )


class AuthFailed(PermanentError):
    remediation = (
        "authorize the private key for the host's user (authorized_keys), or point "
        "privateKeyFile at the right key"
    )


class HostUnreachable(Exception):
    """The host did not answer SSH (connection refused, timeout, reset); retrying may help."""

    def __init__(self, host: SSHHost, reason: str) -> None:
        super().__init__(f"host {host.target} is unreachable over SSH: {reason}")
        self.host_name = host.name


class RemoteCommandFailed(Exception):
    """A command on a host failed or timed out; retrying may help. ``stderr_tail`` is
    redacted."""

    def __init__(
        self, host: SSHHost, command: str, rc: int | None, stderr_tail: str, what: str = "command"
    ) -> None:
        status = "timed out" if rc is None else f"exited {rc}"
        tail = f": {stderr_tail.strip()}" if stderr_tail.strip() else ""
        super().__init__(f"host {host.target}: {what} {command!r} {status}{tail}")
        self.host_name = host.name
        self.command = command
        self.rc = rc
        self.stderr_tail = stderr_tail


class BootstrapStepFailed(RemoteCommandFailed):
    """A bootstrap step failed; the next bootstrap of the same data resumes at this step."""


class InvalidBootstrapData(PermanentError):
    remediation = (
        "check the Machine's bootstrap data Secret: it must be a cloud-config with write_files "
        "and runcmd as the kubeadm bootstrap provider writes it"
    )
