"""Findings: validation errors and warnings as values.

Every check in the product (static spec rules, credentials, provider preflight) reports
a list of ``Finding`` rather than raising, so that all problems are shown together, each
with the YAML path (or object) it is about, what is wrong and what to do.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Finding(BaseModel):
    """One problem: ``path`` (e.g. ``spec.controlPlaneConfiguration.count`` or
    ``VSphereMachineConfig/cp.spec.template``), a message, and a remediation line."""

    model_config = ConfigDict(frozen=True)

    path: str
    message: str
    remediation: str = ""
    severity: Severity = Severity.ERROR
    check: str = ""  # the name of the check that produced it (e.g. "vsphere-datastore")

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def line(self) -> str:
        """One human line: ``path: message (fix: remediation)``."""
        text = f"{self.path}: {self.message}"
        if self.remediation:
            text += f" (fix: {self.remediation})"
        return text


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.is_error]
