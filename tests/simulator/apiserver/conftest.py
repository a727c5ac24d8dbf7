"""Fixtures of the API emulator conformance suite: one sim server for the session (starting
a process per test would dominate the suite's time), a fresh virtual cluster per test."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.paths import tool_missing
from tests.support.sim import SimServer, running_sim, sim_server  # noqa: F401

_names = itertools.count()
WATCH_WINDOW = 100
# --http: a few tests speak plain HTTP to the API (off unless asked for)
SERVER_ARGS = ["--watch-window", str(WATCH_WINDOW), "--bookmark-seconds", "0.2", "--http"]


@pytest.fixture(scope="session")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimServer]:
    with running_sim(tmp_path_factory.mktemp("sim") / "state", ["--no-controllers", *SERVER_ARGS]) as server:
        yield server


@pytest.fixture
def vcluster(sim: SimServer) -> str:
    """A fresh virtual cluster name (created)."""
    name = f"t{os.getpid() % 1000}-{next(_names)}"
    sim.kubeconfig(name)
    return name


@pytest.fixture
def api(sim: SimServer, vcluster: str) -> Any:
    return sim.api_client(vcluster)


@pytest.fixture
def kubectl(sim: SimServer, vcluster: str, tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run kubectl against the test's virtual cluster (bounded by a timeout)."""
    binary = shutil.which("kubectl") or "/usr/bin/kubectl"
    if not Path(binary).exists():
        tool_missing("kubectl is not installed")
    kubeconfig = sim.kubeconfig(vcluster)

    def run(*args: str, input: str | None = None, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        cmd = [binary, "--kubeconfig", str(kubeconfig), "--cache-dir", str(tmp_path / "kcache"), *args]
        result = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({result.returncode}): {result.stderr}")
        return result

    return run
