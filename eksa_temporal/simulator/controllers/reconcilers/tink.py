"""Stand-in for Tink's workflow controller and the ``tink-worker`` on a host (tinkerbell/tink
v0.12): a ``tinkerbell.org/v1alpha1`` ``Workflow`` runs the actions of the ``Template`` it
names on the ``Hardware`` it names.

The Workflow is rendered when its Template and Hardware exist: ``status.tasks`` lists the
Template's tasks and actions (its ``data`` is Tink's template YAML), ``state``
``STATE_PENDING``. The host picks it up once it has network booted: powered on according to
its BMC ``Machine`` (``status.powerState: on``), or at once for a host without ``bmcRef``.
Then the workflow is ``STATE_RUNNING`` and, after the sim's boot time (``boot_seconds``:
what the installer takes), every action and the workflow are ``STATE_SUCCESS`` with
``currentAction`` the last one. Reconciled only where ``tink-system/tink-controller-manager``
is Available.
"""

from __future__ import annotations

import calendar
import time
from typing import Any

import yaml

from eksa_temporal.simulator.controllers import objects as o
from eksa_temporal.simulator.controllers.context import Ctx
from eksa_temporal.simulator.controllers.reconcilers.rufio import BMC_V

TINK_V = "tinkerbell.org/v1alpha1"
PENDING = "STATE_PENDING"
RUNNING = "STATE_RUNNING"
SUCCESS = "STATE_SUCCESS"
FAILED = "STATE_FAILED"
TIMEOUT = "STATE_TIMEOUT"
WAIT_SECONDS = 2.0


def _tasks(template: o.Obj, worker: str) -> list[dict[str, Any]] | None:
    """The Template's tasks as a Workflow's status lists them (None: unreadable data)."""
    try:
        data = yaml.safe_load(str(o.spec(template).get("data") or "")) or {}
    except yaml.YAMLError:
        return None
    tasks = []
    for task in data.get("tasks") or []:
        actions = [
            {"name": str(a.get("name") or ""), "image": str(a.get("image") or ""),
             "timeout": int(a.get("timeout") or 0), "status": PENDING}
            for a in task.get("actions") or []
        ]
        tasks.append({"name": str(task.get("name") or ""), "worker": worker, "actions": actions})
    return tasks if tasks and tasks[0]["actions"] else None


def _powered_on(ctx: Ctx, hw: o.Obj) -> bool:
    ref = o.spec(hw).get("bmcRef") or {}
    if not ref.get("name"):
        return True
    bmc = ctx.get(BMC_V, "Machine", o.namespace(hw), str(ref["name"]))
    return bmc is not None and o.status(bmc).get("powerState") == "on"


def _started(tasks: list[dict[str, Any]]) -> float | None:
    for task in tasks:
        for action in task.get("actions") or []:
            if action.get("startedAt"):
                return float(calendar.timegm(time.strptime(action["startedAt"], "%Y-%m-%dT%H:%M:%SZ")))
    return None


def reconcile_workflow(ctx: Ctx, wf: o.Obj) -> float | None:
    st = o.status(wf)
    if o.deleting(wf) or st.get("state") == SUCCESS:
        return None
    ns, sp = o.namespace(wf), o.spec(wf)
    hw = ctx.get(TINK_V, "Hardware", ns, str(sp.get("hardwareRef") or ""))
    template = ctx.get(TINK_V, "Template", ns, str(sp.get("templateRef") or ""))
    if hw is None or template is None:
        return WAIT_SECONDS
    tasks = list(st.get("tasks") or [])
    if not tasks:
        worker = str((sp.get("hardwareMap") or {}).get("device_1") or "")
        rendered = _tasks(template, worker)
        if not rendered:
            ctx.set_status(wf, {**st, "templateRending": "failed"})
            return None
        ctx.set_status(wf, {**st, "state": PENDING, "tasks": rendered, "templateRending": "successful",
                            "globalTimeout": sum(a["timeout"] for t in rendered for a in t["actions"])})
        return 0.0
    if not _powered_on(ctx, hw):
        return WAIT_SECONDS
    started = _started(tasks)
    if started is None:
        tasks[0] = {**tasks[0], "actions": [{**tasks[0]["actions"][0], "startedAt": o.now_iso(),
                                             "status": RUNNING}, *tasks[0]["actions"][1:]]}
        first = tasks[0]["actions"][0]["name"]
        ctx.set_status(wf, {**st, "state": RUNNING, "tasks": tasks, "currentAction": first})
        return ctx.knobs().boot_seconds
    remaining = started + ctx.knobs().boot_seconds - time.time()
    if remaining > 0:
        return remaining
    done = [{**t, "actions": [{**a, "status": SUCCESS} for a in t.get("actions") or []]} for t in tasks]
    last = [a["name"] for t in done for a in t["actions"]][-1:]
    ctx.set_status(wf, {**st, "state": SUCCESS, "tasks": done, "currentAction": last[0] if last else ""})
    return None
