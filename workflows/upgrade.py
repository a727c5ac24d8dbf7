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
    from eksa_temporal.activities.kubeconfig import KubeconfigActivities as Kubeconfig
    from eksa_temporal.activities.move import MoveActivities as Move
    from eksa_temporal.activities.move import models as mm
    from eksa_temporal.activities.provision import ProvisionActivities as Provision
    from eksa_temporal.activities.validate import ValidateActivities as Validate
    from eksa_temporal.workflows.base import LifecycleWorkflow
    from eksa_temporal.workflows.models import UPGRADE, UpgradeClusterInput, UpgradeClusterResult
    from eksa_temporal.workflows.plans import PLANS, names
    from eksa_temporal.workflows.plans import UPGRADE as UPGRADE_PLAN

# step names of the runbook (``plans.PLANS``)
PLAN = names(PLANS[UPGRADE_PLAN])


@workflow.defn(name="UpgradeClusterWorkflow")
class UpgradeClusterWorkflow(LifecycleWorkflow):
    backup_started = False  # capi-backup was scheduled
    backed_up = False  # ... and completed (it unpaused the cluster itself)

    @workflow.run
    async def run(self, inp: UpgradeClusterInput) -> UpgradeClusterResult:
        self.begin(UPGRADE, inp, lambda _: PLANS[UPGRADE_PLAN])
        return await self.op.guard(self.upgrade, keep_on_failure=False, compensate=self.compensate, diagnose=self.diagnose)

    async def upgrade(self) -> UpgradeClusterResult:
        step, inp = self.op.step, self.step_input
        cluster = self.cluster_kubeconfig()  # every step targets the cluster itself
        await step(Validate.setup_validate_upgrade, inp(am.ValidateInput, kubeconfig=cluster))
        self.backup_started = True
        await step(Move.capi_backup, inp(mm.BackupInput, kubeconfig=cluster, backup_dir=self.backup_dir()))
        self.backed_up = True
        await step(Provision.upgrade_cluster, inp(am.ProvisionInput, kubeconfig=cluster))
        config = await step(Kubeconfig.write_cluster_config, inp(am.WriteClusterConfigInput, kubeconfig=cluster))
        await step(Move.capi_backup_remove, inp(mm.RemoveBackupInput, backup_dir=self.backup_dir()))
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
                Move.capi_move_abort,
                self.step_input(mm.MoveStepInput, kubeconfig=self.cluster_kubeconfig(), backup_dir=self.backup_dir()),
                attempts=self.inp.timeouts.max_attempts,
            )

    def backup_dir(self) -> str:
        """``<c>/generated/capi-backup-<run>``: owner-only, removed after success, kept
        after a failure (to restore from)."""
        return f"{self.inp.workdir.rstrip('/')}/generated/capi-backup-{workflow.info().run_id[:8]}"

    def cluster_kubeconfig(self) -> str:
        """The cluster's own kubeconfig (``<c>/<c>-eks-a-cluster.kubeconfig``)."""
        return f"{self.inp.workdir.rstrip('/')}/{self.facts.name}-eks-a-cluster.kubeconfig"
