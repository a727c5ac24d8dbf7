"""Every activity the worker registers, as bound methods of the activity classes built with
their clients (``worker_activities``). ``worker.py`` calls this once, before it connects;
tests build their own ``Registry`` to point the activities at their own simulated
infrastructure.

A worker without some of its activities would accept workflows it cannot finish, so every
activity module must import: the first one that does not raises ``ActivityModuleError``
naming the module and the import error, and the worker refuses to start."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eksa_temporal.activities.steps import all_steps
from eksa_temporal.providers.registry import Registry

# every module holding activities the worker registers
ACTIVITY_MODULES = (
    "eksa_temporal.activities.validate",
    "eksa_temporal.activities.bootstrap",
    "eksa_temporal.activities.capi_install",
    "eksa_temporal.activities.provision",
    "eksa_temporal.activities.kubeconfig",
    "eksa_temporal.activities.teardown",
    "eksa_temporal.activities.diagnostics",
    "eksa_temporal.activities.hooks",
    "eksa_temporal.activities.move",
)


class ActivityModuleError(RuntimeError):
    """An activity module failed to import; the message names it and the error."""


def load_activity_modules() -> None:
    """Import every module of ``ACTIVITY_MODULES``; the first failure raises
    ``ActivityModuleError`` (``activity module activities.move failed to import: ...``)."""
    for module in ACTIVITY_MODULES:
        try:
            importlib.import_module(module)
        except Exception as exc:  # an ImportError or anything the module raised while loading
            raise ActivityModuleError(
                f"activity module {module} failed to import: {type(exc).__name__}: {exc} "
                "(fix: reinstall eksa-temporal with its dependencies, `pip install -e .`)"
            ) from exc


def worker_activities(
    registry: Registry | None = None, *, components_cache: Path | None = None
) -> list[Callable[..., Any]]:
    """Every step method (``activities.steps.step``) of every activity class, bound to an
    instance built with its clients; the move's included."""
    load_activity_modules()
    from eksa_temporal.activities.bootstrap import BootstrapActivities
    from eksa_temporal.activities.capi_install import CapiInstallActivities
    from eksa_temporal.activities.diagnostics import DiagnosticsActivities
    from eksa_temporal.activities.hooks import ProviderHookActivities
    from eksa_temporal.activities.kubeconfig import KubeconfigActivities
    from eksa_temporal.activities.move import MoveActivities
    from eksa_temporal.activities.provision import ProvisionActivities
    from eksa_temporal.activities.teardown import TeardownActivities
    from eksa_temporal.activities.validate import ValidateActivities

    reg = registry or Registry()
    instances: list[object] = [
        ValidateActivities(reg, cache_dir=components_cache),
        BootstrapActivities(reg),
        CapiInstallActivities(reg, cache_dir=components_cache),
        ProvisionActivities(reg),
        KubeconfigActivities(),
        TeardownActivities(reg),
        DiagnosticsActivities(reg),
        ProviderHookActivities(reg),
        MoveActivities(),
    ]
    return [method for obj in instances for method in all_steps(obj)]
