"""The provider hook steps (``ProviderHookActivities``): work a provider does at fixed
points of a management create - on the bootstrap cluster before Cluster API is installed
(``prepare-bootstrap-cluster``), on the new cluster once its kubeconfig is written
(``after-workload-init``) and once Cluster API was moved into it (``after-move``). A create
runs a hook's step only for a provider that overrides the hook (``Provider.hooks()``, which
``setup-validate`` reports)."""

from __future__ import annotations

from eksa_temporal.activities.common import load_spec, log
from eksa_temporal.activities.models import HookInput, HookResult
from eksa_temporal.activities.steps import step
from eksa_temporal.errors import InvalidSpec, NotFound
from eksa_temporal.providers.base import Provider
from eksa_temporal.providers.registry import Registry


def _result(hook: str, done: list[str]) -> HookResult:
    log.info("provider hook ran", hook=hook, done=len(done))
    return HookResult(changed=bool(done), message="; ".join(done) or "nothing to do", done=done)


class ProviderHookActivities:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def _provider(self, inp: HookInput) -> Provider:
        spec = load_spec(inp)
        return self.registry.provider(spec.provider or inp.provider)

    def _kubeconfig(self, path: str | None, what: str) -> str:
        if not path:
            raise NotFound(f"no {what} kubeconfig for the provider hook", fix="run the create again")
        return path

    @step(
        "prepare-bootstrap-cluster",
        changes="the provider's work on the bootstrap cluster before Cluster API is installed",
        errors=(InvalidSpec, NotFound),
    )
    def prepare_bootstrap_cluster(self, inp: HookInput) -> HookResult:
        """``Provider.prepare_bootstrap_cluster`` on the bootstrap cluster."""
        target = self._kubeconfig(inp.bootstrap_kubeconfig, "bootstrap cluster")
        provider = self._provider(inp)
        return _result("prepare_bootstrap_cluster", provider.prepare_bootstrap_cluster(load_spec(inp), target))

    @step(
        "after-workload-init",
        changes="the provider's work on the new cluster once its kubeconfig is written",
        errors=(InvalidSpec, NotFound),
    )
    def after_workload_init(self, inp: HookInput) -> HookResult:
        """``Provider.after_workload_init`` on the new cluster."""
        target = self._kubeconfig(inp.kubeconfig, "new cluster")
        provider = self._provider(inp)
        return _result("after_workload_init", provider.after_workload_init(load_spec(inp), target))

    @step(
        "after-move",
        changes="the provider's work on the new cluster once Cluster API was moved into it",
        errors=(InvalidSpec, NotFound),
    )
    def after_move(self, inp: HookInput) -> HookResult:
        """``Provider.after_move`` on the new cluster."""
        target = self._kubeconfig(inp.kubeconfig, "new cluster")
        provider = self._provider(inp)
        return _result("after_move", provider.after_move(load_spec(inp), target))
