"""``NutanixProvider``: EKS-A's Nutanix provider - machines are Prism Central VMs made by
CAPX (Cluster API Provider Nutanix).

Phases: the static spec rules (``spec_rules``); the existence check before a create
(``existing.find_existing``: VMs with CAPX's category of the cluster); the credentials check (the
``EKSA_NUTANIX_USERNAME`` / ``EKSA_NUTANIX_PASSWORD`` variables set); preflight against
Prism Central's v3 REST API (``preflight.preflight``: login over verified TLS, clusters,
subnets, images matching the Kubernetes version, projects, categories, the control-plane
endpoint); components (CAPX from the release bundle, its manifest variables -
``NUTANIX_ENDPOINT``, ``NUTANIX_PORT``, ``NUTANIX_INSECURE``, the trust bundle and the
credentials - resolved inside the install activity only); rendering (``render.render``);
the credentials Secret CAPX reads (EKS-A's ``secret-template.yaml`` shape, built inside the
apply activity only); upgrade rules (``validate_upgrade``, EKS-A's NutanixMachineConfig and
NutanixDatacenterConfig webhooks). Methods block (HTTP); activities run them on a thread pool.

Cleanup removes nothing itself: CAPX deletes the VMs of deleted Machines.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from types import ModuleType
from typing import Any, ClassVar

from eksa_temporal.logs import get_logger
from eksa_temporal.providers.base import (
    ComponentRef,
    PreflightOptions,
    Provider,
    ProviderContext,
    RenderContext,
)
from eksa_temporal.providers.capi.release import DEFAULT_RELEASE
from eksa_temporal.providers.nutanix import ccm, existing, spec_example
from eksa_temporal.providers.nutanix import preflight as checks
from eksa_temporal.providers.nutanix.credentials import (
    Credentials,
    capx_credentials_json,
    credential_findings,
    resolve_credentials,
)
from eksa_temporal.providers.nutanix.objects import MOVE_LABEL
from eksa_temporal.providers.nutanix.render import credentials_secret_name, render
from eksa_temporal.providers.nutanix.spec_defaults import machine_defaults
from eksa_temporal.providers.nutanix.spec_rules import NUTANIX_OBJECTS, nutanix_rules
from eksa_temporal.spec.clusterspec import ClusterSpec
from eksa_temporal.spec.findings import Finding
from eksa_temporal.spec.nutanix import NutanixDatacenterConfig, NutanixMachineConfig
from eksa_temporal.spec.plugins import KindDefaults, ProviderRule
from eksa_temporal.spec.provider_checks import ObjectRule

log = get_logger(__name__)
COMPONENT = "infrastructure-nutanix"


class NutanixProvider(Provider):
    """Nutanix Prism Central through CAPX; see the module docstring."""

    name = "nutanix"
    datacenter_kinds = ("NutanixDatacenterConfig",)
    spec_example: ClassVar[ModuleType | None] = spec_example
    can_create = True

    def __init__(
        self,
        *,
        env: Mapping[str, str] | None = None,
        timeout: float = 10.0,
        probe_ports: tuple[int, ...] = checks.PROBE_PORTS,
    ) -> None:
        """``env``: where the credentials are read (default: the process environment);
        ``timeout``: seconds per Prism Central request; ``probe_ports``: the ports an
        address in use answers on."""
        self._env = env
        self._timeout = timeout
        self._probe_ports = probe_ports

    def _source(self) -> Mapping[str, str]:
        return os.environ if self._env is None else self._env

    # -- spec layer -----------------------------------------------------------------------------
    def static_rule(self) -> ProviderRule | None:
        return nutanix_rules

    def spec_defaults(self) -> dict[str, KindDefaults]:
        return {"NutanixMachineConfig": machine_defaults}

    def object_rules(self) -> tuple[ObjectRule[Any], ...]:
        return tuple(NUTANIX_OBJECTS)

    # -- components -----------------------------------------------------------------------------
    def infrastructure_component(self) -> ComponentRef:
        return ComponentRef(name="nutanix", version=DEFAULT_RELEASE.version(COMPONENT))

    def component_variables(self, spec: ClusterSpec | None) -> dict[str, str]:
        """CAPX's manifest variables: Prism Central's address, port, TLS choice and trust
        bundle from the datacenter (without the spec: the worker's environment must set
        them), and the credentials. Used inside the install activity only."""
        creds = resolve_credentials(self._source())
        values = {
            "NUTANIX_USER": creds.username,
            "NUTANIX_PASSWORD": creds.password.get_secret_value(),
        }
        dc = spec.datacenter if spec is not None else None
        if isinstance(dc, NutanixDatacenterConfig):
            values |= {
                "NUTANIX_ENDPOINT": str(dc.spec.endpoint),
                "NUTANIX_PORT": str(dc.spec.port or 9440),
                "NUTANIX_INSECURE": "true" if dc.spec.insecure else "false",
            }
            if dc.spec.additional_trust_bundle:
                values["NUTANIX_ADDITIONAL_TRUST_BUNDLE"] = base64.b64encode(
                    str(dc.spec.additional_trust_bundle).encode()
                ).decode()
        return values

    # -- validation -----------------------------------------------------------------------------
    def validate_credentials(self, spec: ClusterSpec) -> list[Finding]:
        return credential_findings(self._source())

    def preflight(self, spec: ClusterSpec, options: PreflightOptions) -> list[Finding]:
        findings = checks.preflight(
            spec,
            self._source(),
            skip_ip_check=options.skip_ip_check,
            timeout=self._timeout,
            probe_ports=self._probe_ports,
        )
        log.info("nutanix preflight done", findings=len(findings))
        return findings

    def find_existing(self, spec: ClusterSpec, owner: str = "") -> str | None:
        """VMs in Prism Central carrying CAPX's category of a cluster named ``spec.name``
        (``existing.find_existing``; CAPX's VMs carry no owner identity, so ``owner`` cannot
        set any apart)."""
        return existing.find_existing(spec, self._source(), timeout=self._timeout)

    def validate_upgrade(self, old_spec: ClusterSpec, new_spec: ClusterSpec) -> list[Finding]:
        """What EKS-A's webhooks refuse to change on a Nutanix cluster: of every machine
        config that stays, ``cluster``, ``subnet``, ``osFamily`` and ``bootType``; of the
        control plane's machine config of a management cluster also its vCPUs, memory,
        disk and users; and the datacenter's ``credentialRef`` may not be removed."""
        found: list[Finding] = []
        old_mcs = {mc.name: mc for mc in old_spec.machine_configs_of(NutanixMachineConfig)}
        cp = new_spec.control_plane_machine_config
        cp_name = cp.name if cp is not None else ""
        for mc in new_spec.machine_configs_of(NutanixMachineConfig):
            old = old_mcs.get(mc.name)
            if old is None:
                continue
            fields = ["cluster", "subnet", "os_family", "boot_type"]
            if mc.name == cp_name and new_spec.is_self_managed:
                fields += [
                    "vcpu_sockets",
                    "vcpus_per_socket",
                    "memory_size",
                    "system_disk_size",
                    "users",
                ]
            for f in fields:
                before, after = getattr(old.spec, f), getattr(mc.spec, f)
                if _plain(before) != _plain(after):
                    path = f"NutanixMachineConfig/{mc.name}: spec.{_camel(f)}"
                    found.append(
                        Finding(
                            path=path,
                            message=f"spec.{_camel(f)} is immutable on a nutanix cluster ({_plain(before)!r} -> {_plain(after)!r})",
                            remediation="keep it as it is; use a new machine config (a new worker node group) for other values",
                            check="nutanix-immutable",
                        )
                    )
        old_dc, new_dc = old_spec.datacenter, new_spec.datacenter
        if (
            isinstance(old_dc, NutanixDatacenterConfig)
            and isinstance(new_dc, NutanixDatacenterConfig)
            and old_dc.spec.credential_ref is not None
            and new_dc.spec.credential_ref is None
        ):
            found.append(
                Finding(
                    path=f"NutanixDatacenterConfig/{new_dc.name}: spec.credentialRef",
                    message="credentialRef cannot be removed from an existing NutanixDatacenterConfig",
                    remediation="keep spec.credentialRef as it was",
                    check="nutanix-immutable",
                )
            )
        return found

    # -- rendering ------------------------------------------------------------------------------
    def render_capi_objects(self, spec: ClusterSpec, ctx: RenderContext) -> list[dict[str, Any]]:
        return render(spec, ctx.namespace, ctx.credentials_secret)

    def secret_objects(self, spec: ClusterSpec, ctx: RenderContext) -> list[dict[str, Any]]:
        """CAPX's credentials Secret and the cloud controller manager's (``ccm``), from one
        reading of the credentials."""
        creds = resolve_credentials(self._source())
        return [_capx_secret(spec, ctx, creds), ccm.credentials_secret(spec, ctx.namespace, creds)]

    def credentials_secret(self, spec: ClusterSpec, ctx: RenderContext) -> dict[str, Any]:
        """The Secret CAPX reads (``NutanixCluster.spec.prismCentral.credentialRef``), in
        EKS-A's ``secret-template.yaml`` shape; built inside the apply activity and handed
        straight to the Kubernetes client, never returned from an activity."""
        return _capx_secret(spec, ctx, resolve_credentials(self._source()))


def _capx_secret(spec: ClusterSpec, ctx: RenderContext, creds: Credentials) -> dict[str, Any]:
    doc = capx_credentials_json(creds)
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": credentials_secret_name(spec, ctx.credentials_secret),
            "namespace": ctx.namespace,
            "labels": {MOVE_LABEL: "true"},
        },
        "data": {"credentials": base64.b64encode(doc.encode()).decode()},
    }


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(p.title() for p in rest)


def _plain(value: Any) -> Any:
    """A comparable plain form of a spec value (models dumped by alias)."""
    if isinstance(value, list):
        return [_plain(v) for v in value]
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(by_alias=True, exclude_none=True)
    return value


def make_provider(ctx: ProviderContext) -> NutanixProvider:
    """The ``nutanix`` entry point (credentials from the environment)."""
    return NutanixProvider()
