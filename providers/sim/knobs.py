"""Knobs of the simulated infrastructure, deterministic under ``seed``.

Set with ``eksa-temporal sim serve`` flags, persisted in the state dir, and adjustable at
run time through the admin API (``PUT /sim/knobs``) so tests can inject faults.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Knobs(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int = 0
    # machine provisioning (controllers)
    boot_seconds: float = Field(default=0.5, ge=0)
    boot_jitter_seconds: float = Field(default=0.0, ge=0)
    machine_failure_rate: float = Field(default=0.0, ge=0, le=1)
    # controller Deployments become Available after this delay
    deployment_ready_seconds: float = Field(default=0.3, ge=0)
    # CAPV stand-in: clone each VSphereMachine as a VM in the vCenter it names, with the
    # credentials of its identityRef Secret (controllers/reconcilers/vsphere_vms.py)
    vsphere_clone: bool = False
    # API faults (HTTP layer), applied to virtual-cluster requests, never to /sim admin calls
    api_error_rate: float = Field(default=0.0, ge=0, le=1)  # 500 / 429 / connection reset
    api_latency_seconds: float = Field(default=0.0, ge=0)
