"""CloudStack credentials, resolved from ``EKSA_CLOUDSTACK_B64ENCODED_SECRET``: base64 of
EKS-A's INI file, one section per credentials profile (an availability zone's
``credentialsRef``) with ``api-key``, ``secret-key``, ``api-url`` and ``verify-ssl``
(``true`` when absent)::

    [Global]
    api-key    = ...
    secret-key = ...
    api-url    = https://cloudstack.example.com:8080/client/api
    verify-ssl = true

Only the CloudStack provider calls this, when it signs API requests or builds the
failure-domain Secrets; the keys never travel through workflow inputs, results, logs or
heartbeats and are kept in ``SecretStr`` so a stray ``repr`` shows stars.
"""

from __future__ import annotations

import base64
import binascii
import configparser
import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, SecretStr

from eksa_temporal.providers.cloudstack.errors import CloudStackPermanentError
from eksa_temporal.spec.findings import Finding

SECRET_ENV = "EKSA_CLOUDSTACK_B64ENCODED_SECRET"
KEYS = ("api-key", "secret-key", "api-url")
FIX = f"export {SECRET_ENV} with base64 of the INI file holding one section per credentialsRef (api-key, secret-key, api-url, verify-ssl)"


class Profile(BaseModel):
    """One section of the INI: the credentials of an availability zone's management API."""

    model_config = ConfigDict(frozen=True)
    name: str
    api_key: SecretStr
    secret_key: SecretStr
    api_url: str
    verify_ssl: bool = True

    def verify_ssl_text(self) -> str:
        return "true" if self.verify_ssl else "false"


def _problem(message: str) -> Finding:
    return Finding(path=SECRET_ENV, message=message, remediation=FIX, check="cloudstack-credentials")


def parse_profiles(text: str) -> tuple[dict[str, Profile], list[Finding]]:
    """The profiles of an INI text (by section name) and what is wrong with it; values
    never appear in a finding."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        return {}, [_problem(f"the decoded secret is not an INI file ({type(exc).__name__})")]
    if not parser.sections():
        return {}, [_problem("the decoded secret has no profile section")]
    profiles: dict[str, Profile] = {}
    problems: list[Finding] = []
    for section in parser.sections():
        values = parser[section]
        missing = [key for key in KEYS if not values.get(key, "").strip()]
        if missing:
            problems.append(_problem(f"profile [{section}] has no {', '.join(missing)}"))
            continue
        verify = values.get("verify-ssl", "true").strip().lower()
        if verify not in ("true", "false"):
            problems.append(_problem(f"profile [{section}]: verify-ssl must be true or false"))
            continue
        profiles[section] = Profile(
            name=section,
            api_key=SecretStr(values["api-key"].strip()),
            secret_key=SecretStr(values["secret-key"].strip()),
            api_url=values["api-url"].strip(),
            verify_ssl=verify == "true",
        )
    return profiles, problems


def read_profiles(env: Mapping[str, str] | None = None) -> tuple[dict[str, Profile], list[Finding]]:
    """The profiles from the environment, and every problem with the variable."""
    source = os.environ if env is None else env
    raw = source.get(SECRET_ENV, "").strip()
    if not raw:
        return {}, [_problem(f"{SECRET_ENV} is not set or is empty")]
    try:
        text = base64.b64decode(raw, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return {}, [_problem(f"{SECRET_ENV} is not base64 of a UTF-8 INI file")]
    return parse_profiles(text)


def resolve_profiles(env: Mapping[str, str] | None = None) -> dict[str, Profile]:
    """The profiles from the environment; raises a permanent error naming the first problem."""
    profiles, problems = read_profiles(env)
    if problems:
        raise CloudStackPermanentError(problems[0].message, problems[0].remediation, SECRET_ENV)
    return profiles


def encode_profiles(profiles: Mapping[str, Mapping[str, str]]) -> str:
    """The variable's value for ``{section: {key: value}}`` (tests, docs)."""
    parser = configparser.ConfigParser(interpolation=None)
    for name, values in profiles.items():
        parser[name] = dict(values)
    lines: list[str] = []
    for name in parser.sections():
        lines.append(f"[{name}]")
        lines += [f"{k} = {v}" for k, v in parser[name].items()]
        lines.append("")
    return base64.b64encode("\n".join(lines).encode()).decode()
