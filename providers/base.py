"""The ``Provider`` protocol: what the lifecycle needs from an infrastructure provider,
organised by phase (validate credentials, preflight, render CAPI objects, prepare
infrastructure, clean up) - nothing more.

Activities call these methods; providers never import activities or workflows. Methods are
blocking (pyvmomi, paramiko, HTTP clients): activities run them on a thread pool. Secrets
are resolved inside the provider from references (environment variables, files), never
passed in.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, field_validator

from eksa_temporal.ownership import OWNER_LABEL, is_owner_id
from eksa_temporal.spec.findings import Finding


class PreflightOptions(BaseModel):
    model_config = ConfigDict(frozen=True)
    skip_ip_check: bool = False


class RenderContext(BaseModel):
    """Facts the renderer needs beyond the spec (decided by the workflow, not secrets)."""

    model_config = ConfigDict(frozen=True)
    namespace: str = "eksa-system"
    # name of the Kubernetes Secret (in ``namespace``) holding provider credentials, if any
    credentials_secret: str | None = None


class Ownership(BaseModel):
    """Whose infrastructure a cleanup may remove: the owner identity of one operation
    (``eksa_temporal.ownership.owner_id`` of a create run, or the owner label value a
    cluster's CAPI ``Cluster`` carries), as a plain value - providers match it exactly
    against labels, tags and custom attributes, never against names."""

    model_config = ConfigDict(frozen=True)
    owner: str
    # readable form for messages and logs (``workflow <id> (run <id>)``); never matched
    description: str = ""

    @field_validator("owner")
    @classmethod
    def _an_owner_id(cls, value: str) -> str:
        if not is_owner_id(value):
            raise ValueError(f"{value!r} is not an owner identity (eksa_temporal.ownership.owner_id)")
        return value

    def labels(self) -> dict[str, str]:
        return {OWNER_LABEL: self.owner}

    def owns(self, labels: Any) -> bool:
        """Whether ``labels`` (a label mapping, or None) carry exactly this owner."""
        return isinstance(labels, dict) and labels.get(OWNER_LABEL) == self.owner


class CleanupResult(BaseModel):
    model_config = ConfigDict(frozen=True)
    removed: list[str] = []
    kept: list[str] = []


class ComponentRef(BaseModel):
    """An infrastructure provider's CAPI components, as clusterctl names them."""

    model_config = ConfigDict(frozen=True)
    name: str  # e.g. "vsphere", "sim"
    version: str


@runtime_checkable
class Provider(Protocol):
    """One infrastructure provider. ``spec`` is an ``eksa_temporal.spec.ClusterSpec``."""

    name: str

    def infrastructure_component(self) -> ComponentRef:
        """Which infrastructure provider ``install-capi`` must install (clusterctl name)."""
        ...

    def validate_credentials(self, spec: Any) -> list[Finding]:
        """Resolve credentials from their references and log in; change nothing."""
        ...

    def preflight(self, spec: Any, options: PreflightOptions) -> list[Finding]:
        """Every provider check against the real infrastructure; change nothing."""
        ...

    def find_existing(self, spec: Any, owner: str = "") -> str | None:
        """Preflight, read-only: where infrastructure of a cluster named ``spec.name``
        already exists (one line: what was found, where), or None. What carries the owner
        identity ``owner`` (``eksa_temporal.ownership.owner_id`` of the asking create run)
        is that run's own and not reported; ``owner=""`` reports everything."""
        ...

    def render_capi_objects(self, spec: Any, ctx: RenderContext) -> list[dict[str, Any]]:
        """The CAPI objects for the cluster (Cluster, control plane, machine templates,
        MachineDeployments, provider cluster) as Kubernetes manifests."""
        ...

    def prepare_infrastructure(self, spec: Any) -> list[str]:
        """Idempotently create what must exist before machines (templates, folders);
        returns what was created (empty when everything existed)."""
        ...

    def cleanup(self, spec: Any, ownership: Ownership) -> CleanupResult:
        """Remove the cluster's infrastructure (leaked VMs, machines ...) that carries
        ``ownership``'s owner identity - nothing else, whatever its name."""
        ...
