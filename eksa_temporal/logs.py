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
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=logging.WARNING if not verbose else logging.INFO, stream=sys.stderr)


def get_logger(name: str) -> Any:
    """A bound structlog logger for a module."""
    return structlog.get_logger(name)
