"""vCenter credentials, resolved from ``EKSA_VSPHERE_USERNAME`` / ``EKSA_VSPHERE_PASSWORD``.

Only the vSphere provider calls this, at the moment it logs in or builds the credentials
Secret; the values never travel through workflow inputs, results, logs or heartbeats.
The password is kept in a ``SecretStr`` so that a stray ``repr`` or log line shows stars.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, SecretStr

from eksa_temporal.providers.vsphere.errors import VSpherePermanentError
from eksa_temporal.spec.findings import Finding

USERNAME_ENV = "EKSA_VSPHERE_USERNAME"
PASSWORD_ENV = "EKSA_VSPHERE_PASSWORD"


class Credentials(BaseModel):
    """A vCenter login; ``password`` never shows in ``repr`` or ``str``."""

    model_config = ConfigDict(frozen=True)
    username: str
    password: SecretStr


def _missing(var: str) -> Finding:
    return Finding(
        path=var,
        message=f"{var} is not set or is empty",
        remediation=f"export {var} with the vCenter account the cluster should use",
        check="vsphere-credentials",
    )


def credential_findings(env: Mapping[str, str] | None = None) -> list[Finding]:
    """One finding per missing or empty variable (both reported together)."""
    source = os.environ if env is None else env
    return [_missing(var) for var in (USERNAME_ENV, PASSWORD_ENV) if not source.get(var)]


def resolve_credentials(env: Mapping[str, str] | None = None) -> Credentials:
    """The credentials from the environment; raises a permanent error naming the first
    missing variable."""
    source = os.environ if env is None else env
    problems = credential_findings(source)
    if problems:
        first = problems[0]
        raise VSpherePermanentError(first.message, first.remediation)
    return Credentials(username=source[USERNAME_ENV], password=SecretStr(source[PASSWORD_ENV]))
