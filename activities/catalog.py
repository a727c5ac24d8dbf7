"""Every activity the worker registers, as bound methods of the activity classes built with
their clients (``worker_activities``). ``worker.py`` calls this once; tests build their own
``Registry`` to point the activities at their own simulated infrastructure."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from activities.bootstrap import BootstrapActivities
from activities.capi_install import CapiInstallActivities
from activities.diagnostics import DiagnosticsActivities
from activities.kubeconfig import KubeconfigActivities
from activities.provision import ProvisionActivities
from activities.teardown import TeardownActivities
from activities.validate import ValidateActivities
from providers.registry import Registry


def worker_activities(
    registry: Registry | None = None, *, components_cache: Path | None = None
) -> list[Callable[..., Any]]:
    """Bound activity methods of every lifecycle step (except the move, see below)."""
    reg = registry or Registry()
    validate = ValidateActivities(reg)
    boot = BootstrapActivities(reg)
    install = CapiInstallActivities(reg, cache_dir=components_cache)
    provision = ProvisionActivities(reg)
    kubeconfig = KubeconfigActivities()
    teardown = TeardownActivities(reg)
    diagnostics = DiagnosticsActivities(reg)
    found: list[Callable[..., Any]] = [
        validate.setup_validate,
        validate.setup_validate_create,
        validate.setup_validate_upgrade,
        validate.setup_validate_delete,
        boot.bootstrap_cluster_init,
        boot.delete_kind_cluster,
        install.install_capi_bootstrap,
        install.install_capi_workload,
        provision.workload_cluster_init,
        provision.create_workload_cluster,
        provision.upgrade_cluster,
        kubeconfig.write_kubeconfig,
        kubeconfig.write_cluster_config,
        teardown.delete_cluster,
        teardown.delete_workload_cluster,
        teardown.cleanup_infrastructure,
        diagnostics.collect_support_bundle,
    ]
    return found + _move_activities(reg)


def _move_activities(reg: Registry) -> list[Callable[..., Any]]:
    """The move's activities (``activities.move.MoveActivities``): every method of it that
    carries a Temporal activity definition."""
    try:
        from activities.move import MoveActivities
    except ImportError:
        return []
    move = MoveActivities()
    return [
        getattr(move, name)
        for name in dir(move)
        if not name.startswith("_")
        and hasattr(getattr(move, name), "__temporal_activity_definition")
    ]
