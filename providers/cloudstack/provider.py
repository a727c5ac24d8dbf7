"""``CloudStackProvider``: Apache CloudStack through CAPC (cluster-api-provider-cloudstack).

Phases: the static spec rules (``spec_rules``); credentials and preflight against the
management API of every availability zone (``preflight.Checker``; keys from
``EKSA_CLOUDSTACK_B64ENCODED_SECRET``, resolved here and nowhere else); components (CAPC
from the release bundle); before the CAPI objects are applied, the failure-domain
credentials Secrets (one per profile the zones use, EKS-A's ``api-url`` / ``api-key`` /
``secret-key`` / ``verify-ssl``) applied on the managing cluster (``prepare_managing_cluster``:
CAPC reads them through each failure domain's ``acsEndpoint``); rendering
(``render.render``); upgrade rules as EKS-A's (``validate_upgrade``). Methods block (HTTP);
activities run them on a thread pool.

Cleanup removes nothing itself: CAPC destroys the VMs of deleted CloudStackMachines.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any, ClassVar

from eksa_temporal.errors import InvalidSpec
from eksa_temporal.kube.client import kube_for
from eksa_temporal.logs import get_logger
from eksa_temporal.providers.base import (
    ComponentRef,
    PreflightOptions,
    Provider,
    ProviderContext,
    RenderContext,
)
from eksa_temporal.providers.capi.release import DEFAULT_RELEASE
from eksa_temporal.providers.cloudstack import spec_example, view
from eksa_temporal.providers.cloudstack.api import Api
from eksa_temporal.providers.cloudstack.credentials import Profile, read_profiles, resolve_profiles
from eksa_temporal.providers.cloudstack.errors import CloudStackPermanentError
from eksa_temporal.providers.cloudstack.preflight import PROBE_PORTS, Checker
from eksa_temporal.providers.cloudstack.render import credential_secrets, render
from eksa_temporal.providers.cloudstack.spec_defaults import machine_defaults
from eksa_temporal.providers.cloudstack.spec_rules import CLOUDSTACK_OBJECTS, cloudstack_rules
from eksa_temporal.providers.kubeadm import endpoint_host
from eksa_temporal.spec.clusterspec import ClusterSpec
from eksa_temporal.spec.findings import Finding
from eksa_temporal.spec.plugins import KindDefaults, ProviderRule
from eksa_temporal.spec.provider_checks import ObjectRule

log = get_logger(__name__)
NAMESPACE = "eksa-system"
ZONE_FIELDS = ("name", "credentials_ref", "domain", "account", "endpoint", "zone", "network")


class CloudStackProvider(Provider):
    """Apache CloudStack through CAPC; see the module docstring."""

    name = "cloudstack"
    datacenter_kinds = ("CloudStackDatacenterConfig",)
    spec_example: ClassVar[ModuleType | None] = spec_example
    can_create = True

    def __init__(
        self,
        *,
        env: Mapping[str, str] | None = None,
        timeout: float = 10.0,
        probe_ports: tuple[int, ...] = PROBE_PORTS,
        api: Callable[[Profile], Api] | None = None,
    ) -> None:
        """``env``: where the credentials variable is read (default: the process
        environment); ``timeout``: seconds per API request; ``probe_ports``: the ports an
        endpoint address in use answers on."""
        self._env = env
        self._timeout = timeout
        self._probe_ports = probe_ports
        self._api = api or (lambda profile: Api(profile, timeout=self._timeout))

    def _source(self) -> Mapping[str, str]:
        return os.environ if self._env is None else self._env

    # -- spec layer -------------------------------------------------------------------------
    def static_rule(self) -> ProviderRule | None:
        return cloudstack_rules

    def spec_defaults(self) -> dict[str, KindDefaults]:
        return {"CloudStackMachineConfig": machine_defaults}

    def object_rules(self) -> tuple[ObjectRule[Any], ...]:
        return tuple(CLOUDSTACK_OBJECTS)

    # -- components ---------------------------------------------------------------------------
    def infrastructure_component(self) -> ComponentRef:
        return ComponentRef(name="cloudstack", version=DEFAULT_RELEASE.version("infrastructure-cloudstack"))

    # -- validation -----------------------------------------------------------------------------
    def _checker(self, spec: ClusterSpec) -> tuple[Checker | None, list[Finding]]:
        profiles, problems = read_profiles(self._source())
        if problems:
            return None, problems
        dc = view.datacenter(spec)
        return Checker(dc.name, view.zones(spec), view.machines(spec), profiles, self._api), []

    def validate_credentials(self, spec: ClusterSpec) -> list[Finding]:
        """Every zone's profile exists and logs in (zones, templates ... not checked)."""
        checker, problems = self._checker(spec)
        if checker is None:
            return problems
        for zone in checker.zones:
            checker.login(zone)
        return checker.findings

    def preflight(self, spec: ClusterSpec, options: PreflightOptions) -> list[Finding]:
        unsupported = _unsupported(spec)
        checker, problems = self._checker(spec)
        if checker is None:
            return unsupported + problems
        findings = unsupported + checker.run(endpoint_host(spec), options.skip_ip_check, self._probe_ports)
        log.info("cloudstack preflight done", findings=len(findings), zones=len(checker.zones))
        return findings

    def validate_upgrade(self, old_spec: ClusterSpec, new_spec: ClusterSpec) -> list[Finding]:
        """EKS-A's rules: the legacy ``domain``, ``account`` and ``zones`` may not change;
        an availability zone kept (same name) may not change at all, and at least one must
        be kept."""
        old_dc, new_dc = view.datacenter(old_spec).spec, view.datacenter(new_spec).spec
        dc = f"CloudStackDatacenterConfig/{view.datacenter(new_spec).name}"
        out: list[Finding] = []

        def refuse(path: str, message: str, fix: str) -> None:
            out.append(Finding(path=path, message=message, remediation=fix, check="cloudstack-immutable"))

        for key in ("domain", "account"):
            before, after = getattr(old_dc, key), getattr(new_dc, key)
            if before != after:
                refuse(f"{dc}.spec.{key}", f"spec.{key} is immutable ({before!r} -> {after!r})", f"keep spec.{key} as it is")
        if not old_dc.availability_zones and (old_dc.zones or []) != (new_dc.zones or []) and not new_dc.availability_zones:
            refuse(f"{dc}.spec.zones", "spec.zones is immutable", "keep spec.zones as it is")
        old_zones = {z.name: z for z in view.zones(old_spec)}
        new_zones = {z.name: z for z in view.zones(new_spec)}
        shared = set(old_zones) & set(new_zones)
        for name in sorted(shared):
            before, after = old_zones[name], new_zones[name]
            changed = [f for f in ZONE_FIELDS if getattr(before, f) != getattr(after, f)]
            if changed:
                refuse(
                    f"{dc}.spec.availabilityZones[{after.index}]",
                    f"availabilityZone {name} is immutable (changed: {', '.join(changed)})",
                    "keep the zone as it is; add a new availability zone instead",
                )
        if old_zones and not shared:
            refuse(
                f"{dc}.spec.availabilityZones",
                "at least one availability zone must be shared between the old and the new spec",
                "keep at least one of the cluster's availability zones",
            )
        return out

    # -- before provisioning ----------------------------------------------------------------------
    def prepare_managing_cluster(self, spec: ClusterSpec, kubeconfig: str) -> list[str]:
        """The failure-domain credentials Secrets applied where the cluster is managed
        (only what differs); keys stay between the environment and the API call."""
        try:
            profiles = resolve_profiles(self._source())
        except CloudStackPermanentError as exc:
            raise InvalidSpec(exc.message, fix=exc.remediation) from None
        secrets = credential_secrets(spec, profiles, NAMESPACE)
        missing = sorted({z.credentials_ref for z in view.zones(spec)} - set(profiles))
        if missing:
            raise InvalidSpec(
                f"credentialsRef {', '.join(missing)} is not a profile of EKSA_CLOUDSTACK_B64ENCODED_SECRET",
                fix="add the section to the INI or change the availability zone's credentialsRef",
            )
        kube = kube_for(kubeconfig)
        if kube.get("v1", "Namespace", NAMESPACE) is None:
            kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
        kube.apply(secrets)
        return [f"Secret {NAMESPACE}/{s['metadata']['name']}" for s in secrets]

    # -- rendering ------------------------------------------------------------------------------------
    def render_capi_objects(self, spec: ClusterSpec, ctx: RenderContext) -> list[dict[str, Any]]:
        return render(spec, ctx.namespace)


def _unsupported(spec: ClusterSpec) -> list[Finding]:
    """What this build cannot create on CloudStack: external etcd (EtcdadmCluster machines)."""
    if spec.cluster.spec.external_etcd_configuration is None:
        return []
    return [
        Finding(
            path="Cluster.spec.externalEtcdConfiguration",
            message="external etcd is not supported by this build's cloudstack provider (stacked etcd only)",
            remediation="remove externalEtcdConfiguration: etcd then runs on the control-plane machines",
            check="cloudstack-supported",
        )
    ]


def make_provider(ctx: ProviderContext) -> CloudStackProvider:
    """The ``cloudstack`` entry point (credentials from the environment)."""
    return CloudStackProvider()
