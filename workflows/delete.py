"""``DeleteClusterWorkflow``: delete a workload cluster from its management cluster, or a
management cluster the EKS Anywhere way - bootstrap cluster, install CAPI there, move the
CAPI objects back, delete the Cluster and wait for its machines to go, delete the bootstrap
cluster. Every step is idempotent, so a retried or re-run delete finishes the job.
Started by ``eksa_temporal.client``; registered by ``worker.py``.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities import steps as s
    from workflows.base import LifecycleWorkflow, StepResult, result_path
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
        step, args = self.op.step, self.common
        target = {"kubeconfig": f"{self.inp.workdir.rstrip('/')}/{self.facts.name}-eks-a-cluster.kubeconfig"}
        await step(s.SETUP_VALIDATE_DELETE, args(**target), StepResult)
        boot = await step(s.BOOTSTRAP_CLUSTER_INIT, args(**target), StepResult)
        bootstrap = {**target, "bootstrap_kubeconfig": result_path(boot, "bootstrap_kubeconfig", "kubeconfig_path", "kubeconfig")}
        await step(s.INSTALL_CAPI_BOOTSTRAP, args(**bootstrap), StepResult)
        await step(s.CAPI_MOVE_TO_BOOTSTRAP, args(**bootstrap), StepResult)
        deleted = await step(s.DELETE_CLUSTER_OBJECTS, args(**bootstrap), StepResult)
        await step(s.DELETE_KIND_CLUSTER, args(**bootstrap), StepResult)
        return self.result(deleted)

    async def delete_workload(self) -> DeleteClusterResult:
        step, args = self.op.step, self.common
        await step(s.SETUP_VALIDATE_DELETE, args(), StepResult)
        deleted = await step(s.DELETE_WORKLOAD_CLUSTER, args(), StepResult)
        return self.result(deleted)

    def result(self, deleted: StepResult) -> DeleteClusterResult:
        removed = deleted.get("removed") if deleted else None
        return DeleteClusterResult(
            cluster=self.facts.name,
            namespace=self.facts.namespace,
            operation=DELETE,
            duration_seconds=self.elapsed(),
            removed=[str(x) for x in removed] if isinstance(removed, list) else [],
        )
