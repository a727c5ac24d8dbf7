"""Knobs of the simulated infrastructure, deterministic under ``seed``.

Set with ``eksa-temporal sim serve`` flags, persisted in the state dir, and adjustable at
run time through the admin API (``PUT /sim/knobs``, ``eksa-temporal sim knobs --set``) so
users and tests can rehearse failures. ``changes_problem`` is the one check of a change
set both the admin API and the CLI use: an unknown key, or a value of the wrong type or
range, becomes one line naming the knob.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class Knobs(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int = Field(default=0, description="seed of every simulated random choice")
    # machine provisioning (controllers)
    boot_seconds: float = Field(default=0.5, ge=0, description="machine boot time (seconds)")
    boot_jitter_seconds: float = Field(default=0.0, ge=0, description="random extra boot time, up to (seconds)")
    machine_failure_rate: float = Field(default=0.0, ge=0, le=1, description="share of machines failing to boot (0-1)")
    # controller Deployments become Available after this delay
    deployment_ready_seconds: float = Field(
        default=0.3, ge=0, description="delay before a controller Deployment is Available (seconds)"
    )
    # CAPV stand-in: clone each VSphereMachine as a VM in the vCenter it names, with the
    # credentials of its identityRef Secret (controllers/reconcilers/vsphere_vms.py)
    vsphere_clone: bool = Field(default=False, description="CAPV stand-in clones each VSphereMachine as a vCenter VM")
    # API faults (HTTP layer), applied to virtual-cluster requests, never to /sim admin calls
    api_error_rate: float = Field(
        default=0.0, ge=0, le=1, description="share of API requests failing with 500 / 429 / reset (0-1)"
    )
    api_latency_seconds: float = Field(default=0.0, ge=0, description="delay added to every API request (seconds)")


KNOB_NAMES: tuple[str, ...] = tuple(Knobs.model_fields)


def changes_problem(current: Knobs, changes: dict[str, Any]) -> str | None:
    """Why ``changes`` cannot be applied to ``current`` (one line naming the knob), or None."""
    unknown = [key for key in changes if key not in Knobs.model_fields]
    if unknown:
        return f"unknown knob {unknown[0]!r} (known knobs: {', '.join(KNOB_NAMES)})"
    try:
        Knobs.model_validate({**current.model_dump(), **changes})
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(part) for part in err["loc"]) or "knobs"
        return f"invalid value {changes.get(key)!r} for knob {key}: {err['msg']}"
    return None


def apply_changes(current: Knobs, changes: dict[str, Any]) -> Knobs:
    """``current`` with ``changes`` applied; ``ValueError`` (one line) when they are invalid."""
    problem = changes_problem(current, changes)
    if problem is not None:
        raise ValueError(problem)
    return Knobs.model_validate({**current.model_dump(), **changes})
