"""A provider's own infrastructure controller (``Provider.infrastructure_controller``: the
worker as the infrastructure provider, e.g. SSH hosts) run in the background while an
activity waits on the cluster's machines - provisioning, upgrading, deleting.

``watching(provider, spec, kubeconfig)`` runs it for the block; ``heartbeat`` adds its
per-host progress to the activity's heartbeat details (models with a ``hosts`` field)
and raises the error it met, so the waiting activity fails with that error (a permanent
one stays permanent) instead of timing out. Providers without a controller of their own
change nothing here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from pydantic import BaseModel

from eksa_temporal.activities import common
from eksa_temporal.kube.client import WaitTimeout
from eksa_temporal.providers.base import InfrastructureController

_current: ContextVar[InfrastructureController | None] = ContextVar("infrastructure_controller", default=None)


@contextlib.contextmanager
def watching(provider: Any, spec: Any, kubeconfig: str) -> Iterator[InfrastructureController | None]:
    """Run ``provider``'s infrastructure controller (if it has one) against the cluster of
    ``kubeconfig`` for the block; a wait that timed out while the controller had failed
    raises the controller's error."""
    if spec is None:
        yield None
        return
    with provider.infrastructure_controller(spec, kubeconfig) as controller:
        token = _current.set(controller)
        try:
            yield controller
        except WaitTimeout:
            if controller is not None:
                controller.check()
            raise
        finally:
            _current.reset(token)


def heartbeat(progress: BaseModel) -> None:
    """``common.heartbeat`` with the running controller's host progress, after raising the
    error the controller met (if any)."""
    controller = _current.get()
    if controller is not None:
        controller.check()
        if "hosts" in type(progress).model_fields:
            progress = progress.model_copy(update={"hosts": controller.progress()})
    common.heartbeat(progress)
