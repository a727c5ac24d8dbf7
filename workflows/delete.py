"""``DeleteClusterWorkflow``: delete a workload cluster from its management cluster, or a
management cluster the EKS Anywhere way - bootstrap cluster, install CAPI there, move the
CAPI objects back, delete the Cluster and wait for its machines to go, delete the bootstrap
cluster. Every step is idempotent, so a retried or re-run delete finishes the job.
Started by ``eksa_temporal.client``; registered by ``worker.py``.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities import models as am
    from activities import steps as s
    from activities.move import models as mm
    from workflows.base import LifecycleWorkflow
    from workflows.facts import ClusterFacts
    from workflows.models import DELETE, DeleteClusterInput, DeleteClusterResult

MANAGEMENT_PLAN = [
    s.SETUP_VALIDATE_DELETE,
    s.BOOTSTRAP_CLUSTER_INIT,
    s.INSTALL_CAPI_BOOTSTRAP,
    s.CAPI_MOVE_TO_BOOTSTRAP,
    s.DELETE_CLUSTER_OBJECTS,
    s.DELETE_KIND_CLUSTER,
]
WORKLOAD_PLAN = [s.SETUP_VALIDATE_DELETE, s.DELETE_WORKLOAD_CLUSTER]


def plan(facts: ClusterFacts) -> list[str]:
    return MANAGEMENT_PLAN if facts.self_managed else WORKLOAD_PLAN


@workflow.defn(name="DeleteClusterWorkflow")
class DeleteClusterWorkflow(LifecycleWorkflow):
    @workflow.run
    async def run(self, inp: DeleteClusterInput) -> DeleteClusterResult:
        self.begin(DELETE, inp, plan)
        body = self.delete_management if self.facts.self_managed else self.delete_workload
        return await self.op.guard(body, keep_on_failure=True, compensate=None, diagnose=self.diagnose)

    async def delete_management(self) -> DeleteClusterResult:
        step, inp = self.op.step, self.step_input
        target = {"kubeconfig": f"{self.inp.workdir.rstrip('/')}/{self.facts.name}-eks-a-cluster.kubeconfig"}
        await step(s.SETUP_VALIDATE_DELETE, inp(am.ValidateInput, **target), am.ValidateResult)
        boot = await step(s.BOOTSTRAP_CLUSTER_INIT, inp(am.BootstrapInput, **target), am.BootstrapResult)
        bootstrap = {**target, "bootstrap_kubeconfig": boot.bootstrap_kubeconfig}
        await step(s.INSTALL_CAPI_BOOTSTRAP, inp(am.InstallCapiInput, **bootstrap), am.InstallCapiResult)
        await step(s.CAPI_MOVE_TO_BOOTSTRAP, inp(mm.MoveStepInput, **bootstrap), mm.MoveStepResult)
        await step(s.DELETE_CLUSTER_OBJECTS, inp(am.DeleteClusterInput, **bootstrap), am.DeleteClusterResult)
        await step(s.DELETE_KIND_CLUSTER, inp(am.DeleteBootstrapInput, **bootstrap), am.DeleteBootstrapResult)
        return self.result()

    async def delete_workload(self) -> DeleteClusterResult:
        step, inp = self.op.step, self.step_input
        await step(s.SETUP_VALIDATE_DELETE, inp(am.ValidateInput), am.ValidateResult)
        await step(s.DELETE_WORKLOAD_CLUSTER, inp(am.DeleteClusterInput), am.DeleteClusterResult)
        return self.result()

    def result(self) -> DeleteClusterResult:
        return DeleteClusterResult(
            cluster=self.facts.name,
            namespace=self.facts.namespace,
            operation=DELETE,
            duration_seconds=self.elapsed(),
        )
