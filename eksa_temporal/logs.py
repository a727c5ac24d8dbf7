"""Logging setup for every entry point (CLI, worker, sim server) with structlog.

Human-readable console output on a terminal, JSON lines otherwise. A redaction processor
drops the value of any key that looks like a secret, so a careless ``log.info(token=...)``
never reaches a log file.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

_SECRET_KEY = re.compile(r"(password|passwd|token|secret|private_?key|kubeconfig_data|api_?key)", re.I)
REDACTED = "[redacted]"


def _redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event):
        if _SECRET_KEY.search(key) and event[key] not in (None, ""):
            event[key] = REDACTED
    return event


class _StderrLogger:
    """Writes each rendered line to the *current* ``sys.stderr`` (looked up per call, so a
    process that swaps stderr - a test harness, a daemon - never writes to a closed file)."""

    def msg(self, message: str) -> None:
        stream = sys.stderr
        try:
            stream.write(message + "\n")
            stream.flush()
        except (ValueError, OSError):  # stderr closed or gone: nothing left to report to
            pass

    log = debug = info = warn = warning = error = critical = exception = fatal = msg


def _stderr_logger(*_: Any) -> _StderrLogger:
    return _StderrLogger()


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stdlib handler bound to the current ``sys.stderr`` rather than the one at setup."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _: Any) -> None:
        pass


def configure(verbose: bool = False, *, json_output: bool | None = None) -> None:
    """Configure structlog and stdlib logging once per process; output goes to stderr."""
    level = logging.DEBUG if verbose else logging.INFO
    if json_output is None:
        json_output = not sys.stderr.isatty()
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json_output
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _redact,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(
        level=logging.WARNING if not verbose else logging.INFO, handlers=[_StderrHandler()]
    )


def get_logger(name: str) -> Any:
    """A bound structlog logger for a module."""
    return structlog.get_logger(name)
