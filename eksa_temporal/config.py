"""Process-wide settings shared by the CLI, the worker and the sim: where state lives,
which task queue the worker polls, which ports the embedded default uses.

Everything is derived from environment variables with sensible defaults so that the
CLI, ``worker.py`` and other services agree without passing flags around.
"""

from __future__ import annotations

import os
from pathlib import Path

TASK_QUEUE_ENV = "EKSA_TEMPORAL_TASK_QUEUE"
STATE_DIR_ENV = "EKSA_TEMPORAL_STATE_DIR"
DEFAULT_TASK_QUEUE = "eksa-lifecycle"
DEFAULT_TEMPORAL_PORT = 7233
DEFAULT_UI_PORT = 8233
DEFAULT_CODEC_PORT = 8081  # `eksa-temporal dev` with encryption configured
DEFAULT_SIM_PORT = 6480


def state_dir() -> Path:
    """The directory holding the embedded default's state (Temporal DB, sim state)."""
    explicit = os.environ.get(STATE_DIR_ENV)
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "eksa-temporal"


def sim_state_dir(base: Path | None = None) -> Path:
    """Where the simulated infrastructure keeps its SQLite database and server file."""
    return (base or state_dir()) / "sim"


def components_cache_dir() -> Path:
    """The verified cache of downloaded Cluster API component files."""
    return state_dir() / "components-cache"


def task_queue() -> str:
    """The task queue every lifecycle workflow and activity runs on."""
    return os.environ.get(TASK_QUEUE_ENV, DEFAULT_TASK_QUEUE)
