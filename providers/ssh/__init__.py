"""The SSH hosts provider: hosts that already run an OS, provisioned over SSH.

Host access (``hosts``, ``session``, ``cloudinit``, ``reset``, ``hostcheck``): pinned host
keys, one connection per host per session, bootstrap data run once and resumably, host
reset, and parallel preflight checks. The names below are the package's public API.
"""

from eksa_temporal.providers.ssh.cloudinit import (
    BootstrapReport,
    CloudConfig,
    StepOutcome,
    parse_cloud_config,
    run_bootstrap,
)
from eksa_temporal.providers.ssh.hostcheck import HostRequirements, check_hosts, host_facts
from eksa_temporal.providers.ssh.hosts import (
    AuthFailed,
    BootstrapStepFailed,
    HostKeyChanged,
    HostKeyUnknown,
    HostUnreachable,
    InvalidBootstrapData,
    RemoteCommandFailed,
    SSHHost,
)
from eksa_temporal.providers.ssh.reset import reset_host
from eksa_temporal.providers.ssh.session import (
    HostSession,
    Result,
    connect,
    connection_count,
    connection_counts,
    reset_connection_counts,
)

__all__ = [
    "AuthFailed",
    "BootstrapReport",
    "BootstrapStepFailed",
    "CloudConfig",
    "HostKeyChanged",
    "HostKeyUnknown",
    "HostRequirements",
    "HostSession",
    "HostUnreachable",
    "InvalidBootstrapData",
    "RemoteCommandFailed",
    "Result",
    "SSHHost",
    "StepOutcome",
    "check_hosts",
    "connect",
    "connection_count",
    "connection_counts",
    "host_facts",
    "parse_cloud_config",
    "reset_connection_counts",
    "reset_host",
    "run_bootstrap",
]
