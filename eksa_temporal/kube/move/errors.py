"""Errors of the move engine, split the way the activity's RetryPolicy needs them:
permanent ones (a precondition that a retry cannot fix, a move that was compensated)
and transient ones (``retry.TransientError``: the API kept failing; a later attempt
resumes from the journal).

Raised by discovery, the engine and the directory backup; the activity maps each to an
``ApplicationError`` type and the CLI to one line.
"""

from __future__ import annotations


class MoveError(Exception):
    """Base of the move's own errors."""


class PreconditionFailed(MoveError):
    """The move must not start (or continue): providers, provisioning, paused clusters."""


class MoveAborted(MoveError):
    """The move could not finish and was compensated: the source is unpaused and as it
    was, objects created in the target are removed."""


class JournalConflict(MoveError):
    """Another mover wrote the journal meanwhile (a second worker on the same move)."""
