"""What the ``kind`` and ``docker`` stand-ins share: where the simulated infrastructure is
(``sim_dir``), the call log (``EKSA_STANDIN_LOG``) and the process entry point (``main``)
that records every call with its exit code.

The sim's state dir is ``EKSA_SIM_STATE_DIR`` when set, otherwise the product's default,
``eksa_temporal.config.sim_state_dir()`` (``$EKSA_TEMPORAL_STATE_DIR/sim``), so a user's
running ``eksa-temporal sim serve`` (or the embedded default) is found without setup.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

SIM_STATE_DIR_ENV = "EKSA_SIM_STATE_DIR"
LOG_ENV = "EKSA_STANDIN_LOG"
DOCKER_DOWN_ENV = "EKSA_STANDIN_DOCKER_DOWN"
LOG_NAME = "standin-calls.jsonl"
DAEMON_DOWN = ("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. "
               "Is the docker daemon running?")


class Exit(Exception):
    """Leave the stand-in with ``code`` after printing ``message`` on stderr."""

    def __init__(self, code: int, message: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def sim_dir() -> Path:
    explicit = os.environ.get(SIM_STATE_DIR_ENV)
    if explicit:
        return Path(explicit).expanduser()
    from eksa_temporal import config

    return config.sim_state_dir()


def docker_down() -> bool:
    return os.environ.get(DOCKER_DOWN_ENV, "") not in ("", "0", "false")


def log_path() -> Path:
    explicit = os.environ.get(LOG_ENV)
    return Path(explicit).expanduser() if explicit else sim_dir() / LOG_NAME


def log_call(tool: str, argv: Sequence[str], exit_code: int, started: float) -> None:
    """Append one JSON line ``{"tool", "argv", "time", "exit", "seconds"}`` (best effort)."""
    line = json.dumps({"tool": tool, "argv": [tool, *argv], "time": started, "exit": exit_code,
                       "seconds": round(time.time() - started, 3)})
    with contextlib.suppress(OSError):
        path = log_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a") as fh:
            fh.write(line + "\n")


def main(tool: str, run: Callable[[list[str]], int]) -> None:
    """Run ``run(argv)``, print an ``Exit``'s message, log the call, exit with its code."""
    argv = sys.argv[1:]
    started = time.time()
    code = 1
    try:
        code = run(argv)
    except Exit as exc:
        if exc.message:
            print(exc.message, file=sys.stderr)
        code = exc.code
    except SystemExit as exc:  # argparse
        code = exc.code if isinstance(exc.code, int) else 2
    except KeyboardInterrupt:
        code = 130
    finally:
        log_call(tool, argv, code, started)
    sys.stdout.flush()
    sys.exit(code)
