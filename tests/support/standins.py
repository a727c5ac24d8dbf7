"""Test helper: the ``kind`` and ``docker`` stand-ins (``tests/standins``) on the test's PATH.

The ``standins`` fixture depends on ``sim_server`` and points the stand-ins at it: it
prepends ``tests/standins/bin`` to ``PATH``, sets ``EKSA_SIM_STATE_DIR`` to the sim's state
dir, ``EKSA_STANDIN_PYTHON`` to this interpreter and ``EKSA_STANDIN_LOG`` to a file in the
test's tmp dir (all through ``monkeypatch``, so undone after the test). Anything the test
starts afterwards (the product's tool runner, a worker subprocess) inherits them::

    def test_x(standins):
        subprocess.run(["kind", "get", "clusters"], check=True)
        assert standins.calls("kind")[0]["argv"] == ["kind", "get", "clusters"]
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.paths import REPO

if TYPE_CHECKING:
    from tests.support.sim import SimServer

STANDINS_BIN = REPO / "tests" / "standins" / "bin"


@dataclass
class Standins:
    """The stand-ins' settings for one test, and what they were asked."""

    bin: Path
    log: Path
    sim: SimServer

    def env(self) -> dict[str, str]:
        """The variables the stand-ins read (for a subprocess started with its own env)."""
        return {"PATH": f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}",
                "EKSA_SIM_STATE_DIR": str(self.sim.state_dir), "EKSA_STANDIN_PYTHON": sys.executable,
                "EKSA_STANDIN_LOG": str(self.log)}

    def calls(self, tool: str | None = None) -> list[dict[str, Any]]:
        """Every logged call (``{"tool", "argv", "time", "exit", "seconds"}``), oldest
        first; only ``tool``'s when given."""
        if not self.log.exists():
            return []
        calls = [json.loads(line) for line in self.log.read_text().splitlines() if line.strip()]
        return [c for c in calls if tool is None or c["tool"] == tool]


@pytest.fixture
def standins(sim_server: SimServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Standins:
    """``kind`` and ``docker`` stand-ins on PATH, playing on ``sim_server``."""
    result = Standins(STANDINS_BIN, tmp_path / "standin-calls.jsonl", sim_server)
    for key, value in result.env().items():
        monkeypatch.setenv(key, value)
    return result


__all__ = ["STANDINS_BIN", "Standins", "standins"]
