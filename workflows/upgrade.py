"""``UpgradeClusterWorkflow``: move a cluster to a new spec - Kubernetes version (one minor at
a time), machine-config changes, node-group counts (scale).

``setup-validate-upgrade`` compares the new spec with the running cluster and rejects
immutable-field changes and version skips as non-retryable errors, before any change. Then
the CAPI objects are backed up, the new objects applied and the rollout awaited. Nothing is
compensated (an upgrade cannot be undone by deleting); failures collect a support bundle.
Started by ``eksa_temporal.client``; registered by ``worker.py``.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities import models as am
    from activities import steps as s
    from activities.move import models as mm
    from workflows.base import LifecycleWorkflow
    from workflows.models import UPGRADE, UpgradeClusterInput, UpgradeClusterResult

PLAN = [s.SETUP_VALIDATE_UPGRADE, s.BACKUP_CAPI_OBJECTS, s.UPGRADE_CLUSTER, s.WRITE_CLUSTER_CONFIG]


@workflow.defn(name="UpgradeClusterWorkflow")
class UpgradeClusterWorkflow(LifecycleWorkflow):
    @workflow.run
    async def run(self, inp: UpgradeClusterInput) -> UpgradeClusterResult:
        self.begin(UPGRADE, inp, lambda _: PLAN)
        return await self.op.guard(self.upgrade, keep_on_failure=True, compensate=None, diagnose=self.diagnose)

    async def upgrade(self) -> UpgradeClusterResult:
        step, inp = self.op.step, self.step_input
        target = {"kubeconfig": self.cluster_kubeconfig()}
        await step(s.SETUP_VALIDATE_UPGRADE, inp(am.ValidateInput, **target), am.ValidateResult)
        backup = await step(s.BACKUP_CAPI_OBJECTS, inp(mm.BackupInput, **target), mm.BackupResult)
        await step(s.UPGRADE_CLUSTER, inp(am.ProvisionInput, **target), am.ProvisionResult)
        config = await step(
            s.WRITE_CLUSTER_CONFIG, inp(am.WriteClusterConfigInput, **target), am.WriteClusterConfigResult
        )
        return UpgradeClusterResult(
            cluster=self.facts.name,
            namespace=self.facts.namespace,
            operation=UPGRADE,
            duration_seconds=self.elapsed(),
            cluster_config_path=config.cluster_config_path or None,
            backup_path=backup.backup_path or None,
        )

    def cluster_kubeconfig(self) -> str:
        """The cluster's own kubeconfig (``<c>/<c>-eks-a-cluster.kubeconfig``)."""
        return f"{self.inp.workdir.rstrip('/')}/{self.facts.name}-eks-a-cluster.kubeconfig"
