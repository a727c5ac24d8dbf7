"""The ``Provider`` base class: what the lifecycle needs from an infrastructure provider,
organised by phase, with every optional phase a hook that does nothing by default.

Required of each provider: ``name``, the datacenterRef kind(s) that select it
(``datacenter_kinds``), ``infrastructure_component()`` and ``render_capi_objects()``.
Hooks (no-op defaults): credentials check, preflight, existence check, bootstrap-cluster
options, work on the bootstrap cluster before Cluster API is installed, the components
to install, preparing infrastructure, work after the workload cluster is initialised and
after the management move, upgrade validation, the credentials Secret, cleanup, and the
provider's static spec rules. ``hooks()`` names the step hooks a provider overrides; the
runbook adds a step only for those.

Providers never import activities or workflows, nor each other. Methods block (pyvmomi,
paramiko, HTTP clients); activities run them on a thread pool. Secrets are resolved
inside the provider from references (environment variables, files), never passed in.
Providers are found through the ``eksa_temporal.providers`` entry-point group
(``eksa_temporal.providers.registry``); each entry point's value is a factory taking a
``ProviderContext``.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict, field_validator

from eksa_temporal.ownership import OWNER_LABEL, is_owner_id
from eksa_temporal.providers.kubeadm import mirror_base
from eksa_temporal.providers.proxy import no_proxy
from eksa_temporal.spec.base import KubeObject
from eksa_temporal.spec.clusterspec import ClusterSpec
from eksa_temporal.spec.findings import Finding
from eksa_temporal.spec.plugins import KindDefaults, ProviderRule, SpecPlugin
from eksa_temporal.spec.provider_checks import ObjectRule
from eksa_temporal.spec.rules_util import Collector

# A provider's static spec rule: the whole spec in, findings out (never raises on a
# decodable spec; ``validate_spec`` guards it anyway).
SpecRule = Callable[[ClusterSpec], list[Finding]]

# The step hooks: a provider overriding one gets the matching runbook step.
STEP_HOOKS: frozenset[str] = frozenset(
    {"prepare_bootstrap_cluster", "after_workload_init", "after_move"}
)


class PreflightOptions(BaseModel):
    model_config = ConfigDict(frozen=True)
    skip_ip_check: bool = False


class RenderContext(BaseModel):
    """Facts the renderer needs beyond the spec (decided by the workflow, not secrets)."""

    model_config = ConfigDict(frozen=True)
    namespace: str = "eksa-system"
    # name of the Kubernetes Secret (in ``namespace``) holding provider credentials, if any
    credentials_secret: str | None = None


class BootstrapOptions(BaseModel):
    """How a provider wants its bootstrap ("kind") cluster made; empty by default."""

    model_config = ConfigDict(frozen=True)
    # kind node image (``kind create cluster --image``); "" = the bootstrapper's default
    node_image: str = ""
    # extra labels for the bootstrap cluster (beside the owner identity)
    labels: dict[str, str] = {}
    # environment for the bootstrap cluster's container runtime (e.g. proxy settings)
    env: dict[str, str] = {}
    # registry mirror endpoint for the bootstrap cluster's images, if any
    registry_mirror: str = ""
    # host folders mounted into the bootstrap cluster's node ({hostPath, containerPath}), e.g.
    # the Docker socket for the Docker provider
    extra_mounts: list[dict[str, str]] = []


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


class InfrastructureController(Protocol):
    """A provider's infrastructure controller run by the worker itself while an activity
    waits (``Provider.infrastructure_controller``)."""

    def progress(self) -> dict[str, str]:
        """Per machine or host, the step it is at (for heartbeats; no secrets)."""
        ...

    def check(self) -> None:
        """Raise the error the controller met, if any (the waiting activity fails with it)."""
        ...


@dataclass(frozen=True)
class ProviderContext:
    """What a provider factory may use from the process that builds it."""

    # where the simulated infrastructure keeps its state (tests point at their own)
    sim_state_dir: Path
    # the simulated infrastructure's admin client, built once per process on first use
    sim_client: Callable[[], Any] = field(default=lambda: None)


class Provider:
    """One infrastructure provider. Subclasses set ``name`` and ``datacenter_kinds`` and
    implement ``infrastructure_component`` and ``render_capi_objects``; every other method
    is a hook whose default does nothing."""

    name: ClassVar[str] = ""
    # the datacenterRef kind(s) that select this provider, e.g. ("VSphereDatacenterConfig",)
    datacenter_kinds: ClassVar[tuple[str, ...]] = ()
    # whether the provider can create clusters (False: spec rules and defaults only)
    can_create: ClassVar[bool] = True
    # the module holding the provider's ``generate clusterconfig`` example values, if any
    spec_example: ClassVar[ModuleType | None] = None
    # spec models the provider contributes (kinds the built-in spec does not know)
    datacenter_model: ClassVar[type[KubeObject] | None] = None
    machine_model: ClassVar[type[KubeObject] | None] = None
    # whether the Cluster must set controlPlaneConfiguration.endpoint.host
    endpoint_required: ClassVar[bool] = True

    # -- required ---------------------------------------------------------------------------
    def infrastructure_component(self) -> ComponentRef:
        """Which infrastructure provider ``install-capi`` must install (clusterctl name)."""
        raise NotImplementedError(f"provider {self.name!r} has no infrastructure component")

    def bootstrap_formats(self, spec: ClusterSpec) -> dict[str, list[str]]:
        """The KubeadmConfig ``format`` values other than ``cloud-config`` that the rendered
        objects use, each with the spec fields that choose it (``{"bottlerocket":
        ["VSphereMachineConfig/cp: spec.osFamily"]}``); checked at preflight against what the
        Cluster API components to be installed accept."""
        return {}

    def render_capi_objects(self, spec: ClusterSpec, ctx: RenderContext) -> list[dict[str, Any]]:
        """The CAPI objects for the cluster (Cluster, control plane, machine templates,
        MachineDeployments, provider cluster) as Kubernetes manifests."""
        raise NotImplementedError(f"provider {self.name!r} cannot render Cluster API objects")

    # -- validation hooks ---------------------------------------------------------------------
    def spec_rules(self) -> list[SpecRule]:
        """The provider's static spec rules (run by ``validate_spec`` when given)."""
        return []

    def object_rules(self) -> tuple[ObjectRule[Any], ...]:
        """Rules of single objects of the provider's kinds (also for a manifest without a
        Cluster)."""
        return ()

    def spec_defaults(self) -> dict[str, KindDefaults]:
        """Defaults per kind, applied to each document of that kind before decoding."""
        return {}

    def static_rule(self) -> ProviderRule | None:
        """The provider's static rules as one function over the spec and the provider
        check's collector (``<provider>-static``); by default the ``spec_rules()`` in turn."""
        rules = self.spec_rules()
        if not rules:
            return None

        def provider_rules(spec: ClusterSpec, c: Collector) -> list[Finding]:
            found: list[Finding] = []
            for rule in rules:
                found += rule(spec)
            return found

        return provider_rules

    def spec_plugin(self) -> SpecPlugin:
        """Everything the provider adds to the spec layer (``eksa_temporal.spec.plugins``),
        with the ``generate clusterconfig`` example values of its ``spec_example`` module
        (``DATACENTER``, ``machine(name)``, ``CONTROL_PLANE_COUNT``) when it has one."""
        example = self.spec_example
        return SpecPlugin(
            provider=self.name,
            datacenter=self.datacenter_model,
            machine=self.machine_model,
            rules=self.static_rule(),
            object_rules=self.object_rules(),
            defaults=self.spec_defaults(),
            endpoint_required=self.endpoint_required,
            example_datacenter=example.DATACENTER if example else None,
            example_machine=example.machine if example else None,
            example_control_plane_count=example.CONTROL_PLANE_COUNT if example else 1,
        )

    def validate_credentials(self, spec: ClusterSpec) -> list[Finding]:
        """Resolve credentials from their references and log in; change nothing."""
        return []

    def preflight(self, spec: ClusterSpec, options: PreflightOptions) -> list[Finding]:
        """Every provider check against the real infrastructure; change nothing. A provider
        that cannot create clusters (``can_create = False``: spec rules only) refuses here,
        before anything is changed."""
        if self.can_create:
            return []
        return [
            Finding(
                path="Cluster.spec.datacenterRef.kind",
                message=f"the {self.name} provider cannot create or change clusters in this build (spec rules only)",
                remediation="use a provider that can create clusters (sim, vsphere)",
                check=f"{self.name}-supported",
            )
        ]

    def find_existing(self, spec: ClusterSpec, owner: str = "") -> str | None:
        """Preflight, read-only: where infrastructure of a cluster named ``spec.name``
        already exists (one line: what was found, where), or None. What carries the owner
        identity ``owner`` (``eksa_temporal.ownership.owner_id`` of the asking create run)
        is that run's own and not reported; ``owner=""`` reports everything."""
        return None

    def validate_upgrade(self, old_spec: ClusterSpec, new_spec: ClusterSpec) -> list[Finding]:
        """Provider rules for changing ``old_spec`` into ``new_spec`` (immutable fields ...)."""
        return []

    # -- bootstrap cluster ------------------------------------------------------------------
    def bootstrap_options(self, spec: ClusterSpec) -> BootstrapOptions:
        """How the bootstrap cluster should be made for ``spec``: by default, as EKS-A makes
        kind clusters for every provider, with the spec's registry mirror and its proxy in
        the container runtime's environment. Providers add their own (Docker: the socket)."""
        cluster = spec.cluster
        env: dict[str, str] = {}
        proxy = cluster.spec.proxy_configuration
        if proxy is not None:
            env = {
                "HTTP_PROXY": str(proxy.http_proxy or ""),
                "HTTPS_PROXY": str(proxy.https_proxy or ""),
                "NO_PROXY": ",".join(no_proxy(cluster)),
            }
        return BootstrapOptions(registry_mirror=mirror_base(cluster), env=env)

    def bootstrapper(self) -> Any:
        """This provider's own bootstrap-cluster backend (a ``providers.bootstrap.Bootstrapper``),
        or None for the default one."""
        return None

    def prepare_bootstrap_cluster(self, spec: ClusterSpec, bootstrap_kubeconfig: str) -> list[str]:
        """Work on the bootstrap cluster before Cluster API is installed; returns what was done."""
        return []

    # -- components and rendering -----------------------------------------------------------------
    def components(self, spec: ClusterSpec | None) -> list[ComponentRef]:
        """The components to install for ``spec`` (None: the spec is not at hand): the
        infrastructure provider, then addons by their release-bundle name."""
        return [self.infrastructure_component()]

    def component_variables(self, spec: ClusterSpec | None) -> dict[str, str]:
        """Values for the provider's component manifest variables (clusterctl's
        ``${VSPHERE_USERNAME}`` ...), credentials resolved from their references. Used inside
        the install activity only: never logged, never returned."""
        return {}

    def credentials_secret(self, spec: ClusterSpec, ctx: RenderContext) -> dict[str, Any] | None:
        """The Kubernetes Secret (manifest) holding the provider's credentials, named
        ``ctx.credentials_secret``, or None when the provider needs none."""
        return None

    def secret_objects(self, spec: ClusterSpec, ctx: RenderContext) -> list[dict[str, Any]]:
        """Every Secret (manifest) the apply activity creates with the CAPI objects, built
        there and handed straight to the Kubernetes client: the credentials Secret, and any
        other Secret that holds credentials."""
        secret = self.credentials_secret(spec, ctx)
        return [secret] if secret else []

    def prepare_managing_cluster(self, spec: ClusterSpec, kubeconfig: str) -> list[str]:
        """Idempotent work on the cluster that manages (or will manage) ``spec``'s cluster
        - the bootstrap cluster, or the management cluster of a workload cluster - right
        before a create or an upgrade applies its CAPI objects there, e.g. the bare-metal
        inventory objects; returns
        what was done. Secrets it needs are read here and handed to the Kubernetes client
        only."""
        return []

    def prepare_infrastructure(self, spec: ClusterSpec) -> list[str]:
        """Idempotently create what must exist before machines (templates, folders);
        returns what was created (empty when everything existed)."""
        return []

    def infrastructure_controller(
        self, spec: ClusterSpec, kubeconfig: str
    ) -> AbstractContextManager[InfrastructureController | None]:
        """For a provider whose infrastructure controller is the worker itself: run it in
        the background against the cluster holding ``spec``'s CAPI objects (``kubeconfig``)
        for the duration of the block, while an activity waits on them. Default: none (the
        provider's controllers run in the cluster)."""
        return nullcontext(None)

    # -- after the cluster exists -------------------------------------------------------------------
    def after_workload_init(self, spec: ClusterSpec, kubeconfig: str) -> list[str]:
        """Work on the new workload cluster once its kubeconfig is written."""
        return []

    def after_move(self, spec: ClusterSpec, kubeconfig: str) -> list[str]:
        """Work on the cluster after Cluster API was moved into it."""
        return []

    def cleanup(self, spec: ClusterSpec, ownership: Ownership) -> CleanupResult:
        """Remove the cluster's infrastructure (leaked VMs, machines ...) that carries
        ``ownership``'s owner identity - nothing else, whatever its name."""
        return CleanupResult()

    # -- introspection -----------------------------------------------------------------------------
    def hooks(self) -> frozenset[str]:
        """The step hooks (``STEP_HOOKS``) this provider overrides."""
        return frozenset(
            hook
            for hook in STEP_HOOKS
            if getattr(type(self), hook, None) is not getattr(Provider, hook)
        )
