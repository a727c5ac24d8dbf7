"""Logging follows the current stderr: configuring it while stderr is a stream that later
closes (a test harness, a daemonised process) must not break later log calls."""

from __future__ import annotations

import io
import logging
import sys

import pytest

from eksa_temporal import logs


def test_logs_written_after_the_configuring_stderr_closed_go_to_the_current_stderr(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    logs.configure(json_output=True)
    first.close()

    current = io.StringIO()
    monkeypatch.setattr(sys, "stderr", current)
    logs.get_logger("t").info("still-logging", password="hunter22")
    out = current.getvalue()
    assert "still-logging" in out
    assert "hunter22" not in out and logs.REDACTED in out


def test_stdlib_records_after_the_configuring_stderr_closed_do_not_raise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    handler = logs._StderrHandler()
    first = io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    first.close()
    current = io.StringIO()
    monkeypatch.setattr(sys, "stderr", current)
    handler.handle(logging.LogRecord("t", logging.WARNING, __file__, 1, "stdlib-line", None, None))
    assert "stdlib-line" in current.getvalue()
