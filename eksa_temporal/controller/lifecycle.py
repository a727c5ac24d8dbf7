"""The controller's view of the lifecycle in Temporal: a cluster's latest operation (with
the spec digest its memo records) and starting one. ``Lifecycle`` is the seam the
reconciler depends on; ``TemporalLifecycle`` implements it on ``LifecycleClient``; tests
pass a fake. Temporal is the only record of what was done: nothing here keeps state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from eksa_temporal.client import (
    LifecycleClient,
    LifecycleError,
    OperationAlreadyRunning,
    TemporalUnavailable,
)
from eksa_temporal.logs import get_logger
from eksa_temporal.workflows.models import OperationInput

RUNNING_STATES = ("running", "awaiting-operator")
log = get_logger("controller")


@dataclass(frozen=True)
class Operation:
    """One operation of a cluster as the reconciler sees it."""

    workflow_id: str
    operation: str  # create | upgrade | delete
    state: str  # running | awaiting-operator | completed | failed | cancelled
    digest: str | None = None  # spec digest from the memo
    run_id: str | None = None
    step: str | None = None  # current step while running
    ui_url: str = ""
    error: str | None = None  # the failure line of a failed operation

    @property
    def running(self) -> bool:
        return self.state in RUNNING_STATES


class Busy(Exception):
    """An operation of the cluster is running (the workflow-id lock refused a second)."""


class Unavailable(Exception):
    """Temporal cannot be reached now; try again later."""


class Refused(Exception):
    """The start was refused for a reason a retry does not change (the line says why)."""


class Lifecycle(Protocol):
    async def last(self, namespace: str, name: str) -> Operation | None: ...

    async def start(self, operation: str, inp: OperationInput, proxy_passwords: Mapping[str, str]) -> Operation: ...

    async def spec_text(self, op: Operation) -> str | None:
        """The spec text the operation was started with (None when unknown)."""
        ...


class TemporalLifecycle:
    """``Lifecycle`` on the product's ``LifecycleClient``."""

    def __init__(self, lc: LifecycleClient) -> None:
        self.lc = lc

    async def last(self, namespace: str, name: str) -> Operation | None:
        try:
            found = await self.lc.last_operation(name, namespace)
        except LifecycleError as exc:  # TemporalUnavailable included
            raise Unavailable(str(exc)) from exc
        if found is None:
            return None
        return Operation(
            workflow_id=found.workflow_id,
            operation=found.operation,
            state=found.state,
            digest=found.spec_digest,
            run_id=found.run_id,
            step=found.current_step,
            ui_url=found.ui_url,
            error=found.error,
        )

    async def start(self, operation: str, inp: OperationInput, proxy_passwords: Mapping[str, str]) -> Operation:
        try:
            ref = await self.lc.start(operation, inp, proxy_passwords)
        except OperationAlreadyRunning as exc:
            raise Busy(str(exc)) from exc
        except TemporalUnavailable as exc:
            raise Unavailable(str(exc)) from exc
        except LifecycleError as exc:
            raise Refused(str(exc)) from exc
        return Operation(
            workflow_id=ref.workflow_id, operation=operation, state="running", run_id=ref.run_id, ui_url=ref.ui_url
        )

    async def spec_text(self, op: Operation) -> str | None:
        handle = self.lc.client.get_workflow_handle(op.workflow_id, run_id=op.run_id)
        try:
            async for event in handle.fetch_history_events():
                attrs = event.workflow_execution_started_event_attributes
                payloads = list(attrs.input.payloads)
                if not payloads:
                    return None
                # the client's converter: its codec decrypts when payloads are encrypted
                decoded = await self.lc.client.data_converter.decode(payloads[:1], [OperationInput])
                return str(decoded[0].spec_yaml)
        except Exception as exc:  # history unreadable (RPC, codec): the caller reports the spec as missing
            log.warning("spec of the last operation not read", workflow_id=op.workflow_id, error=f"{type(exc).__name__}: {exc}")
            return None
        return None
