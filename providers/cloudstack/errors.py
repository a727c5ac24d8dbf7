"""Errors of the CloudStack provider: ``CloudStackPermanentError`` (bad credentials, a
refused signature, a malformed secret: retrying cannot help) and ``CloudStackError`` for
everything else (transient: an unreachable endpoint). Messages never carry a key."""

from __future__ import annotations


class CloudStackError(Exception):
    """A failed CloudStack call; ``remediation`` says what to do, ``path`` what to fix."""

    def __init__(self, message: str, remediation: str = "", path: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.remediation = remediation
        self.path = path


class CloudStackPermanentError(CloudStackError):
    """A failure that retrying cannot fix."""
