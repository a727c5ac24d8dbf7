"""What the three lifecycle workflows share: the ``progress`` query, the ``retry`` and
``abort`` operator updates (each with a validator, so a request that does not fit is refused
before it enters history), the arguments every step receives, and the diagnostics step.

``CreateClusterWorkflow``, ``UpgradeClusterWorkflow`` and ``DeleteClusterWorkflow`` subclass
``LifecycleWorkflow``; Temporal registers the inherited handlers with each of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from eksa_temporal.activities.models import (
        ClusterStepInput,
        SupportBundleInput,
    )
    from eksa_temporal.errors import InvalidSpec
    from eksa_temporal.workflows.facts import ClusterFacts, SpecError, cluster_facts
    from eksa_temporal.workflows.models import (
        OperationInput,
        OperationProgress,
        OperatorReply,
        OperatorRequest,
    )
    from eksa_temporal.workflows.plans import DIAGNOSTICS, Step
    from eksa_temporal.workflows.runner import Operation

M = TypeVar("M", bound=ClusterStepInput)


class LifecycleWorkflow:
    """Base of the lifecycle workflows; ``begin`` must run first in ``run``."""

    op: Operation
    facts: ClusterFacts
    inp: OperationInput

    def begin(self, operation: str, inp: OperationInput, plan: Callable[[ClusterFacts], list[Step]]) -> None:
        """Read the spec's facts, choose the plan, publish search attributes and details."""
        self.inp = inp
        try:
            self.facts = cluster_facts(inp.spec_yaml)
        except SpecError as exc:
            raise InvalidSpec(str(exc), fix="pass a spec made by `eksa-temporal generate clusterconfig`") from exc
        self.op = Operation(operation, self.facts, inp.timeouts, plan(self.facts))
        self.op.announce()

    def common(self, **extra: Any) -> dict[str, Any]:
        """The fields every step input takes (references only, never secret values)."""
        args: dict[str, Any] = {
            "cluster_name": self.facts.name,
            "namespace": self.facts.namespace,
            "provider": self.facts.provider,
            "spec_yaml": self.inp.spec_yaml,
            "workdir": self.inp.workdir,
            "management_kubeconfig": self.inp.management_kubeconfig,
            "components_dir": self.inp.components_dir,
            "skip_ip_check": self.inp.skip_ip_check,
            "hardware_csv": self.inp.hardware_csv,
            "hardware_csv_sha256": self.inp.hardware_csv_sha256,
            "origin": self.inp.origin,
            # the activity's own waits end a little before its start-to-close timeout, so a
            # slow cluster fails with a clear "timed out waiting for ..." line
            "control_plane_wait_seconds": 0.9 * self.inp.timeouts.long_step_seconds,
            "deployment_wait_seconds": 0.9 * self.inp.timeouts.long_step_seconds,
        }
        args.update(extra)
        return args

    def step_input(self, model: type[M], **extra: Any) -> M:
        """A step's input model: the common fields plus ``extra``."""
        return model(**self.common(**extra))

    def elapsed(self) -> float:
        return (workflow.now() - workflow.info().start_time).total_seconds()

    async def diagnose(self) -> None:
        """Collect a support bundle into ``<c>/support-bundle-<ts>.tar.gz`` (best effort)."""
        stamp = workflow.now().strftime("%Y%m%dT%H%M%SZ")
        await self.op.side_step(
            DIAGNOSTICS,
            self.step_input(
                SupportBundleInput, bundle_path=f"{self.inp.workdir.rstrip('/')}/support-bundle-{stamp}.tar.gz"
            ),
            attempts=2,
        )

    @workflow.query
    def progress(self) -> OperationProgress:
        """Steps with state, timings, attempts and last error, and the phase."""
        return self._started().progress

    @workflow.update
    async def retry(self, request: OperatorRequest) -> OperatorReply:
        """Run the parked step again."""
        return OperatorReply(step=self.op.decide("retry"), decision="retry")

    @retry.validator
    def _validate_retry(self, request: OperatorRequest) -> None:
        self._started().validate_decision()

    @workflow.update
    async def abort(self, request: OperatorRequest) -> OperatorReply:
        """Give up the parked step: compensate (unless keep-on-failure), then fail."""
        return OperatorReply(step=self.op.decide("abort"), decision="abort")

    @abort.validator
    def _validate_abort(self, request: OperatorRequest) -> None:
        self._started().validate_decision()

    def _started(self) -> Operation:
        if getattr(self, "op", None) is None:
            raise ValueError("the operation has not started yet")
        return self.op
