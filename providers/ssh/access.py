"""``SSHAccess``: the host operations the infrastructure controller needs
(``controller.HostAccess``) over the SSH host library - one connection per job
(``session.connect``), the bootstrap data run as cloud-config (``cloudinit.run_bootstrap``)
and the host reset (``reset.reset_host``)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from eksa_temporal.providers.ssh.cloudinit import run_bootstrap
from eksa_temporal.providers.ssh.hosts import SSHHost
from eksa_temporal.providers.ssh.reset import reset_host
from eksa_temporal.providers.ssh.session import connect


class SSHAccess:
    """The real hosts over paramiko (see the module docstring)."""

    def __init__(self, timeout: float = 10.0) -> None:
        self.timeout = timeout

    def connect(self, host: SSHHost) -> AbstractContextManager[Any]:
        return connect(host, timeout=self.timeout)

    def bootstrap(self, session: Any, data: str, on_step: Callable[[str], None]) -> Any:
        return run_bootstrap(session, data, on_step=on_step)

    def reset(self, session: Any) -> list[str]:
        return list(reset_host(session))
