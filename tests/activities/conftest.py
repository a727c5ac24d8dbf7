"""Fixtures of the activity tests: one real ``eksa-temporal sim serve`` process for the
session (``tests.support.sim.running_sim``: its own process group, stopped at the end), a
``Registry`` pointing at it, unique cluster names, and step-input helpers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from eksa_temporal.providers.registry import Registry
from eksa_temporal.spec import generate_cluster_config
from tests.support.sim import SimServer, running_sim

FAST = ("--seed", "1", "--boot-seconds", "0.2")


@pytest.fixture(scope="session")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimServer]:
    with running_sim(tmp_path_factory.mktemp("sim"), FAST) as server:
        yield server


@pytest.fixture
def registry(sim: SimServer) -> Registry:
    return Registry(sim.state_dir)


@pytest.fixture
def cluster_name() -> str:
    return f"t{uuid.uuid4().hex[:8]}"


def common(name: str, workdir: Path, **extra: Any) -> dict[str, Any]:
    """The fields every step input takes, as the workflows send them."""
    return {
        "cluster_name": name,
        "provider": "sim",
        "workdir": str(workdir / name),
        "spec_yaml": generate_cluster_config(name, "sim"),
        **extra,
    }
