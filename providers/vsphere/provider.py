"""``VSphereProvider``: the ``Provider`` protocol for vCenter, on pyvmomi.

Each method resolves the credentials from ``EKSA_VSPHERE_USERNAME`` /
``EKSA_VSPHERE_PASSWORD`` itself, opens one vCenter session (thumbprint pinned, logged out
on exit) and runs one phase: validate credentials, preflight, render the CAPI/CAPV
objects (no session needed), prepare (import template OVAs), clean up (destroy the VMs
carrying an operation's owner identity). Methods block; activities run them on a thread pool. Options that are not
part of the EKS-A spec (OVAs to import, the EKS-D release name, images) come from the
constructor, or ``EKSA_VSPHERE_TEMPLATE_OVA`` for a single OVA used for every missing
template.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any, ClassVar

from eksa_temporal.logs import get_logger
from eksa_temporal.providers.base import (
    CleanupResult,
    ComponentRef,
    Ownership,
    PreflightOptions,
    Provider,
    ProviderContext,
    RenderContext,
)
from eksa_temporal.providers.capi.release import DEFAULT_RELEASE
from eksa_temporal.providers.kubeadm import formats_chosen
from eksa_temporal.providers.vsphere import existing, spec_example
from eksa_temporal.providers.vsphere.cleanup import cleanup_vms
from eksa_temporal.providers.vsphere.credentials import credential_findings, resolve_credentials
from eksa_temporal.providers.vsphere.errors import VSphereError, VSpherePermanentError
from eksa_temporal.providers.vsphere.ova import import_ova
from eksa_temporal.providers.vsphere.preflight import Checker
from eksa_temporal.providers.vsphere.render import (
    RenderOptions,
    credentials_secret,
    render,
)
from eksa_temporal.providers.vsphere.session import Session, Target, vcenter_session
from eksa_temporal.providers.vsphere.spec_defaults import datacenter_defaults, machine_defaults
from eksa_temporal.providers.vsphere.spec_rules import VSPHERE_OBJECTS, vsphere_rules
from eksa_temporal.providers.vsphere.view import ClusterView, cluster_view
from eksa_temporal.spec.findings import Finding
from eksa_temporal.spec.plugins import KindDefaults, ProviderRule
from eksa_temporal.spec.provider_checks import ObjectRule

log = get_logger(__name__)
OVA_ENV = "EKSA_VSPHERE_TEMPLATE_OVA"


def _error_finding(exc: VSphereError, check: str) -> Finding:
    # errors without a path come from reading the spec itself (``cluster_view``)
    return Finding(
        path=exc.path or "spec",
        message=exc.message,
        remediation=exc.remediation,
        check=check if exc.path else "vsphere-spec",
    )


class VSphereProvider(Provider):
    """vSphere through vCenter; see the module docstring."""

    name = "vsphere"
    datacenter_kinds = ("VSphereDatacenterConfig",)
    spec_example: ClassVar[ModuleType | None] = spec_example

    def static_rule(self) -> ProviderRule | None:
        return vsphere_rules

    def spec_defaults(self) -> dict[str, KindDefaults]:
        return {"VSphereMachineConfig": machine_defaults, "VSphereDatacenterConfig": datacenter_defaults}

    def object_rules(self) -> tuple[ObjectRule[Any], ...]:
        return VSPHERE_OBJECTS

    def __init__(
        self,
        *,
        template_ovas: Mapping[str, str] | None = None,
        eksd_release: str = "",
        render_options: RenderOptions | None = None,
        timeout: float = 30.0,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self._ovas = dict(template_ovas or {})
        self._eksd_release = eksd_release
        self._render = render_options or RenderOptions()
        self._timeout = timeout
        self._env = env

    # -- helpers ------------------------------------------------------------------------
    def _source(self) -> Mapping[str, str]:
        return os.environ if self._env is None else self._env

    def _ova_for(self, template: str) -> str | None:
        return self._ovas.get(template) or self._source().get(OVA_ENV) or None

    def _target(self, view: ClusterView) -> Target:
        return Target(
            server=view.server,
            thumbprint=view.thumbprint,
            insecure=view.insecure,
            source=f"VSphereDatacenterConfig/{view.datacenter_name}",
        )

    def _session(self, view: ClusterView) -> Any:
        return vcenter_session(
            self._target(view), resolve_credentials(self._source()), self._timeout
        )

    # -- Provider protocol -------------------------------------------------------------
    def bootstrap_formats(self, spec: Any) -> dict[str, list[str]]:
        machines = cluster_view(spec).machines
        return formats_chosen((f"VSphereMachineConfig/{m.name}: spec.osFamily", m.os_family) for m in machines)

    def infrastructure_component(self) -> ComponentRef:
        return ComponentRef(name="vsphere", version=DEFAULT_RELEASE.version("infrastructure-vsphere"))

    def validate_credentials(self, spec: Any) -> list[Finding]:
        missing = credential_findings(self._source())
        if missing:
            return missing
        try:
            view = cluster_view(spec)
            with self._session(view):
                log.info("vsphere-login-ok", server=view.server)
        except VSpherePermanentError as exc:
            return [_error_finding(exc, "vsphere-login")]
        return []

    def preflight(self, spec: Any, options: PreflightOptions) -> list[Finding]:
        missing = credential_findings(self._source())
        if missing:
            return missing
        try:
            view = cluster_view(spec)
            importable = {m.template for m in view.machines if self._ova_for(m.template)}
            with self._session(view) as session:
                checker = Checker(
                    session, view, importable_templates=importable, eksd_release=self._eksd_release
                )
                findings = checker.run(skip_ip_check=options.skip_ip_check)
        except VSpherePermanentError as exc:
            return [_error_finding(exc, "vsphere-login")]
        log.info("vsphere-preflight-done", findings=len(findings))
        return findings

    def find_existing(self, spec: Any, owner: str = "") -> str | None:
        """Where VMs of a cluster named ``spec.name`` exist (``existing.find_existing``)."""
        view = cluster_view(spec)
        with self._session(view) as session:
            return existing.find_existing(session, view, owner)

    def render_capi_objects(self, spec: Any, ctx: RenderContext) -> list[dict[str, Any]]:
        return render(cluster_view(spec), ctx.namespace, ctx.credentials_secret, self._render)

    def component_variables(self, spec: Any) -> dict[str, str]:
        """CAPV's manifest variables: the vCenter credentials (its manager's default identity)."""
        creds = resolve_credentials(self._source())
        return {"VSPHERE_USERNAME": creds.username, "VSPHERE_PASSWORD": creds.password.get_secret_value()}

    def credentials_secret(self, spec: Any, ctx: RenderContext) -> dict[str, Any]:
        """The credentials Secret (holds the password): build it inside the apply activity
        and hand it straight to the Kubernetes client; never return it from an activity."""
        return credentials_secret(
            cluster_view(spec),
            ctx.namespace,
            ctx.credentials_secret,
            resolve_credentials(self._source()),
        )

    def prepare_infrastructure(self, spec: Any) -> list[str]:
        view = cluster_view(spec)
        created: list[str] = []
        with self._session(view) as session:
            done: set[str] = set()
            for machine in view.machines:
                source = self._ova_for(machine.template)
                if source is None or machine.template in done:
                    continue
                done.add(machine.template)
                if import_ova(session, view, machine, source, self._eksd_release):
                    created.append(f"template {machine.template}")
        if not created:
            log.info("vsphere-prepare-noop")
        return created

    def cleanup(
        self,
        spec: Any,
        ownership: Ownership,
        on_removed: Callable[[str], None] | None = None,
    ) -> CleanupResult:
        """Destroy the VMs in the spec's datacenter that carry ``ownership`` (tag or custom
        attribute), straight on vCenter; names are never matched."""
        view = cluster_view(spec)
        session: Session
        with self._session(view) as session:
            removed, kept = cleanup_vms(session, view.datacenter, ownership.owner, on_removed)
        return CleanupResult(removed=removed, kept=kept)


def make_provider(ctx: ProviderContext) -> VSphereProvider:
    """The ``vsphere`` entry point (options from the environment)."""
    return VSphereProvider()
