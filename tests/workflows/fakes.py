"""Fake activities for workflow tests: one async activity per step name (the same
``@activity.defn(name=...)`` the real ones use), recording calls and misbehaving on demand
(transient failures, permanent errors, blocking until cancelled)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from eksa_temporal.activities.steps import step_info
from eksa_temporal.spec import generate_cluster_config
from eksa_temporal.workflows.plans import COMPENSATION, DIAGNOSTICS, PLANS, PROVIDER_HOOK_STEPS

ALL_STEPS = sorted(
    {step_info(m).name for plan in [*PLANS.values(), *COMPENSATION.values(), [DIAGNOSTICS], list(PROVIDER_HOOK_STEPS.values())] for m in plan}
)


def spec_yaml(name: str = "demo", management: str | None = None) -> str:
    """A valid sim spec; ``management`` names another cluster for a workload cluster."""
    text = generate_cluster_config(name, "sim")
    if management:
        text = text.replace(f"managementCluster:\n    name: {name}", f"managementCluster:\n    name: {management}")
    return text


@dataclass
class FakeInfra:
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    transient: dict[str, int] = field(default_factory=dict)  # step -> failures left
    permanent: dict[str, str] = field(default_factory=dict)  # step -> ApplicationError type
    blocked: dict[str, asyncio.Event] = field(default_factory=dict)  # step -> release
    started: dict[str, asyncio.Event] = field(default_factory=dict)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)  # step -> extra result fields

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]

    def block(self, step: str) -> asyncio.Event:
        self.started[step] = asyncio.Event()
        self.blocked[step] = asyncio.Event()
        return self.blocked[step]

    def _make(self, name: str) -> Callable[..., Any]:
        async def run(inp: dict[str, Any]) -> dict[str, Any]:
            self.calls.append((name, inp))
            if name in self.permanent:
                raise ApplicationError(
                    f"{name} cannot work (fix: change the spec)", type=self.permanent[name], non_retryable=True
                )
            if self.transient.get(name, 0) > 0:
                self.transient[name] -= 1
                raise RuntimeError(f"{name}: connection refused")
            if name in self.blocked:
                self.started[name].set()
                while not self.blocked[name].is_set():
                    activity.heartbeat({"machines_ready": 0, "machines_total": 2})
                    await asyncio.sleep(0.1)
            workdir = inp["workdir"]
            c = inp["cluster_name"]
            return {
                "bootstrap_kubeconfig": f"{workdir}/generated/{c}.kind.kubeconfig",
                "kubeconfig_path": f"{workdir}/{c}-eks-a-cluster.kubeconfig",
                "cluster_config_path": f"{workdir}/{c}-eks-a-cluster.yaml",
                "bundle_path": inp.get("bundle_path") or "",
                "removed": ["machine/a"] if name in ("cleanup-infrastructure", "delete-workload-cluster") else [],
                **self.results.get(name, {}),
            }

        run.__name__ = name.replace("-", "_")
        return activity.defn(name=name)(run)

    def activities(self) -> list[Callable[..., Any]]:
        return [self._make(name) for name in ALL_STEPS]
