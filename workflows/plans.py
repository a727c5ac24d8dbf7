"""The runbooks: which steps each lifecycle operation runs, in order, as references to the
activity methods that run them (a step's name, timeouts and errors are on its method,
``activities.steps.step``). The workflows run exactly these lists; the docs and their test
read them too.

``PLANS`` holds the main steps of each operation, ``COMPENSATION`` the best-effort steps a
cancelled or failed operation may run, ``PROVIDER_HOOK_STEPS`` the step each provider hook
adds to a management create (``Provider.hooks()``; inserted by ``with_hooks``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from eksa_temporal.activities.bootstrap import BootstrapActivities
    from eksa_temporal.activities.capi_install import CapiInstallActivities
    from eksa_temporal.activities.diagnostics import DiagnosticsActivities
    from eksa_temporal.activities.hooks import ProviderHookActivities
    from eksa_temporal.activities.kubeconfig import KubeconfigActivities
    from eksa_temporal.activities.move import MoveActivities
    from eksa_temporal.activities.provision import ProvisionActivities
    from eksa_temporal.activities.steps import step_info
    from eksa_temporal.activities.teardown import TeardownActivities
    from eksa_temporal.activities.validate import ValidateActivities

Step = Callable[[Any, Any], Any]

CREATE_MANAGEMENT = "create (management)"
CREATE_WORKLOAD = "create (workload)"
UPGRADE = "upgrade"
DELETE_MANAGEMENT = "delete (management)"
DELETE_WORKLOAD = "delete (workload)"

PLANS: dict[str, list[Step]] = {
    CREATE_MANAGEMENT: [
        ValidateActivities.setup_validate,
        BootstrapActivities.bootstrap_cluster_init,
        CapiInstallActivities.install_capi_components_bootstrap,
        ProvisionActivities.workload_cluster_init,
        KubeconfigActivities.write_kubeconfig,
        CapiInstallActivities.install_capi_components_workload,
        MoveActivities.capi_management_move,
        KubeconfigActivities.write_cluster_config,
        BootstrapActivities.delete_kind_cluster,
    ],
    CREATE_WORKLOAD: [
        ValidateActivities.setup_validate_create,
        ProvisionActivities.create_workload_cluster,
        KubeconfigActivities.write_cluster_config,
    ],
    UPGRADE: [
        ValidateActivities.setup_validate_upgrade,
        MoveActivities.capi_backup,
        ProvisionActivities.upgrade_cluster,
        KubeconfigActivities.write_cluster_config,
        MoveActivities.capi_backup_remove,
    ],
    DELETE_MANAGEMENT: [
        ValidateActivities.setup_validate_delete,
        BootstrapActivities.bootstrap_cluster_init,
        CapiInstallActivities.install_capi_components_bootstrap,
        MoveActivities.capi_move_to_bootstrap,
        TeardownActivities.delete_cluster,
        BootstrapActivities.delete_kind_cluster,
    ],
    DELETE_WORKLOAD: [
        ValidateActivities.setup_validate_delete,
        TeardownActivities.delete_workload_cluster,
    ],
}

# best-effort steps a cancelled or failed operation may run, in the order it runs them
COMPENSATION: dict[str, list[Step]] = {
    "create": [MoveActivities.capi_move_abort, TeardownActivities.cleanup_infrastructure],
    "upgrade": [MoveActivities.capi_move_abort],
    "delete": [
        MoveActivities.capi_move_abort,
        MoveActivities.capi_management_move,
        BootstrapActivities.delete_kind_cluster,
    ],
}
# every failed operation first collects a support bundle
DIAGNOSTICS: Step = DiagnosticsActivities.collect_support_bundle

# provider hook (``Provider.hooks()``) -> its step in a management create
PROVIDER_HOOK_STEPS: dict[str, Step] = {
    "prepare_bootstrap_cluster": ProviderHookActivities.prepare_bootstrap_cluster,
    "after_workload_init": ProviderHookActivities.after_workload_init,
    "after_move": ProviderHookActivities.after_move,
}
# the step after which each hook's step runs
HOOK_AFTER: dict[str, Step] = {
    "prepare_bootstrap_cluster": BootstrapActivities.bootstrap_cluster_init,
    "after_workload_init": KubeconfigActivities.write_kubeconfig,
    "after_move": MoveActivities.capi_management_move,
}


def with_hooks(plan: list[Step], hooks: Iterable[str]) -> list[Step]:
    """``plan`` with the step of every hook in ``hooks`` after the step it follows."""
    wanted = set(hooks)
    result: list[Step] = []
    for method in plan:
        result.append(method)
        result += [PROVIDER_HOOK_STEPS[h] for h, after in HOOK_AFTER.items() if h in wanted and after is method]
    return result


def names(plan: list[Step]) -> list[str]:
    """The step names of ``plan`` (as the Web UI shows them)."""
    return [step_info(m).name for m in plan]
