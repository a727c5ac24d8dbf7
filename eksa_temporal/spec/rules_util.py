"""Small helpers shared by the validation modules: a findings collector and the format
checks EKS-A uses (DNS-1123 names, Kubernetes label keys/values, host:port, CIDRs, Go
durations, git branch names). Used only inside ``eksa_temporal.spec``.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from eksa_temporal.spec.findings import Finding, Severity

UNNAMED = "(unnamed)"

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_DURATION = re.compile(r"^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$")
_DOMAIN = re.compile(
    r"^(\*\.)?([A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?)*\.?$"
)


@dataclass
class Collector:
    """Collects findings; ``prefix`` (``Kind/name: ``) is put before every path."""

    check: str
    prefix: str = ""
    findings: list[Finding] = field(default_factory=list)

    def error(self, path: str, message: str, remediation: str = "") -> None:
        self.findings.append(
            Finding(
                path=self.prefix + path, message=message, remediation=remediation, check=self.check
            )
        )

    def warn(self, path: str, message: str, remediation: str = "") -> None:
        self.findings.append(
            Finding(
                path=self.prefix + path,
                message=message,
                remediation=remediation,
                severity=Severity.WARNING,
                check=self.check,
            )
        )


def shown(name: str) -> str:
    """A name for a message: the name itself, or ``(unnamed)`` when it is empty."""
    return name or UNNAMED


def object_prefix(kind: str, name: str) -> str:
    """The path prefix of a non-Cluster object: ``Kind/name: `` (``Kind/(unnamed): ``)."""
    return "" if kind == "Cluster" else f"{kind}/{shown(name)}: "


# EKS-A's git names (gitopsconfig.go): repository names and the branch-name pattern.
_GIT_REPO = re.compile(r"^[0-9A-Za-z_.-]+$")
_EKSA_BRANCH = re.compile(r"^([0-9A-Za-z_+,]+)\.?/?([0-9A-Za-z\-_+,]+)$")


def is_git_repo_name(name: str) -> bool:
    return bool(_GIT_REPO.match(name))


def is_eksa_branch_name(name: str) -> bool:
    """EKS-A's (stricter than git's) branch-name pattern."""
    return bool(_EKSA_BRANCH.match(name))


def is_dns1123_subdomain(value: str) -> bool:
    return len(value) <= 253 and bool(DNS1123_SUBDOMAIN.match(value))


def is_qualified_name(value: str) -> bool:
    """A Kubernetes label/taint key: optional DNS prefix + '/' + name of at most 63 chars."""
    prefix, _, name = value.rpartition("/")
    if "/" in value and not (prefix and is_dns1123_subdomain(prefix)):
        return False
    return 0 < len(name) <= 63 and bool(_QUALIFIED_NAME.match(name))


def is_label_value(value: str) -> bool:
    return len(value) <= 63 and bool(_LABEL_VALUE.match(value))


def is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def is_domain(value: str) -> bool:
    return len(value) <= 253 and bool(_DOMAIN.match(value))


def parse_cidr(value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    if "/" not in value:
        return None
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        return None


def split_host_port(value: str) -> tuple[str, str] | None:
    """Go's net.SplitHostPort, simplified: ``host:port`` or ``[v6]:port``."""
    if value.startswith("["):
        end = value.find("]")
        if end < 0 or not value[end + 1 :].startswith(":"):
            return None
        return value[1:end], value[end + 2 :]
    if value.count(":") != 1:
        return None
    host, port = value.split(":")
    return host, port


def is_request_uri(value: str) -> bool:
    """Go's ``url.ParseRequestURI`` accepts it: an absolute URL or an absolute path."""
    if value.startswith("/"):
        return " " not in value
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return bool(re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", parts.scheme)) and " " not in value


def is_port(value: str) -> bool:
    return value.isdigit() and 0 < int(value) <= 65535


def is_duration(value: str) -> bool:
    return value == "0" or bool(_DURATION.match(value))


def is_git_branch(name: str) -> bool:
    """git check-ref-format rules for a branch name."""
    if (
        not name
        or name == "@"
        or name.startswith(("-", "/", "."))
        or name.endswith(("/", ".", ".lock"))
    ):
        return False
    if any(bad in name for bad in ("..", "@{", "//", "/.")):
        return False
    return not any(c in name for c in " ~^:?*[\\") and all(
        ord(c) >= 32 and ord(c) != 127 for c in name
    )


def minor_version(version: str) -> tuple[int, int] | None:
    match = re.fullmatch(r"(\d+)\.(\d+)", version)
    return (int(match.group(1)), int(match.group(2))) if match else None
