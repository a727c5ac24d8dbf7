"""The one exception type CLI commands raise to end with a clear line and an exit code."""

from __future__ import annotations


class CliError(Exception):
    """Ends the command with ``Error: <message>`` on stderr and ``exit_code``."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code
