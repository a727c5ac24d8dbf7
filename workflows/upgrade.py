"""``UpgradeClusterWorkflow``: move a cluster to a new spec - Kubernetes version (one minor at
a time), machine-config changes, node-group counts (scale).

``setup-validate-upgrade`` compares the new spec with the running cluster and rejects
immutable-field changes and version skips as non-retryable errors, before any change. Then
the CAPI objects are backed up (into an owner-only folder, removed once the upgrade
succeeded), the new objects applied and the rollout awaited. Nothing applied is rolled back
(an upgrade cannot be undone by deleting); a cancel or abort undoes an interrupted backup's
pause, so the cluster stays managed; failures collect a support bundle.
Started by ``eksa_temporal.client``; registered by ``worker.py``.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from eksa_temporal.activities import models as am
    from eksa_temporal.activities import steps as s
    from eksa_temporal.activities.move import models as mm
    from eksa_temporal.workflows.base import LifecycleWorkflow
    from eksa_temporal.workflows.models import UPGRADE, UpgradeClusterInput, UpgradeClusterResult

PLAN = [s.SETUP_VALIDATE_UPGRADE, s.BACKUP_CAPI_OBJECTS, s.UPGRADE_CLUSTER, s.WRITE_CLUSTER_CONFIG, s.REMOVE_CAPI_BACKUP]


@workflow.defn(name="UpgradeClusterWorkflow")
class UpgradeClusterWorkflow(LifecycleWorkflow):
    backup_started = False  # capi-backup was scheduled
    backed_up = False  # ... and completed (it unpaused the cluster itself)

    @workflow.run
    async def run(self, inp: UpgradeClusterInput) -> UpgradeClusterResult:
        self.begin(UPGRADE, inp, lambda _: PLAN)
        return await self.op.guard(self.upgrade, keep_on_failure=False, compensate=self.compensate, diagnose=self.diagnose)

    async def upgrade(self) -> UpgradeClusterResult:
        step, inp = self.op.step, self.step_input
        target = {"kubeconfig": self.cluster_kubeconfig()}
        await step(s.SETUP_VALIDATE_UPGRADE, inp(am.ValidateInput, **target), am.ValidateResult)
        self.backup_started = True
        await step(s.BACKUP_CAPI_OBJECTS, inp(mm.BackupInput, **target, backup_dir=self.backup_dir()), mm.BackupResult)
        self.backed_up = True
        await step(s.UPGRADE_CLUSTER, inp(am.ProvisionInput, **target), am.ProvisionResult)
        config = await step(
            s.WRITE_CLUSTER_CONFIG, inp(am.WriteClusterConfigInput, **target), am.WriteClusterConfigResult
        )
        await step(s.REMOVE_CAPI_BACKUP, inp(mm.RemoveBackupInput, backup_dir=self.backup_dir()), mm.RemoveBackupResult)
        return UpgradeClusterResult(
            cluster=self.facts.name,
            namespace=self.facts.namespace,
            operation=UPGRADE,
            duration_seconds=self.elapsed(),
            cluster_config_path=config.cluster_config_path or None,
            backup_path=None,  # removed: it held copies of the cluster's Secrets
        )

    async def compensate(self) -> None:
        """Nothing of an upgrade is rolled back (applied objects stay, the rollout goes
        on; see docs/operations.md); what is undone is the pause of an interrupted backup
        (``capi-move-abort`` with the backup folder), so the cluster stays managed."""
        if self.backup_started and not self.backed_up:
            await self.op.side_step(
                s.CAPI_MOVE_ABORT,
                self.step_input(mm.MoveStepInput, kubeconfig=self.cluster_kubeconfig(), backup_dir=self.backup_dir()),
                mm.MoveStepResult,
                attempts=self.inp.timeouts.max_attempts,
            )

    def backup_dir(self) -> str:
        """``<c>/generated/capi-backup-<run>``: owner-only, removed after success, kept
        after a failure (to restore from)."""
        return f"{self.inp.workdir.rstrip('/')}/generated/capi-backup-{workflow.info().run_id[:8]}"

    def cluster_kubeconfig(self) -> str:
        """The cluster's own kubeconfig (``<c>/<c>-eks-a-cluster.kubeconfig``)."""
        return f"{self.inp.workdir.rstrip('/')}/{self.facts.name}-eks-a-cluster.kubeconfig"
