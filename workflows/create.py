"""``CreateClusterWorkflow``: EKS Anywhere's create as a durable workflow.

A management (self-managed / standalone) cluster goes through the bootstrap cluster and the
CAPI move; a workload cluster (``spec.managementCluster`` names another cluster) is applied
on its management cluster. The steps are the runbooks of ``workflows.plans``, each run by
reference to its activity method; a provider's step hooks add their steps to a management
create when ``setup-validate`` reports them. A cancelled or failed create first unwinds an interrupted move (``capi-move-abort``), then
removes what it created (``cleanup-infrastructure``), unless ``keep_on_failure``. Started by ``eksa_temporal.client``; registered by ``worker.py``.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from eksa_temporal.activities import models as am
    from eksa_temporal.activities.bootstrap import BootstrapActivities as Bootstrap
    from eksa_temporal.activities.capi_install import CapiInstallActivities as CapiInstall
    from eksa_temporal.activities.hooks import ProviderHookActivities as Hooks
    from eksa_temporal.activities.kubeconfig import KubeconfigActivities as Kubeconfig
    from eksa_temporal.activities.move import MoveActivities as Move
    from eksa_temporal.activities.move import models as mm
    from eksa_temporal.activities.provision import ProvisionActivities as Provision
    from eksa_temporal.activities.teardown import TeardownActivities as Teardown
    from eksa_temporal.activities.validate import ValidateActivities as Validate
    from eksa_temporal.workflows.base import LifecycleWorkflow
    from eksa_temporal.workflows.models import CREATE, CreateClusterInput, CreateClusterResult
    from eksa_temporal.workflows.plans import (
        CREATE_MANAGEMENT,
        CREATE_WORKLOAD,
        PLANS,
        names,
        with_hooks,
    )

# step names of the runbooks (``plans.PLANS``)
MANAGEMENT_PLAN = names(PLANS[CREATE_MANAGEMENT])
WORKLOAD_PLAN = names(PLANS[CREATE_WORKLOAD])


@workflow.defn(name="CreateClusterWorkflow")
class CreateClusterWorkflow(LifecycleWorkflow):
    bootstrap_kubeconfig: str | None = None
    kubeconfig: str | None = None  # the new cluster's, once written
    move_started = False  # capi-management-move was scheduled: compensation unwinds it first

    @workflow.run
    async def run(self, inp: CreateClusterInput) -> CreateClusterResult:
        self.begin(CREATE, inp, lambda f: PLANS[CREATE_MANAGEMENT if f.self_managed else CREATE_WORKLOAD])
        return await self.op.guard(
            self.create_management if self.facts.self_managed else self.create_workload,
            keep_on_failure=inp.keep_on_failure,
            compensate=self.compensate,
            diagnose=self.diagnose,
        )

    async def create_management(self) -> CreateClusterResult:
        step, inp = self.op.step, self.step_input
        valid = await step(Validate.setup_validate, inp(am.ValidateInput))
        hooks = set(valid.hooks)
        self.op.replan(with_hooks(PLANS[CREATE_MANAGEMENT], hooks))
        boot = await step(Bootstrap.bootstrap_cluster_init, inp(am.BootstrapInput))
        # the two clusters a step may target, named at every call
        kind = self.bootstrap_kubeconfig = boot.bootstrap_kubeconfig
        if "prepare_bootstrap_cluster" in hooks:
            await step(Hooks.prepare_bootstrap_cluster, inp(am.HookInput, bootstrap_kubeconfig=kind))
        await step(CapiInstall.install_capi_components_bootstrap, inp(am.InstallCapiInput, bootstrap_kubeconfig=kind))
        await step(Provision.workload_cluster_init, inp(am.ProvisionInput, bootstrap_kubeconfig=kind))
        kube = await step(Kubeconfig.write_kubeconfig, inp(am.WriteKubeconfigInput, bootstrap_kubeconfig=kind))
        new = self.kubeconfig = kube.kubeconfig_path
        if "after_workload_init" in hooks:
            await step(Hooks.after_workload_init, inp(am.HookInput, bootstrap_kubeconfig=kind, kubeconfig=new))
        await step(
            CapiInstall.install_capi_components_workload,
            inp(am.InstallCapiInput, bootstrap_kubeconfig=kind, kubeconfig=new),
        )
        self.move_started = True
        await step(Move.capi_management_move, inp(mm.MoveStepInput, bootstrap_kubeconfig=kind, kubeconfig=new))
        if "after_move" in hooks:
            await step(Hooks.after_move, inp(am.HookInput, bootstrap_kubeconfig=kind, kubeconfig=new))
        config = await step(
            Kubeconfig.write_cluster_config,
            inp(am.WriteClusterConfigInput, bootstrap_kubeconfig=kind, kubeconfig=new),
        )
        await step(Bootstrap.delete_kind_cluster, inp(am.DeleteBootstrapInput, bootstrap_kubeconfig=kind))
        return self.result(kube.kubeconfig_path, config)

    async def create_workload(self) -> CreateClusterResult:
        step, inp = self.op.step, self.step_input
        await step(Validate.setup_validate_create, inp(am.ValidateInput))
        created = await step(Provision.create_workload_cluster, inp(am.ProvisionInput))
        config = await step(
            Kubeconfig.write_cluster_config, inp(am.WriteClusterConfigInput, kubeconfig=created.kubeconfig_path)
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
                Move.capi_move_abort,
                self.step_input(
                    mm.MoveStepInput,
                    from_kubeconfig=self.bootstrap_kubeconfig,
                    to_kubeconfig=self.kubeconfig,
                ),
                attempts=self.inp.timeouts.max_attempts,
            )
        await self.op.side_step(
            Teardown.cleanup_infrastructure,
            self.step_input(am.CleanupInput, bootstrap_kubeconfig=self.bootstrap_kubeconfig),
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

