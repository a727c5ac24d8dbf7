"""``CreateClusterWorkflow``: EKS Anywhere's create as a durable workflow.

A management (self-managed / standalone) cluster goes through the bootstrap cluster and the
CAPI move; a workload cluster (``spec.managementCluster`` names another cluster) is applied
on its management cluster. Each step is one activity named in ``activities.steps``; a
cancelled or failed create removes what it created (``cleanup-infrastructure``) unless
``keep_on_failure``. Started by ``eksa_temporal.client``; registered by ``worker.py``.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities import steps as s
    from workflows.base import LifecycleWorkflow, StepResult, result_path
    from workflows.models import CREATE, CreateClusterInput, CreateClusterResult

MANAGEMENT_PLAN = [
    s.SETUP_VALIDATE,
    s.BOOTSTRAP_CLUSTER_INIT,
    s.INSTALL_CAPI_BOOTSTRAP,
    s.WORKLOAD_CLUSTER_INIT,
    s.WRITE_KUBECONFIG,
    s.INSTALL_CAPI_WORKLOAD,
    s.CAPI_MANAGEMENT_MOVE,
    s.WRITE_CLUSTER_CONFIG,
    s.DELETE_KIND_CLUSTER,
]
WORKLOAD_PLAN = [s.SETUP_VALIDATE_CREATE, s.CREATE_WORKLOAD_CLUSTER, s.WRITE_CLUSTER_CONFIG]


@workflow.defn(name="CreateClusterWorkflow")
class CreateClusterWorkflow(LifecycleWorkflow):
    bootstrap_kubeconfig: str | None = None

    @workflow.run
    async def run(self, inp: CreateClusterInput) -> CreateClusterResult:
        self.begin(CREATE, inp, lambda f: MANAGEMENT_PLAN if f.self_managed else WORKLOAD_PLAN)
        return await self.op.guard(
            self.create_management if self.facts.self_managed else self.create_workload,
            keep_on_failure=inp.keep_on_failure,
            compensate=self.compensate,
            diagnose=self.diagnose,
        )

    async def create_management(self) -> CreateClusterResult:
        step, args = self.op.step, self.common
        await step(s.SETUP_VALIDATE, args(), StepResult)
        boot = await step(s.BOOTSTRAP_CLUSTER_INIT, args(), StepResult)
        self.bootstrap_kubeconfig = result_path(boot, "bootstrap_kubeconfig", "kubeconfig_path", "kubeconfig")
        bootstrap = {"bootstrap_kubeconfig": self.bootstrap_kubeconfig}
        await step(s.INSTALL_CAPI_BOOTSTRAP, args(**bootstrap), StepResult)
        await step(s.WORKLOAD_CLUSTER_INIT, args(**bootstrap), StepResult)
        kube = await step(s.WRITE_KUBECONFIG, args(**bootstrap), StepResult)
        kubeconfig = result_path(kube, "kubeconfig_path", "kubeconfig", "path")
        target = {**bootstrap, "kubeconfig": kubeconfig}
        await step(s.INSTALL_CAPI_WORKLOAD, args(**target), StepResult)
        await step(s.CAPI_MANAGEMENT_MOVE, args(**target), StepResult)
        config = await step(s.WRITE_CLUSTER_CONFIG, args(**target), StepResult)
        await step(s.DELETE_KIND_CLUSTER, args(**bootstrap), StepResult)
        return self.result(kubeconfig, config)

    async def create_workload(self) -> CreateClusterResult:
        step, args = self.op.step, self.common
        await step(s.SETUP_VALIDATE_CREATE, args(), StepResult)
        created = await step(s.CREATE_WORKLOAD_CLUSTER, args(), StepResult)
        kubeconfig = result_path(created, "kubeconfig_path", "kubeconfig", "path")
        config = await step(s.WRITE_CLUSTER_CONFIG, args(kubeconfig=kubeconfig), StepResult)
        return self.result(kubeconfig, config)

    async def compensate(self) -> None:
        """Remove what this create made: bootstrap cluster, machines, applied objects."""
        await self.op.side_step(
            s.CLEANUP_INFRASTRUCTURE,
            self.common(bootstrap_kubeconfig=self.bootstrap_kubeconfig),
            StepResult,
            attempts=self.inp.timeouts.max_attempts,
        )

    def result(self, kubeconfig: str | None, config: StepResult) -> CreateClusterResult:
        workdir = self.inp.workdir.rstrip("/")
        name = self.facts.name
        return CreateClusterResult(
            cluster=name,
            namespace=self.facts.namespace,
            operation=CREATE,
            duration_seconds=self.elapsed(),
            kubeconfig_path=kubeconfig or f"{workdir}/{name}-eks-a-cluster.kubeconfig",
            cluster_config_path=result_path(config, "cluster_config_path", "config_path", "path")
            or f"{workdir}/{name}-eks-a-cluster.yaml",
        )

