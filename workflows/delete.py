"""``DeleteClusterWorkflow``: delete a workload cluster from its management cluster, or a
management cluster the EKS Anywhere way - bootstrap cluster, install CAPI there, move the
CAPI objects back, delete the Cluster and wait for its machines to go, delete the bootstrap
cluster. Every step is idempotent, so a retried or re-run delete finishes the job. A
cancelled or aborted management delete puts the cluster back before ``delete-cluster``
starts (``compensate``); once that step started, only a delete run again finishes.
Started by ``eksa_temporal.client``; registered by ``worker.py``.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from eksa_temporal.activities import models as am
    from eksa_temporal.activities.bootstrap import BootstrapActivities as Bootstrap
    from eksa_temporal.activities.capi_install import CapiInstallActivities as CapiInstall
    from eksa_temporal.activities.move import MoveActivities as Move
    from eksa_temporal.activities.move import models as mm
    from eksa_temporal.activities.teardown import TeardownActivities as Teardown
    from eksa_temporal.activities.validate import ValidateActivities as Validate
    from eksa_temporal.workflows.base import LifecycleWorkflow
    from eksa_temporal.workflows.facts import ClusterFacts
    from eksa_temporal.workflows.models import DELETE, DeleteClusterInput, DeleteClusterResult
    from eksa_temporal.workflows.plans import DELETE_MANAGEMENT, DELETE_WORKLOAD, PLANS, Step, names


def plan(facts: ClusterFacts) -> list[Step]:
    return PLANS[DELETE_MANAGEMENT if facts.self_managed else DELETE_WORKLOAD]

# step names of the runbooks (``plans.PLANS``)
MANAGEMENT_PLAN = names(PLANS[DELETE_MANAGEMENT])
WORKLOAD_PLAN = names(PLANS[DELETE_WORKLOAD])


@workflow.defn(name="DeleteClusterWorkflow")
class DeleteClusterWorkflow(LifecycleWorkflow):
    bootstrap_started = False  # bootstrap-cluster-init was scheduled
    bootstrap: dict[str, str] | None = None  # kubeconfig paths once the bootstrap cluster is up
    move_started = False  # capi-move-to-bootstrap was scheduled
    deleting = False  # delete-cluster was scheduled: from here on only a re-run finishes

    @workflow.run
    async def run(self, inp: DeleteClusterInput) -> DeleteClusterResult:
        self.begin(DELETE, inp, plan)
        if not self.facts.self_managed:
            return await self.op.guard(self.delete_workload, keep_on_failure=True, compensate=None, diagnose=self.diagnose)
        return await self.op.guard(self.delete_management, keep_on_failure=False, compensate=self.compensate, diagnose=self.diagnose)

    async def delete_management(self) -> DeleteClusterResult:
        step, inp = self.op.step, self.step_input
        cluster = f"{self.inp.workdir.rstrip('/')}/{self.facts.name}-eks-a-cluster.kubeconfig"
        await step(Validate.setup_validate_delete, inp(am.ValidateInput, kubeconfig=cluster))
        self.bootstrap_started = True
        boot = await step(Bootstrap.bootstrap_cluster_init, inp(am.BootstrapInput, kubeconfig=cluster))
        kind = boot.bootstrap_kubeconfig
        self.bootstrap = {"kubeconfig": cluster, "bootstrap_kubeconfig": kind}  # for compensation
        await step(
            CapiInstall.install_capi_components_bootstrap,
            inp(am.InstallCapiInput, kubeconfig=cluster, bootstrap_kubeconfig=kind),
        )
        self.move_started = True
        await step(Move.capi_move_to_bootstrap, inp(mm.MoveStepInput, kubeconfig=cluster, bootstrap_kubeconfig=kind))
        self.deleting = True
        await step(Teardown.delete_cluster, inp(am.DeleteClusterInput, kubeconfig=cluster, bootstrap_kubeconfig=kind))
        await step(Bootstrap.delete_kind_cluster, inp(am.DeleteBootstrapInput, kubeconfig=cluster, bootstrap_kubeconfig=kind))
        return self.result()

    async def compensate(self) -> None:
        """A cancelled or aborted management delete leaves the cluster as it was - managing
        itself, unpaused - as long as ``delete-cluster`` has not started (from then on a
        delete run again finishes the job): an interrupted move to the bootstrap cluster is
        undone (``capi-move-abort``); a move that went through (or had to be finished) is
        moved back (``capi-management-move``); then the bootstrap cluster goes
        (``delete-kind-cluster``, which refuses while it still holds the cluster)."""
        if self.deleting:
            return
        attempts = self.inp.timeouts.max_attempts
        paths = self.bootstrap or {}
        back = False  # the objects live in the bootstrap cluster: move them back
        if self.move_started and paths:
            settled = await self.op.side_step(
                Move.capi_move_abort,
                self.step_input(
                    mm.MoveStepInput, from_kubeconfig=paths["kubeconfig"], to_kubeconfig=paths["bootstrap_kubeconfig"]
                ),
                attempts=attempts,
            )
            if settled is None:
                return  # unknown state: keep the bootstrap cluster for the operator
            back = settled.settled == "finished"  # past the point of no return, or complete
        if back:
            moved_back = await self.op.side_step(
                Move.capi_management_move, self.step_input(mm.MoveStepInput, **paths), attempts=attempts
            )
            if moved_back is None:
                return  # the cluster is still managed from the bootstrap cluster: keep it
        if self.bootstrap_started:
            await self.op.side_step(
                Bootstrap.delete_kind_cluster, self.step_input(am.DeleteBootstrapInput, **paths), attempts=attempts
            )

    async def delete_workload(self) -> DeleteClusterResult:
        step, inp = self.op.step, self.step_input
        await step(Validate.setup_validate_delete, inp(am.ValidateInput))
        await step(Teardown.delete_workload_cluster, inp(am.DeleteClusterInput))
        return self.result()

    def result(self) -> DeleteClusterResult:
        return DeleteClusterResult(
            cluster=self.facts.name,
            namespace=self.facts.namespace,
            operation=DELETE,
            duration_seconds=self.elapsed(),
        )
