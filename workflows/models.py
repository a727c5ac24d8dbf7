"""Pydantic models of the lifecycle workflows: one input and one result per workflow, the
``progress`` query's answer, and the operator updates (``retry``, ``abort``).

Inputs carry the EKS-A spec text (which holds no secrets) and *references* - the output
folder, the management kubeconfig path, the components folder - never secret values;
results carry paths of outputs, never their contents. The client, the CLI, the worker and
the Replayer all (de)serialise these through ``pydantic_data_converter``; fields are only
ever added with defaults so running workflows keep decoding.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

CREATE = "create"
UPGRADE = "upgrade"
DELETE = "delete"


class Timeouts(BaseModel):
    """Bounds of every step; defaults follow EKS-A's waits (control plane 1 h)."""

    model_config = ConfigDict(frozen=True)

    step_seconds: float = Field(default=600, gt=0, description="start-to-close of short steps")
    long_step_seconds: float = Field(default=3600, gt=0, description="start-to-close of waits (control plane, move, rollout)")
    # long steps heartbeat at least every 5 s; the SDK sends heartbeats (and so learns of a
    # cancel) at most every 0.8 x this timeout, so it also bounds how fast a cancel lands
    heartbeat_seconds: float = Field(
        default=20, gt=0, description="heartbeat timeout of long steps (also bounds cancel latency)"
    )
    max_attempts: int = Field(default=5, ge=1, description="attempts per step before parking for the operator")
    initial_retry_seconds: float = Field(default=2, gt=0)
    max_retry_seconds: float = Field(default=60, gt=0)
    operator_wait_hours: float = Field(default=72, gt=0, description="how long a parked step waits for retry/abort")


class OperationInput(BaseModel):
    """Fields every lifecycle operation takes."""

    model_config = ConfigDict(frozen=True)

    spec_yaml: str = Field(description="EKS-A cluster spec (multi-document YAML text; holds no secrets)")
    workdir: str = Field(description="absolute output folder of the cluster (<dir>/<cluster>/)")
    management_kubeconfig: str | None = Field(default=None, description="path of the management cluster's kubeconfig (workload clusters)")
    components_dir: str | None = Field(default=None, description="folder holding CAPI component manifests")
    keep_on_failure: bool = Field(default=False, description="keep what was created when the operation fails or is cancelled")
    skip_ip_check: bool = False
    hardware_csv: str | None = Field(default=None, description="absolute path of the bare-metal hardware CSV (-z); the file holds BMC passwords and is read by activities only")
    hardware_csv_sha256: str | None = Field(default=None, description="sha256 of the hardware CSV when the operation started (a changed file is refused)")
    timeouts: Timeouts = Field(default_factory=Timeouts)
    origin: str = Field(
        default="cli",
        description='who started the operation: "cli" (the CLI or the Python API) or "controller" (EKS-A objects on the management cluster)',
    )


class CreateClusterInput(OperationInput):
    """Create a management/standalone cluster (spec.managementCluster is itself) or a
    workload cluster on an existing management cluster."""


class UpgradeClusterInput(OperationInput):
    """Upgrade to ``spec_yaml``: Kubernetes version (one minor), machine configs, counts."""


class DeleteClusterInput(OperationInput):
    """Delete the cluster described by ``spec_yaml`` (``<c>/<c>-eks-a-cluster.yaml``)."""


class OperationResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    cluster: str
    namespace: str = "default"
    operation: str
    duration_seconds: float = 0.0


class CreateClusterResult(OperationResult):
    kubeconfig_path: str | None = None
    cluster_config_path: str | None = None


class UpgradeClusterResult(OperationResult):
    cluster_config_path: str | None = None
    backup_path: str | None = None


class DeleteClusterResult(OperationResult):
    """A delete's result: the common fields (cluster, operation, duration)."""


class StepState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    AWAITING_OPERATOR = "awaiting-operator"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Phase(StrEnum):
    """The operation's phase (search attribute ``EksaPhase``)."""

    RUNNING = "running"
    AWAITING_OPERATOR = "awaiting-operator"
    COMPENSATING = "compensating"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class StepProgress(BaseModel):
    name: str
    state: StepState = StepState.PENDING
    started_at: datetime | None = None
    finished_at: datetime | None = None
    # executions of the step by the workflow (1 + operator retries) and the Temporal
    # attempts known to have failed (a parked step used up ``max_attempts``)
    runs: int = 0
    failed_attempts: int = 0
    last_error: str | None = None

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None:
            return None
        end = self.finished_at
        return None if end is None else (end - self.started_at).total_seconds()


class OperationProgress(BaseModel):
    """Answer of the ``progress`` query."""

    operation: str
    cluster: str
    namespace: str = "default"
    provider: str = ""
    phase: Phase = Phase.RUNNING
    current_step: str | None = None
    error: str | None = None
    steps: list[StepProgress] = Field(default_factory=list)
    compensation: list[StepProgress] = Field(default_factory=list)


class OperatorRequest(BaseModel):
    """Input of the ``retry`` and ``abort`` updates."""

    reason: str = ""


class OperatorReply(BaseModel):
    step: str
    decision: str  # "retry" | "abort"
