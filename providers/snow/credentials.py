"""Snow device credentials, resolved as EKS-A's ``pkg/aws`` resolves them: the AWS shared
credentials file named by ``EKSA_AWS_CREDENTIALS_FILE`` (one profile per device, the
profile name being the device IP, each with ``aws_access_key_id`` /
``aws_secret_access_key``) and the PEM bundle named by ``EKSA_AWS_CA_BUNDLES_FILE`` (every
device's certificate authority; TLS to the devices is verified against it).

Only the Snow provider calls this, when it talks to a device or builds the credentials
Secret; key values never travel through workflow inputs, results, logs or heartbeats (the
secret key is a ``SecretStr``).
"""

from __future__ import annotations

import base64
import configparser
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, SecretStr

from eksa_temporal.errors import BadCredentials
from eksa_temporal.spec.findings import Finding

CREDENTIALS_ENV = "EKSA_AWS_CREDENTIALS_FILE"
CA_BUNDLES_ENV = "EKSA_AWS_CA_BUNDLES_FILE"
CHECK = "snow-credentials"


class DeviceKeys(BaseModel):
    """One device's access key; ``secret_key`` never shows in ``repr`` or ``str``."""

    model_config = ConfigDict(frozen=True)
    access_key: str
    secret_key: SecretStr


@dataclass(frozen=True)
class SnowCredentials:
    """The two files and the profiles of the credentials file, by device IP."""

    credentials_file: Path
    ca_bundles_file: Path
    devices: Mapping[str, DeviceKeys]

    def keys_for(self, device: str) -> DeviceKeys | None:
        return self.devices.get(device)

    def encoded(self) -> tuple[str, str]:
        """Both files base64-encoded, as EKS-A's ``EncodeFileFromEnv`` (the CAPAS variables
        ``AWS_B64ENCODED_CREDENTIALS`` / ``AWS_B64ENCODED_CA_BUNDLES``)."""
        return (
            base64.b64encode(self.credentials_file.read_bytes()).decode(),
            base64.b64encode(self.ca_bundles_file.read_bytes()).decode(),
        )


def _finding(var: str, message: str, remediation: str) -> Finding:
    return Finding(path=var, message=message, remediation=remediation, check=CHECK)


def _file_findings(source: Mapping[str, str]) -> list[Finding]:
    out: list[Finding] = []
    for var, what in (
        (CREDENTIALS_ENV, "the AWS credentials file with one profile per Snow device IP"),
        (CA_BUNDLES_ENV, "the PEM file holding every Snow device's certificate"),
    ):
        value = source.get(var, "")
        if not value:
            out.append(_finding(var, f"env '{var}' is not set or is empty", f"export {var} with {what}"))
        elif not Path(value).is_file():
            out.append(_finding(var, f"file '{value}' does not exist", f"point {var} at {what}"))
    return out


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _profiles(path: Path) -> tuple[dict[str, DeviceKeys], list[Finding]]:
    parser = configparser.RawConfigParser(default_section="\0none")
    try:
        parser.read_string(path.read_text())
    except (configparser.Error, UnicodeDecodeError, OSError) as exc:
        reason = type(exc).__name__
        return {}, [_finding(CREDENTIALS_ENV, f"{path} is not an AWS credentials file ({reason})", "use the [<device-ip>] profile format of ~/.aws/credentials")]
    devices: dict[str, DeviceKeys] = {}
    findings: list[Finding] = []
    for section in parser.sections():
        if not _is_ip(section):
            continue  # as EKS-A: only profiles named by an IP address are devices
        access = parser.get(section, "aws_access_key_id", fallback="").strip()
        secret = parser.get(section, "aws_secret_access_key", fallback="").strip()
        if not access or not secret:
            findings.append(_finding(f"{CREDENTIALS_ENV}[{section}]", f"profile [{section}] has no aws_access_key_id or aws_secret_access_key", "add both keys of the device (snowballEdge list-access-keys / get-secret-access-key)"))
            continue
        devices[section] = DeviceKeys(access_key=access, secret_key=SecretStr(secret))
    if not devices and not findings:
        findings.append(_finding(CREDENTIALS_ENV, "no ip address profile found in content", "add a [<device-ip>] profile per Snow device"))
    return devices, findings


def load_credentials(env: Mapping[str, str] | None = None) -> tuple[SnowCredentials | None, list[Finding]]:
    """The credentials, or None with every finding about the two files."""
    source = os.environ if env is None else env
    problems = _file_findings(source)
    if problems:
        return None, problems
    creds_path, ca_path = Path(source[CREDENTIALS_ENV]), Path(source[CA_BUNDLES_ENV])
    devices, findings = _profiles(creds_path)
    if "BEGIN CERTIFICATE" not in ca_path.read_text(errors="replace"):
        findings.append(_finding(CA_BUNDLES_ENV, f"{ca_path} holds no PEM certificate", "put every device's certificate (snowballEdge get-certificate) in the file"))
    if findings:
        return None, findings
    return SnowCredentials(creds_path, ca_path, devices), []


def resolve_credentials(env: Mapping[str, str] | None = None) -> SnowCredentials:
    """The credentials; raises ``BadCredentials`` naming the first problem."""
    creds, findings = load_credentials(env)
    if creds is None:
        first = findings[0]
        raise BadCredentials(first.line(), fix=first.remediation)
    return creds
