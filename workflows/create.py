"""``CreateClusterWorkflow``: EKS Anywhere's create as a durable workflow.

A management (self-managed / standalone) cluster goes through the bootstrap cluster and the
CAPI move; a workload cluster (``spec.managementCluster`` names another cluster) is applied
on its management cluster. Each step is one activity named in ``activities.steps``; a
cancelled or failed create first unwinds an interrupted move (``capi-move-abort``), then
removes what it created (``cleanup-infrastructure``), unless ``keep_on_failure``. Started by ``eksa_temporal.client``; registered by ``worker.py``.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from eksa_temporal.activities import models as am
    from eksa_temporal.activities import steps as s
    from eksa_temporal.activities.move import models as mm
    from eksa_temporal.workflows.base import LifecycleWorkflow
    from eksa_temporal.workflows.models import CREATE, CreateClusterInput, CreateClusterResult

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
    kubeconfig: str | None = None  # the new cluster's, once written
    move_started = False  # capi-management-move was scheduled: compensation unwinds it first

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
        step, inp = self.op.step, self.step_input
        await step(s.SETUP_VALIDATE, inp(am.ValidateInput), am.ValidateResult)
        boot = await step(s.BOOTSTRAP_CLUSTER_INIT, inp(am.BootstrapInput), am.BootstrapResult)
        self.bootstrap_kubeconfig = boot.bootstrap_kubeconfig
        bootstrap = {"bootstrap_kubeconfig": boot.bootstrap_kubeconfig}
        await step(s.INSTALL_CAPI_BOOTSTRAP, inp(am.InstallCapiInput, **bootstrap), am.InstallCapiResult)
        await step(s.WORKLOAD_CLUSTER_INIT, inp(am.ProvisionInput, **bootstrap), am.ProvisionResult)
        kube = await step(s.WRITE_KUBECONFIG, inp(am.WriteKubeconfigInput, **bootstrap), am.WriteKubeconfigResult)
        self.kubeconfig = kube.kubeconfig_path
        target = {**bootstrap, "kubeconfig": kube.kubeconfig_path}
        await step(s.INSTALL_CAPI_WORKLOAD, inp(am.InstallCapiInput, **target), am.InstallCapiResult)
        self.move_started = True
        await step(s.CAPI_MANAGEMENT_MOVE, inp(mm.MoveStepInput, **target), mm.MoveStepResult)
        config = await step(
            s.WRITE_CLUSTER_CONFIG, inp(am.WriteClusterConfigInput, **target), am.WriteClusterConfigResult
        )
        await step(s.DELETE_KIND_CLUSTER, inp(am.DeleteBootstrapInput, **bootstrap), am.DeleteBootstrapResult)
        return self.result(kube.kubeconfig_path, config)

    async def create_workload(self) -> CreateClusterResult:
        step, inp = self.op.step, self.step_input
        await step(s.SETUP_VALIDATE_CREATE, inp(am.ValidateInput), am.ValidateResult)
        created = await step(s.CREATE_WORKLOAD_CLUSTER, inp(am.ProvisionInput), am.ProvisionResult)
        config = await step(
            s.WRITE_CLUSTER_CONFIG,
            inp(am.WriteClusterConfigInput, kubeconfig=created.kubeconfig_path),
            am.WriteClusterConfigResult,
        )
        return self.result(created.kubeconfig_path, config)

    async def compensate(self) -> None:
        """Unwind an interrupted move first (``capi-move-abort``: the bootstrap cluster's
        objects unpaused, what the move created in the new cluster removed - or the move
        finished when it was past deleting from the bootstrap cluster), so the Cluster API
        controllers act on the cluster again; then remove what this create made:
        bootstrap cluster, machines, applied objects."""
        if self.move_started:
            await self.op.side_step(
                s.CAPI_MOVE_ABORT,
                self.step_input(
                    mm.MoveStepInput,
                    from_kubeconfig=self.bootstrap_kubeconfig,
                    to_kubeconfig=self.kubeconfig,
                ),
                mm.MoveStepResult,
                attempts=self.inp.timeouts.max_attempts,
            )
        await self.op.side_step(
            s.CLEANUP_INFRASTRUCTURE,
            self.step_input(am.CleanupInput, bootstrap_kubeconfig=self.bootstrap_kubeconfig),
            am.CleanupResult,
            attempts=self.inp.timeouts.max_attempts,
        )

    def result(self, kubeconfig: str, config: am.WriteClusterConfigResult) -> CreateClusterResult:
        workdir = self.inp.workdir.rstrip("/")
        name = self.facts.name
        return CreateClusterResult(
            cluster=name,
            namespace=self.facts.namespace,
            operation=CREATE,
            duration_seconds=self.elapsed(),
            kubeconfig_path=kubeconfig or f"{workdir}/{name}-eks-a-cluster.kubeconfig",
            cluster_config_path=config.cluster_config_path or f"{workdir}/{name}-eks-a-cluster.yaml",
        )

