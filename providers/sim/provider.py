"""The ``sim`` provider: the ``Provider`` for the simulated infrastructure, through the
simulator's public API (``eksa_temporal.simulator.api``).

Credentials are the sim's admin token - ``EKSA_SIM_ADMIN_TOKEN`` or ``DIR/admin-token``
(``DIR`` = ``SimDatacenterConfig.spec.stateDir`` or the default sim state dir) - checked
against the running ``sim serve`` through the admin API; the token is never logged or
returned. Rendering is ``providers.sim.render``; there is nothing to prepare before
machines; cleanup removes, through the sim's admin API, the machines and the workload
virtual cluster that carry the operation's owner identity (never by name). Activities call
these methods on a thread pool (they block on HTTP).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from eksa_temporal.config import sim_state_dir
from eksa_temporal.providers.base import (
    CleanupResult,
    ComponentRef,
    Ownership,
    PreflightOptions,
    Provider,
    ProviderContext,
    RenderContext,
)
from eksa_temporal.providers.sim import existing
from eksa_temporal.providers.sim.render import render
from eksa_temporal.simulator.api import SIM_VERSION, SimClient, SimError, SimNotRunning
from eksa_temporal.spec.findings import Finding, Severity

TOKEN_ENV = "EKSA_SIM_ADMIN_TOKEN"
STATE_DIR_FIELD = "SimDatacenterConfig.spec.stateDir"


class _TokenClient(SimClient):
    """A SimClient authenticating with an explicit token (from ``EKSA_SIM_ADMIN_TOKEN``)."""

    def __init__(self, state_dir: Path, token: str, *, timeout: float = 10.0) -> None:
        super().__init__(state_dir, timeout=timeout)
        self.__token = token

    def _token(self) -> str:
        return self.__token


class SimProvider(Provider):
    """Simulated infrastructure (``eksa-temporal sim serve``)."""

    name = "sim"
    datacenter_kinds = ("SimDatacenterConfig",)
    endpoint_required = False

    def __init__(self, sim: SimClient | Path | None = None, *, timeout: float = 10.0) -> None:
        """``sim``: the admin client (the registry passes its own), or a state dir."""
        self._client = sim if isinstance(sim, SimClient) else None
        self._state_dir = sim.state_dir if isinstance(sim, SimClient) else sim
        self._timeout = timeout

    # facts -------------------------------------------------------------------------
    def state_dir(self, spec: Any) -> Path:
        """Where the sim serving this spec keeps its state (the datacenter's ``stateDir``,
        else the one given at construction, else the default)."""
        configured = getattr(getattr(getattr(spec, "datacenter", None), "spec", None), "state_dir", None)
        if configured:
            return Path(str(configured)).expanduser()
        return self._state_dir or sim_state_dir()

    def client(self, spec: Any) -> SimClient:
        state_dir = self.state_dir(spec)
        token = os.environ.get(TOKEN_ENV)
        if token:
            return _TokenClient(state_dir, token.strip(), timeout=self._timeout)
        if self._client is not None and self._client.state_dir == state_dir:
            return self._client
        return SimClient(state_dir, timeout=self._timeout)

    def infrastructure_component(self) -> ComponentRef:
        return ComponentRef(name="sim", version=SIM_VERSION)

    def validate_credentials(self, spec: Any) -> list[Finding]:
        state_dir = self.state_dir(spec)
        if not os.environ.get(TOKEN_ENV) and not (state_dir / "admin-token").exists():
            return [
                Finding(
                    path=STATE_DIR_FIELD,
                    message=f"no sim admin token: {TOKEN_ENV} is unset and {state_dir}/admin-token does not exist",
                    remediation=f"start the sim (eksa-temporal sim serve --state-dir {state_dir}) or set {TOKEN_ENV}",
                    check="sim-credentials",
                )
            ]
        try:
            self.client(spec).clusters()
        except SimNotRunning:
            return [_unreachable(state_dir)]
        except SimError as exc:
            if exc.status in (401, 403):
                source = TOKEN_ENV if os.environ.get(TOKEN_ENV) else f"{state_dir}/admin-token"
                return [
                    Finding(
                        path=STATE_DIR_FIELD,
                        message=f"the sim at {state_dir} rejected the admin token from {source} (HTTP {exc.status})",
                        remediation=f"set {TOKEN_ENV} to the token in {state_dir}/admin-token, or unset it",
                        check="sim-credentials",
                    )
                ]
            return [
                Finding(
                    path=STATE_DIR_FIELD,
                    message=f"the sim admin API failed (HTTP {exc.status})",
                    remediation="check the sim server's log and retry",
                    check="sim-credentials",
                )
            ]
        return []

    def preflight(self, spec: Any, options: PreflightOptions) -> list[Finding]:
        findings: list[Finding] = []
        for path, ref in _machine_refs(spec):
            if ref is not None and ref.kind != "SimMachineConfig":
                findings.append(
                    Finding(
                        path=f"{path}.machineGroupRef.kind",
                        message=f"the sim provider needs SimMachineConfig machines, not {ref.kind}",
                        remediation="reference a SimMachineConfig",
                        check="sim-machine-config",
                    )
                )
        state_dir = self.state_dir(spec)
        client = self.client(spec)
        try:
            healthy = client.healthy()
            machines = client.machines(cluster=spec.name) if healthy else []
        except SimError:
            healthy, machines = False, []
        if not healthy:
            findings.append(_unreachable(state_dir))
            return findings
        leftovers = [m for m in machines if m.get("cluster") == spec.name and m.get("exists")]
        if leftovers:
            findings.append(
                Finding(
                    path="Cluster.metadata.name",
                    message=f"{len(leftovers)} sim machine(s) of a cluster named {spec.name} still exist",
                    remediation="fine for an upgrade; for a new cluster delete the old one first (eksa-temporal delete cluster)",
                    severity=Severity.WARNING,
                    check="sim-leftover-machines",
                )
            )
        return findings

    def find_existing(self, spec: Any, owner: str = "") -> str | None:
        """Where a cluster named ``spec.name`` exists in the sim (``providers.sim.existing``)."""
        return existing.find_existing(self.client(spec), spec.name, owner)

    # operations --------------------------------------------------------------------
    def render_capi_objects(self, spec: Any, ctx: RenderContext) -> list[dict[str, Any]]:
        return render(spec, ctx.namespace)

    def prepare_infrastructure(self, spec: Any) -> list[str]:
        """Nothing exists before machines in the sim (no templates or folders)."""
        return []

    def cleanup(self, spec: Any, ownership: Ownership) -> CleanupResult:
        """Through the admin API: delete every still-existing machine whose owner is
        ``ownership`` and the cluster's workload virtual cluster when it carries that owner
        (a same-named one made by anyone else is reported kept). Idempotent."""
        client = self.client(spec)
        removed: list[str] = []
        for machine in client.machines():
            ours = machine.get("owner") == ownership.owner and machine.get("exists")
            if ours and client.delete_machine(str(machine["id"])):
                removed.append(f"machine {machine.get('provider_id')}")
        kept: list[str] = []
        for vc in client.clusters():
            if vc.get("name") != spec.name:
                continue
            if ownership.owns(vc.get("labels")):
                client.delete_cluster(spec.name)
                removed.append(f"virtual cluster {spec.name}")
            else:
                kept.append(f"virtual cluster {spec.name} (not made by this operation)")
        return CleanupResult(removed=removed, kept=kept)


def make_provider(ctx: ProviderContext) -> SimProvider:
    """The ``sim`` entry point: a provider for the registry's sim state directory."""
    return SimProvider(ctx.sim_state_dir)


def _unreachable(state_dir: Path) -> Finding:
    return Finding(
        path=STATE_DIR_FIELD,
        message=f"no simulated infrastructure answers for {state_dir}",
        remediation=f"start it: eksa-temporal sim serve --state-dir {state_dir}",
        check="sim-reachable",
    )


def _machine_refs(spec: Any) -> list[tuple[str, Any]]:
    body = spec.cluster.spec
    refs: list[tuple[str, Any]] = [
        ("Cluster.spec.controlPlaneConfiguration", body.control_plane_configuration.machine_group_ref)
    ]
    for i, group in enumerate(spec.cluster.workers):
        refs.append((f"Cluster.spec.workerNodeGroupConfigurations[{i}]", group.machine_group_ref))
    return refs
