"""Errors raised by the vSphere provider, split as the lifecycle needs them.

``VSpherePermanentError`` means retrying cannot help (bad credentials, thumbprint mismatch,
missing template or OVA) and always carries a remediation line naming the field or
environment variable to fix; activities turn it into a non-retryable failure.
``VSphereTransientError`` means the vCenter could not be reached or a task failed in a way
a retry may cure; Temporal's retry policy retries it. Preflight checks report findings
instead of raising; these exceptions are for the steps that change things.
"""

from __future__ import annotations


class VSphereError(Exception):
    """Base of the provider's errors: ``message`` plus a ``remediation`` line."""

    permanent: bool = True

    def __init__(self, message: str, remediation: str = "", path: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.remediation = remediation
        self.path = (
            path  # the spec field it is about, e.g. ``VSphereDatacenterConfig/dc: spec.server``
        )

    def __str__(self) -> str:
        text = f"{self.path}: {self.message}" if self.path else self.message
        if self.remediation:
            text += f" (fix: {self.remediation})"
        return text


class VSpherePermanentError(VSphereError):
    """Retrying cannot help; the spec or the environment must change."""

    permanent = True


class VSphereTransientError(VSphereError):
    """The vCenter was unreachable or a task failed transiently; retry."""

    permanent = False
