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
    from activities import steps as s
    from workflows.base import LifecycleWorkflow, StepResult, result_path
    from workflows.models import UPGRADE, UpgradeClusterInput, UpgradeClusterResult

PLAN = [s.SETUP_VALIDATE_UPGRADE, s.BACKUP_CAPI_OBJECTS, s.UPGRADE_CLUSTER, s.WRITE_CLUSTER_CONFIG]


@workflow.defn(name="UpgradeClusterWorkflow")
class UpgradeClusterWorkflow(LifecycleWorkflow):
    @workflow.run
    async def run(self, inp: UpgradeClusterInput) -> UpgradeClusterResult:
        self.begin(UPGRADE, inp, lambda _: PLAN)
        return await self.op.guard(self.upgrade, keep_on_failure=True, compensate=None, diagnose=self.diagnose)

    async def upgrade(self) -> UpgradeClusterResult:
        step, args = self.op.step, self.common
        target = {"kubeconfig": self.cluster_kubeconfig()}
        await step(s.SETUP_VALIDATE_UPGRADE, args(**target), StepResult)
        backup = await step(s.BACKUP_CAPI_OBJECTS, args(**target), StepResult)
        await step(s.UPGRADE_CLUSTER, args(**target), StepResult)
        config = await step(s.WRITE_CLUSTER_CONFIG, args(**target), StepResult)
        return UpgradeClusterResult(
            cluster=self.facts.name,
            namespace=self.facts.namespace,
            operation=UPGRADE,
            duration_seconds=self.elapsed(),
            cluster_config_path=result_path(config, "cluster_config_path", "config_path", "path"),
            backup_path=result_path(backup, "backup_path", "backup_dir", "path"),
        )

    def cluster_kubeconfig(self) -> str:
        """The cluster's own kubeconfig (``<c>/<c>-eks-a-cluster.kubeconfig``)."""
        return f"{self.inp.workdir.rstrip('/')}/{self.facts.name}-eks-a-cluster.kubeconfig"
