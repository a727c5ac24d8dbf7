"""Every stored history (tests/histories/*.json) replays against the current workflow code
with the pydantic data converter: a change that would break running workflows fails here,
and a create whose steps are swapped fails to replay (the check has teeth)."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from eksa_temporal.activities import models as am
from eksa_temporal.activities.bootstrap import BootstrapActivities
from eksa_temporal.activities.capi_install import CapiInstallActivities
from eksa_temporal.activities.kubeconfig import KubeconfigActivities
from eksa_temporal.activities.provision import ProvisionActivities
from eksa_temporal.activities.validate import ValidateActivities
from eksa_temporal.worker import lifecycle_workflows
from eksa_temporal.workflows.create import CreateClusterWorkflow
from eksa_temporal.workflows.models import CreateClusterInput, CreateClusterResult

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
    replayer = Replayer(workflows=lifecycle_workflows(), data_converter=pydantic_data_converter)
    history = WorkflowHistory.from_json(f"replay-{path.stem}", path.read_text())
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{path.name}: {result.replay_failure}"


@workflow.defn(name="CreateClusterWorkflow", sandboxed=False)
class SwappedCreate(CreateClusterWorkflow):
    """The create with two steps swapped (install-capi-components-workload before
    write-kubeconfig): a change the stored histories must catch."""

    @workflow.run
    async def run(self, inp: CreateClusterInput) -> CreateClusterResult:
        return await super().run(inp)

    async def create_management(self) -> CreateClusterResult:
        step, inp = self.op.step, self.step_input
        await step(ValidateActivities.setup_validate, inp(am.ValidateInput))
        boot = await step(BootstrapActivities.bootstrap_cluster_init, inp(am.BootstrapInput))
        self.bootstrap_kubeconfig = boot.bootstrap_kubeconfig
        bootstrap = {"bootstrap_kubeconfig": boot.bootstrap_kubeconfig}
        await step(CapiInstallActivities.install_capi_components_bootstrap, inp(am.InstallCapiInput, **bootstrap))
        await step(ProvisionActivities.workload_cluster_init, inp(am.ProvisionInput, **bootstrap))
        await step(CapiInstallActivities.install_capi_components_workload, inp(am.InstallCapiInput, **bootstrap))
        await step(KubeconfigActivities.write_kubeconfig, inp(am.WriteKubeconfigInput, **bootstrap))
        raise AssertionError("replay must fail before this point")


async def test_replay_fails_when_two_steps_are_swapped() -> None:
    replayer = Replayer(workflows=[SwappedCreate], data_converter=pydantic_data_converter)
    path = Path(__file__).parent.parent / "histories" / "create-management.json"
    history = WorkflowHistory.from_json("replay-swapped", path.read_text())
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is not None
    assert "nondeterminism" in str(result.replay_failure).lower() or "activity type" in str(result.replay_failure).lower()
