"""Pydantic input and result models of every activity (one input + one result per step).

Every input extends ``ClusterStepInput``, the fields the workflows send to every step
(``workflows.base.LifecycleWorkflow.common``); unknown fields are ignored so a workflow may
send more than a step reads. Inputs hold references only (file paths, names), results hold
output paths and counts - never kubeconfig contents, tokens or passwords. Heartbeat details
are the ``*Progress`` models dumped to dicts and re-validated on retry.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class ClusterStepInput(BaseModel):
    """Fields every step receives."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cluster_name: str
    namespace: str = "default"
    provider: str = "sim"
    spec_yaml: str = ""
    workdir: str = Field(description="absolute output folder <dir>/<cluster>/")
    management_kubeconfig: str | None = None  # path: workload clusters' management cluster
    bootstrap_kubeconfig: str | None = None  # path: the bootstrap ("kind") cluster
    kubeconfig: str | None = None  # path: the new cluster's own kubeconfig
    components_dir: str | None = None  # air-gapped components {base}/{provider}/{version}/
    skip_ip_check: bool = False
    hardware_csv: str | None = None  # path of the bare-metal hardware CSV (never its content)
    hardware_csv_sha256: str | None = None
    origin: str = "cli"  # who started the operation: "cli" or "controller" (OperationInput.origin)
    # per-phase deadlines of the waits (EKS-A: control plane 1 h, per machine 10 min)
    control_plane_wait_seconds: float = Field(default=3600, gt=0)
    per_machine_wait_seconds: float = Field(default=600, gt=0)
    deployment_wait_seconds: float = Field(default=600, gt=0)

    # -- the paths EKS-A users know ------------------------------------------------------
    @property
    def dir(self) -> Path:
        return Path(self.workdir)

    @property
    def kubeconfig_path(self) -> Path:
        return self.dir / f"{self.cluster_name}-eks-a-cluster.kubeconfig"

    @property
    def cluster_config_path(self) -> Path:
        return self.dir / f"{self.cluster_name}-eks-a-cluster.yaml"

    @property
    def bootstrap_cluster_name(self) -> str:
        return f"{self.cluster_name}-eks-a-cluster"

    @property
    def bootstrap_kubeconfig_path(self) -> Path:
        return self.dir / "generated" / f"{self.cluster_name}.kind.kubeconfig"


class StepResult(BaseModel):
    """Base result: whether the step changed anything (False = it found its work done)."""

    model_config = ConfigDict(frozen=True)

    changed: bool = True
    message: str = ""


# ---- validation ---------------------------------------------------------------------------


class ValidateInput(ClusterStepInput):
    pass


class ValidateResult(StepResult):
    passed: list[str] = Field(default_factory=list)  # names of checks that passed
    warnings: list[str] = Field(default_factory=list)
    # the provider's step hooks (``Provider.hooks()``): each adds its step to a create
    hooks: list[str] = Field(default_factory=list)


# ---- bootstrap cluster ----------------------------------------------------------------------


class BootstrapInput(ClusterStepInput):
    pass


class BootstrapProgress(BaseModel):
    """Heartbeat details of bootstrap-cluster-init while kind creates the cluster."""

    phase: str = ""


class BootstrapResult(StepResult):
    bootstrap_kubeconfig: str = ""


class DeleteBootstrapInput(ClusterStepInput):
    pass


class DeleteBootstrapResult(StepResult):
    # a bootstrap cluster of that name made by someone else: left alone
    kept: list[str] = []


# ---- install CAPI ---------------------------------------------------------------------------


class InstallCapiInput(ClusterStepInput):
    pass


class ProviderInstall(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str
    version: str
    action: str  # "installed" | "already-installed" | "upgraded"
    # where the manifests came from (a local repository folder, "release" or "embedded")
    source: str = ""
    # "<file> sha256:<hex>" of each file read (recorded on first download when unpinned)
    checksums: list[str] = Field(default_factory=list)


class InstallCapiProgress(BaseModel):
    done: list[str] = Field(default_factory=list)  # clusterctl provider names finished
    current: str = ""
    phase: str = ""


class InstallCapiResult(StepResult):
    target_kubeconfig: str = ""
    providers: list[ProviderInstall] = Field(default_factory=list)


# ---- provision (apply CAPI objects + wait) --------------------------------------------------


class ProvisionInput(ClusterStepInput):
    pass


class ProvisionProgress(BaseModel):
    """Heartbeat details of the provisioning waits (also shown by ``eksa-temporal watch``)."""

    phase: str = "apply"  # apply | control-plane | workers | available | done
    applied: bool = False
    control_plane_ready: int = 0
    control_plane_total: int = 0
    machines_ready: int = 0
    machines_total: int = 0
    # host -> step, when the worker itself provisions the machines (SSH hosts)
    hosts: dict[str, str] = Field(default_factory=dict)


class ProvisionResult(StepResult):
    kubeconfig_path: str = ""  # the new cluster's kubeconfig <c>/<c>-eks-a-cluster.kubeconfig
    machines_ready: int = 0
    machines_total: int = 0


# ---- outputs --------------------------------------------------------------------------------


class WriteKubeconfigInput(ClusterStepInput):
    pass


class WriteKubeconfigResult(StepResult):
    kubeconfig_path: str = ""


class WriteClusterConfigInput(ClusterStepInput):
    pass


class WriteClusterConfigResult(StepResult):
    cluster_config_path: str = ""


# ---- provider hooks -------------------------------------------------------------------------


class HookInput(ClusterStepInput):
    pass


class HookResult(StepResult):
    done: list[str] = Field(default_factory=list)  # what the provider's hook did


# ---- delete / cleanup / diagnostics ---------------------------------------------------------


class DeleteClusterInput(ClusterStepInput):
    pass


class DeleteProgress(BaseModel):
    phase: str = "delete"
    machines_left: int = 0
    # host -> step, when the worker itself resets the machines (SSH hosts)
    hosts: dict[str, str] = Field(default_factory=dict)


class DeleteClusterResult(StepResult):
    pass


class CleanupInput(ClusterStepInput):
    pass


class CleanupResult(StepResult):
    removed: list[str] = Field(default_factory=list)
    kept: list[str] = Field(default_factory=list)


class SupportBundleInput(ClusterStepInput):
    bundle_path: str | None = None


class SupportBundleResult(StepResult):
    bundle_path: str = ""
    clusters: list[str] = Field(default_factory=list)  # which clusters were reachable
