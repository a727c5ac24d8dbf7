"""Fixtures of the workflow tests: a pydantic-converter client of the session-wide Temporal
dev server (``temporal_env``, from ``tests.support.fixtures``) and a fresh task queue +
worker with fake activities per test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from eksa_temporal.client import LifecycleClient
from eksa_temporal.worker import build_worker
from tests.workflows.fakes import FakeInfra


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
