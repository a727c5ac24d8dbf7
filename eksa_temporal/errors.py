"""The permanent errors of the lifecycle steps, one class each, and the list of their type
names the workflows' retry policies treat as non-retryable.

A permanent error is a Temporal ``ApplicationError`` whose ``type`` is its class name and
which is never retried; its message ends with what to do about it (`` (fix: ...)``): the
class's ``remediation`` unless the raise site gives a more specific one (``fix=``) or the
message already carries one. ``NON_RETRYABLE`` is derived from the classes, so a new
permanent error fails fast without being listed anywhere else.
"""

from __future__ import annotations

from typing import ClassVar

from temporalio.exceptions import ApplicationError


class PermanentError(ApplicationError):
    """A problem retrying cannot fix: the step fails at once with a remediation line."""

    remediation: ClassVar[str] = ""

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        remedy = self.remediation if fix is None else fix
        text = f"{message} (fix: {remedy})" if remedy and "fix:" not in message else message
        super().__init__(text, type=type(self).__name__, non_retryable=True)


class InvalidSpec(PermanentError):
    remediation = (
        "correct the cluster spec (`eksa-temporal validate -f <spec>` lists every problem)"
    )


class BadCredentials(PermanentError):
    remediation = "set the provider's credentials the worker reads, then run the operation again"


class PreflightFailed(PermanentError):
    remediation = "resolve what the preflight check reports, then run the operation again"


class ImmutableFieldChanged(PermanentError):
    remediation = (
        "keep immutable fields as they are in the running cluster, or create a new cluster"
    )


class UnsupportedUpgrade(PermanentError):
    remediation = "upgrade one Kubernetes minor version at a time, with supported changes only"


class ClusterExists(PermanentError):
    remediation = (
        "change the cluster with `eksa-temporal start upgrade-cluster`, or delete it first"
    )


class NotFound(PermanentError):
    remediation = "pass --kubeconfig of the management cluster, or run from the folder holding the cluster's files"


class InvalidComponents(PermanentError):
    remediation = "fix the release manifest or the components folder"


class MovePreconditionFailed(PermanentError):
    remediation = "restore the missing kubeconfig or cluster, then run the operation again"


class MoveAborted(PermanentError):
    remediation = "resolve the cause, then run the operation again"


def _permanent_classes(base: type[PermanentError]) -> list[type[PermanentError]]:
    found: list[type[PermanentError]] = []
    for sub in base.__subclasses__():
        found += [sub, *_permanent_classes(sub)]
    return found


PERMANENT_ERRORS: tuple[type[PermanentError], ...] = tuple(_permanent_classes(PermanentError))

# the ApplicationError types a step's retry policy never retries
NON_RETRYABLE: list[str] = [cls.__name__ for cls in PERMANENT_ERRORS]
