"""Prism Central credentials, resolved from ``EKSA_NUTANIX_USERNAME`` /
``EKSA_NUTANIX_PASSWORD`` (the variables EKS-A reads).

Only the Nutanix provider calls this, at the moment it talks to Prism Central, installs
CAPX or builds the credentials Secret; the values never travel through workflow inputs,
results, logs or heartbeats. The password is kept in a ``SecretStr`` so that a stray
``repr`` or log line shows stars. ``capx_credentials_json`` is the JSON document CAPX reads
from its credentials Secret (``credentials`` key), as EKS-A's ``secret-template.yaml`` writes it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, SecretStr

from eksa_temporal.errors import BadCredentials
from eksa_temporal.spec.findings import Finding

USERNAME_ENV = "EKSA_NUTANIX_USERNAME"
PASSWORD_ENV = "EKSA_NUTANIX_PASSWORD"


class Credentials(BaseModel):
    """A Prism Central login; ``password`` never shows in ``repr`` or ``str``."""

    model_config = ConfigDict(frozen=True)
    username: str
    password: SecretStr


def credential_findings(env: Mapping[str, str] | None = None) -> list[Finding]:
    """One finding per missing or empty variable (both reported together)."""
    source = os.environ if env is None else env
    return [
        Finding(
            path=var,
            message=f"{var} is not set or is empty",
            remediation=f"export {var} with the Prism Central account the cluster should use",
            check="nutanix-credentials",
        )
        for var in (USERNAME_ENV, PASSWORD_ENV)
        if not source.get(var)
    ]


def resolve_credentials(env: Mapping[str, str] | None = None) -> Credentials:
    """The credentials from the environment; raises ``BadCredentials`` naming the first
    missing variable."""
    source = os.environ if env is None else env
    problems = credential_findings(source)
    if problems:
        raise BadCredentials(problems[0].message, fix=problems[0].remediation)
    return Credentials(username=source[USERNAME_ENV], password=SecretStr(source[PASSWORD_ENV]))


def capx_credentials_json(creds: Credentials) -> str:
    """CAPX's credentials document: one ``basic_auth`` entry for Prism Central."""
    return json.dumps(
        [
            {
                "type": "basic_auth",
                "data": {
                    "prismCentral": {
                        "username": creds.username,
                        "password": creds.password.get_secret_value(),
                    },
                    "prismElements": None,
                },
            }
        ]
    )
