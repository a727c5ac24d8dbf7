"""Helpers every activity module shares: permanent errors with a remediation line, loading
the spec from the step input, heartbeat progress with resume, secret-safe file writes and
the CAPI API versions the lifecycle reads.

Permanent problems raise one of the classes of ``eksa_temporal.errors``; anything else is
raised as is and retried by Temporal.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from temporalio import activity

from eksa_temporal import config
from eksa_temporal.activities.models import ClusterStepInput
from eksa_temporal.errors import InvalidSpec, NotFound, PermanentError
from eksa_temporal.files import private_dir, write_private
from eksa_temporal.logs import get_logger
from eksa_temporal.providers.capi.release import DEFAULT_RELEASE, Release
from eksa_temporal.providers.capi.source import ComponentSource, configured_source
from eksa_temporal.spec import ClusterSpec, Finding, check_spec_text
from eksa_temporal.spec.clusterspec import HardwareCsvRef

log = get_logger("activities")

CAPI_V1 = "cluster.x-k8s.io/v1beta1"
KCP_V1 = "controlplane.cluster.x-k8s.io/v1beta1"
EKSA_SYSTEM = "eksa-system"

M = TypeVar("M", bound=BaseModel)


def findings_error(findings: list[Finding], error: type[PermanentError], what: str) -> PermanentError:
    """``error`` listing the findings, each with its own remediation."""
    lines = "; ".join(f.line() for f in findings)
    return error(f"{what}: {lines}")


def load_spec(inp: ClusterStepInput) -> ClusterSpec:
    """The validated spec of the step, or a non-retryable ``InvalidSpec`` error."""
    spec, findings = check_spec_text(inp.spec_yaml, source=f"{inp.cluster_name} spec")
    errors = [f for f in findings if f.is_error]
    if spec is None or errors:
        raise findings_error(errors or findings, InvalidSpec, "the cluster spec is invalid")
    if inp.hardware_csv:
        ref = HardwareCsvRef(path=inp.hardware_csv, sha256=inp.hardware_csv_sha256 or "")
        spec = spec.model_copy(update={"hardware_csv": ref})
    return spec


def resume(model: type[M]) -> M | None:
    """The last heartbeat details of a previous attempt, re-validated (None on attempt 1)."""
    if not activity.in_activity():
        return None
    details = activity.info().heartbeat_details
    if not details:
        return None
    try:
        return model.model_validate(details[-1])
    except ValidationError:
        log.warning("heartbeat details unreadable; starting over", model=model.__name__)
        return None


def heartbeat(progress: BaseModel) -> None:
    """Record progress (no secrets in it); a no-op outside an activity."""
    if activity.in_activity():
        activity.heartbeat(progress.model_dump(mode="json"))


def progress_interval(longest: float = 5.0) -> float:
    """Seconds between a wait's progress reports (and so heartbeats): at most a third of the
    running activity's heartbeat timeout - the SDK holds heartbeats back for up to 0.8 x the
    timeout, and a busy worker adds its own delay - and at most ``longest``."""
    if activity.in_activity():
        timeout = activity.info().heartbeat_timeout
        if timeout:
            return max(0.5, min(longest, timeout.total_seconds() / 3))
    return longest


def cancelled() -> bool:
    """Whether the running activity was cancelled (False outside an activity)."""
    return activity.in_activity() and activity.is_cancelled()


def owner_marker(inp: ClusterStepInput) -> Path:
    """``<c>/generated/<c>.owner``: the create run that passed validation for this folder."""
    return inp.dir / "generated" / f"{inp.cluster_name}.owner"


def current_run() -> dict[str, str]:
    if not activity.in_activity():
        return {"workflow_id": "", "run_id": ""}
    info = activity.info()
    return {"workflow_id": info.workflow_id or "", "run_id": info.workflow_run_id or ""}


def owned_by_this_run(inp: ClusterStepInput) -> bool:
    """Whether the ownership marker names the workflow run executing this activity."""
    marker = owner_marker(inp)
    if not marker.exists():
        return False
    try:
        return bool(json.loads(marker.read_text()) == current_run())
    except ValueError:
        return False


def claim(inp: ClusterStepInput) -> None:
    """Record that this workflow run owns the cluster's output folder."""
    marker = owner_marker(inp)
    if not inp.dir.exists():  # a new cluster folder is owner-only; a folder given with
        private_dir(inp.dir)  # --workdir that exists keeps its mode (its files are 0600)
    private_dir(marker.parent)
    write_private(marker, json.dumps(current_run()))


def owned_by_another_run(inp: ClusterStepInput) -> bool:
    marker = owner_marker(inp)
    return marker.exists() and not owned_by_this_run(inp)


def capi_cluster_kubeconfig(inp: ClusterStepInput) -> str:
    """The kubeconfig path of the cluster holding this cluster's CAPI objects: the bootstrap
    cluster for a management create, else the management cluster (else the cluster itself)."""
    for candidate in (inp.bootstrap_kubeconfig, inp.management_kubeconfig, inp.kubeconfig):
        if candidate:
            return candidate
    if inp.bootstrap_kubeconfig_path.exists():
        return str(inp.bootstrap_kubeconfig_path)
    if inp.kubeconfig_path.exists():
        return str(inp.kubeconfig_path)
    raise NotFound(f"no cluster holds the CAPI objects of {inp.cluster_name}", fix="pass --kubeconfig of the management cluster")


def short(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    ns = meta.get("namespace")
    return f"{obj.get('kind')}/{ns + '/' if ns else ''}{meta.get('name')}"


class UsesComponents:
    """Activities that read the Cluster API components the install step installs: the
    release (``release``), where the files come from (``source``) and the verified download
    cache (``cache_dir``); the same defaults everywhere."""

    def __init__(
        self,
        *,
        release: Release = DEFAULT_RELEASE,
        cache_dir: Path | None = None,
        source: ComponentSource | None = None,
    ) -> None:
        self.release = release
        self.source = source or configured_source()
        self.cache_dir = cache_dir or config.components_cache_dir()
