"""Every stored history (tests/histories/*.json) replays against the current workflow code
with the pydantic data converter: a change that would break running workflows fails here."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from worker import WORKFLOWS

pytestmark = pytest.mark.anyio
HISTORIES = sorted((Path(__file__).parent.parent / "histories").glob("*.json"))


def test_histories_cover_every_workflow() -> None:
    types = set()
    for path in HISTORIES:
        history = WorkflowHistory.from_json("replay", path.read_text())
        types.add(history.events[0].workflow_execution_started_event_attributes.workflow_type.name)
    assert types == {"CreateClusterWorkflow", "UpgradeClusterWorkflow", "DeleteClusterWorkflow"}


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_stored_history_replays_without_nondeterminism(path: Path) -> None:
    replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter)
    history = WorkflowHistory.from_json(f"replay-{path.stem}", path.read_text())
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{path.name}: {result.replay_failure}"
