"""Wait for a vSphere task, turning its failure into a provider error.

Every mutating call in the provider (power off, destroy, clone, import) goes through
``wait_task``: it polls the task's state until success or error, bounded by a deadline,
and raises ``VSphereTransientError`` on failure or timeout (the activity's retry policy
decides what to do next).
"""

from __future__ import annotations

import time
from typing import Any

from pyVmomi import vim

from eksa_temporal.providers.vsphere.errors import VSphereTransientError


def wait_task(task: Any, timeout: float = 300.0, poll: float = 0.1) -> Any:
    """The task's result once it succeeded."""
    deadline = time.monotonic() + timeout
    while True:
        state = task.info.state
        if state == vim.TaskInfo.State.success:
            return task.info.result
        if state == vim.TaskInfo.State.error:
            error = task.info.error
            message = getattr(error, "msg", "") or type(error).__name__
            raise VSphereTransientError(f"vSphere task {task.info.descriptionId} failed: {message}")
        if time.monotonic() > deadline:
            raise VSphereTransientError(
                f"vSphere task {task.info.descriptionId} did not finish in {timeout:.0f}s"
            )
        time.sleep(poll)
