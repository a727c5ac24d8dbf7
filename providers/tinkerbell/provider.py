"""``TinkerbellProvider``: EKS-A's bare-metal provider - machines described by the hardware
CSV (``-z/--hardware-csv``), provisioned by CAPT (Cluster API Provider Tinkerbell) with the
Tinkerbell stack (tink, Rufio) beside it.

Phases: the static spec rules (``spec_rules``); preflight (``preflight.preflight``: the CSV,
the hardware selectors against it, every BMC over Redfish in parallel, ``tinkerbellIP`` and
the control-plane endpoint not in use); components (CAPT and the ``tinkerbell-stack``
addon, on the bootstrap and the management cluster); before provisioning, the hosts powered
off through their BMCs (``prepare_bootstrap_cluster``) and the inventory objects applied to
the managing cluster (``prepare_managing_cluster``: Hardware, BMC Machines, auth Secrets
with the CSV's passwords, and the hosts no machine claimed powered off - also for a
workload cluster, which has no bootstrap cluster); rendering (``render.render``); upgrade
rules (``validate_upgrade``). The CSV is read from the path in ``spec.hardware_csv`` by
each method that needs it; passwords never leave the method. Methods block (Redfish,
Kubernetes); activities run them on a thread pool.

Cleanup removes nothing: the hosts and their Hardware objects are the user's inventory
(never carrying an operation's owner identity), and machines CAPT provisioned are released
by CAPT when their Machines are deleted; ``cleanup`` names the hosts it keeps.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import ModuleType
from typing import Any, ClassVar

from eksa_temporal.errors import InvalidSpec
from eksa_temporal.kube.client import kube_for
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
from eksa_temporal.providers.kubeadm import CLUSTER_V, formats_chosen
from eksa_temporal.providers.tinkerbell import preflight as checks
from eksa_temporal.providers.tinkerbell import spec_example
from eksa_temporal.providers.tinkerbell.hardware import NAMESPACE, Machine, read_hardware
from eksa_temporal.providers.tinkerbell.inventory import (
    apply_inventory,
    claimed_hosts,
    power_off_hosts,
)
from eksa_temporal.providers.tinkerbell.render import render
from eksa_temporal.providers.tinkerbell.spec_defaults import machine_defaults
from eksa_temporal.providers.tinkerbell.spec_rules import tinkerbell_objects, tinkerbell_rules
from eksa_temporal.spec.clusterspec import ClusterSpec
from eksa_temporal.spec.findings import Finding
from eksa_temporal.spec.plugins import KindDefaults, ProviderRule
from eksa_temporal.spec.provider_checks import ObjectRule
from eksa_temporal.spec.tinkerbell import TinkerbellDatacenterConfig, TinkerbellMachineConfig

log = get_logger(__name__)
STACK = "tinkerbell-stack"


class TinkerbellProvider(Provider):
    """Bare metal through Tinkerbell; see the module docstring."""

    name = "tinkerbell"
    datacenter_kinds = ("TinkerbellDatacenterConfig",)
    spec_example: ClassVar[ModuleType | None] = spec_example
    can_create = True

    def __init__(
        self,
        *,
        env: Mapping[str, str] | None = None,
        bmc_timeout: float = 10.0,
        probe_ports: tuple[int, ...] = checks.PROBE_PORTS,
    ) -> None:
        """``env``: where the Redfish URL template and TLS choice are read (default: the
        process environment); ``bmc_timeout``: seconds per BMC request; ``probe_ports``:
        the ports an address in use answers on."""
        self._env = env
        self._bmc_timeout = bmc_timeout
        self._probe_ports = probe_ports

    def _source(self) -> Mapping[str, str]:
        return os.environ if self._env is None else self._env

    # -- spec layer -----------------------------------------------------------------------------
    def static_rule(self) -> ProviderRule | None:
        return tinkerbell_rules

    def spec_defaults(self) -> dict[str, KindDefaults]:
        return {"TinkerbellMachineConfig": machine_defaults}

    def object_rules(self) -> tuple[ObjectRule[Any], ...]:
        return tuple(tinkerbell_objects(None))

    # -- components -----------------------------------------------------------------------------
    def bootstrap_formats(self, spec: ClusterSpec) -> dict[str, list[str]]:
        configs = spec.machine_configs_of(TinkerbellMachineConfig)
        return formats_chosen((f"TinkerbellMachineConfig/{mc.name}: spec.osFamily", mc.spec.os_family) for mc in configs)

    def infrastructure_component(self) -> ComponentRef:
        return ComponentRef(
            name="tinkerbell", version=DEFAULT_RELEASE.version("infrastructure-tinkerbell")
        )

    def components(self, spec: ClusterSpec | None) -> list[ComponentRef]:
        """CAPT, then the Tinkerbell stack (tink and Rufio) it needs beside it."""
        return [
            self.infrastructure_component(),
            ComponentRef(name=STACK, version=DEFAULT_RELEASE.version(STACK)),
        ]

    def component_variables(self, spec: ClusterSpec | None) -> dict[str, str]:
        """CAPT's manifest variable ``TINKERBELL_IP``: the datacenter's ``tinkerbellIP``
        (without the spec, the worker's environment must set it)."""
        ip = _tinkerbell_ip(spec) if spec is not None else ""
        return {"TINKERBELL_IP": ip} if ip else {}

    # -- validation -----------------------------------------------------------------------------
    def preflight(self, spec: ClusterSpec, options: PreflightOptions) -> list[Finding]:
        findings = checks.preflight(
            spec,
            self._source(),
            skip_ip_check=options.skip_ip_check,
            bmc_timeout=self._bmc_timeout,
            probe_ports=self._probe_ports,
        )
        log.info("tinkerbell preflight done", findings=len(findings))
        return findings

    def validate_upgrade(self, old_spec: ClusterSpec, new_spec: ClusterSpec) -> list[Finding]:
        """What EKS-A does not let change on a Tinkerbell cluster: ``tinkerbellIP``, the
        control-plane endpoint, and the hardware selector of the control plane and of each
        worker group that stays."""
        checks_: list[tuple[str, Any, Any]] = [
            (
                "TinkerbellDatacenterConfig.spec.tinkerbellIP",
                _tinkerbell_ip(old_spec),
                _tinkerbell_ip(new_spec),
            ),
            (
                "Cluster.spec.controlPlaneConfiguration.endpoint.host",
                _endpoint(old_spec),
                _endpoint(new_spec),
            ),
            (
                "Cluster.spec.controlPlaneConfiguration: TinkerbellMachineConfig.spec.hardwareSelector",
                _selector(old_spec.control_plane_machine_config),
                _selector(new_spec.control_plane_machine_config),
            ),
        ]
        old_groups = {g.name: mc for g, mc in old_spec.worker_groups}
        for group, mc in new_spec.worker_groups:
            if group.name in old_groups:
                checks_.append(
                    (
                        f"Cluster.spec.workerNodeGroupConfigurations[{group.name}]: "
                        "TinkerbellMachineConfig.spec.hardwareSelector",
                        _selector(old_groups[group.name]),
                        _selector(mc),
                    )
                )
        return [
            Finding(
                path=path,
                message=f"{path} is immutable on a tinkerbell cluster ({before!r} -> {after!r})",
                remediation="keep it as it is; add a new worker node group for other hardware",
                check="tinkerbell-immutable",
            )
            for path, before, after in checks_
            if before != after
        ]

    # -- before provisioning --------------------------------------------------------------------
    def _machines(self, spec: ClusterSpec) -> list[Machine]:
        machines, findings = read_hardware(spec.hardware_csv)
        if findings:
            raise InvalidSpec(
                "; ".join(f.line() for f in findings[:5]),
                fix="pass a valid hardware CSV with -z/--hardware-csv (eksa-temporal preflight -z lists every problem)",
            )
        return machines

    def _power_off(self, machines: list[Machine], skip: set[str]) -> list[str]:
        env = self._source()
        return power_off_hosts(
            checks.bmc_targets(machines, env),
            skip=skip,
            timeout=self._bmc_timeout,
            verify=not checks.insecure_tls(env),
        )

    def prepare_bootstrap_cluster(self, spec: ClusterSpec, bootstrap_kubeconfig: str) -> list[str]:
        """Every host of the CSV with a BMC powered off (only those still on), before
        anything is provisioned, as EKS-A does."""
        return self._power_off(self._machines(spec), skip=set())

    def prepare_managing_cluster(self, spec: ClusterSpec, kubeconfig: str) -> list[str]:
        """The inventory objects applied to the cluster that manages this one (only what
        differs; a claimed host's Hardware is left alone), then every host no machine has
        claimed yet powered off - unless the cluster's CAPI ``Cluster`` exists already (an
        upgrade, or a retry after the apply: machines may be claiming hosts this very
        moment, so none is powered off). An upgrade without a hardware CSV does nothing."""
        kube = kube_for(kubeconfig)
        exists = kube.serves(CLUSTER_V, "Cluster") and bool(
            kube.get(CLUSTER_V, "Cluster", spec.name, NAMESPACE)
        )
        if exists and spec.hardware_csv is None:
            return []  # an upgrade without -z: no new hosts
        machines = self._machines(spec)
        env = self._source()
        done = apply_inventory(kube, machines, lambda ip: checks.redfish_url(ip, env))
        if exists:
            log.info("tinkerbell power-off skipped: the cluster's machines exist", cluster=spec.name)
            return done
        return done + self._power_off(machines, skip=claimed_hosts(kube))

    # -- rendering --------------------------------------------------------------------------------
    def render_capi_objects(self, spec: ClusterSpec, ctx: RenderContext) -> list[dict[str, Any]]:
        return render(spec, ctx.namespace)

    # -- cleanup ----------------------------------------------------------------------------------
    def cleanup(self, spec: ClusterSpec, ownership: Ownership) -> CleanupResult:
        """Nothing is removed: every host of the CSV is the user's inventory and is kept
        (CAPT releases the Hardware of deleted Machines)."""
        machines, _ = read_hardware(spec.hardware_csv)
        return CleanupResult(kept=[f"host {m.hostname} (the user's inventory)" for m in machines])


def _tinkerbell_ip(spec: ClusterSpec) -> str:
    dc = spec.datacenter
    return str(dc.spec.tinkerbell_ip) if isinstance(dc, TinkerbellDatacenterConfig) else ""


def _endpoint(spec: ClusterSpec) -> str:
    endpoint = spec.cluster.spec.control_plane_configuration.endpoint
    return str(endpoint.host) if endpoint is not None and endpoint.host else ""


def _selector(mc: Any) -> dict[str, str]:
    if not isinstance(mc, TinkerbellMachineConfig):
        return {}
    return {k: str(v) for k, v in (mc.spec.hardware_selector or {}).items()}


def make_provider(ctx: ProviderContext) -> TinkerbellProvider:
    """The ``tinkerbell`` entry point (options from the environment)."""
    return TinkerbellProvider()
