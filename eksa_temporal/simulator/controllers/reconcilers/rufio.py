"""Stand-in for Rufio's controllers (tinkerbell/rufio, the Tinkerbell stack's BMC
controller): a ``bmc.tinkerbell.org/v1alpha1`` ``Job`` runs its ``tasks`` in order against
the BMC of the ``Machine`` its ``spec.machineRef`` names, for real, over Redfish.

Tasks: ``powerAction`` (``on``, ``off`` = hard off, ``soft``, ``cycle``, ``reset``,
``status``) and ``oneTimeBootDeviceAction`` (first of ``device``, e.g. ``pxe``, for the
next boot only; UEFI when ``efiBoot``). The BMC is reached as Rufio's bmclib reaches it with
Redfish: ``spec.connection.host`` (``https://`` unless the host names its scheme), on
``providerOptions.redfish.port`` when set (bmclib's default otherwise: the scheme's port;
``connection.port``, default 623, is IPMI's and not used for Redfish), the first system or
``providerOptions.redfish.systemName``, basic auth from the ``authSecretRef`` Secret
(``username``, ``password``), certificates not verified when ``insecureTLS``.

Status as Rufio writes it: ``Running`` (with ``startTime``) when the Job starts, then
``Completed`` (with ``completionTime``) or ``Failed`` with a message naming the task and the
BMC; a finished Job is never run again. The BMC ``Machine`` gets ``status.powerState``
(``on``/``off``/``unknown``) and a ``Contactable`` condition. A Job whose Machine or Secret
does not exist yet waits for them (as Rufio retries); an unreachable BMC or rejected
credentials fail the Job. Rufio's per-task ``Task`` objects are not created: the Job runs its
tasks itself.

sushy blocks, and reconcilers run on the emulator's event loop, so each Job runs on a small
thread pool and the reconciler polls it. A restarted sim runs an unfinished Job again from
its first task (power and boot-device actions are idempotent). A power action waits until
the BMC reports the new state (as Rufio's Task checks it), up to ``POWER_SETTLE_SECONDS``.
Passwords stay inside the run and are never written to statuses or logs.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from eksa_temporal.simulator.controllers import objects as o
from eksa_temporal.simulator.controllers.context import Ctx

log = logging.getLogger(__name__)

BMC_V = "bmc.tinkerbell.org/v1alpha1"
RUNNING = "Running"
COMPLETED = "Completed"
FAILED = "Failed"
CONTACTABLE = "Contactable"
POLL_SECONDS = 0.2
WAIT_SECONDS = 2.0
TIMEOUT_SECONDS = 10.0
POWER_SETTLE_SECONDS = 90.0  # a BMC applies a power change when the hardware has (seconds)

_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="rufio-standin")
_RUNS: dict[str, Future[str]] = {}


@dataclass(frozen=True)
class Connection:
    """How to reach one BMC over Redfish (the password is kept out of ``repr``)."""

    url: str
    username: str
    password: str = field(repr=False)
    verify: bool = True
    system_name: str = ""


class BmcJobError(Exception):
    """A task failed; the message names the task and the BMC, never the password."""


def redfish_url(connection: dict[str, Any]) -> str:
    """The Redfish base URL of a BMC ``Machine``'s ``spec.connection``."""
    host = str(connection.get("host") or "")
    url = host if "://" in host else f"https://{host}"
    port = ((connection.get("providerOptions") or {}).get("redfish") or {}).get("port")
    if port:
        parts = urlsplit(url)
        netloc = f"{parts.hostname}:{int(port)}"
        url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return url.rstrip("/")


def _connection(ctx: Ctx, machine: o.Obj) -> Connection | None:
    """The Redfish connection of a BMC Machine, or None while its Secret is missing."""
    conn = o.spec(machine).get("connection") or {}
    ref = conn.get("authSecretRef") or {}
    secret = ctx.get("v1", "Secret", ref.get("namespace") or o.namespace(machine), str(ref.get("name") or ""))
    if secret is None:
        return None
    data = {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}
    data.update(secret.get("stringData") or {})
    redfish = (conn.get("providerOptions") or {}).get("redfish") or {}
    return Connection(
        url=redfish_url(conn),
        username=data.get("username", ""),
        password=data.get("password", ""),
        verify=not conn.get("insecureTLS"),
        system_name=str(redfish.get("systemName") or ""),
    )


# the run (worker thread) ------------------------------------------------------------------
def _system(conn: Connection) -> Any:
    import sushy
    from sushy.auth import BasicAuth

    root = sushy.Sushy(
        conn.url,
        auth=BasicAuth(username=conn.username, password=conn.password),
        verify=conn.verify,
        read_timeout=TIMEOUT_SECONDS,
        connect_timeout=TIMEOUT_SECONDS,
        server_side_retries=1,
        server_side_retries_delay=1,
    )
    systems = root.get_system_collection().get_members()
    for system in systems:
        if not conn.system_name or conn.system_name in (system.name, system.identity):
            return system
    raise BmcJobError(f"BMC {conn.url} has no system {conn.system_name or '(none listed)'}")


def _power(system: Any) -> str:
    state = system.power_state
    return str(getattr(state, "value", state))


def _settle(system: Any, want: str) -> None:
    deadline = time.monotonic() + POWER_SETTLE_SECONDS
    while time.monotonic() < deadline:
        system.refresh()
        if _power(system) == want:
            return
        time.sleep(0.5)
    raise BmcJobError(f"power state did not become {want} (is {_power(system)})")


def _run_task(system: Any, task: dict[str, Any]) -> None:
    import sushy

    action = task.get("powerAction")
    if action is not None:
        system.refresh()
        state = _power(system)
        if action == "on":
            if state != "On":
                system.reset_system(sushy.RESET_ON)
            _settle(system, "On")
        elif action in ("off", "soft"):
            if state != "Off":
                system.reset_system(sushy.RESET_FORCE_OFF if action == "off" else sushy.RESET_GRACEFUL_SHUTDOWN)
            _settle(system, "Off")
        elif action == "cycle":
            system.reset_system(sushy.RESET_FORCE_RESTART if state == "On" else sushy.RESET_ON)
        elif action == "reset":
            system.reset_system(sushy.RESET_FORCE_RESTART)
        elif action != "status":
            raise BmcJobError(f"unknown powerAction {action!r}")
        return
    boot = task.get("oneTimeBootDeviceAction")
    if boot is not None:
        devices = [str(d) for d in boot.get("device") or []]
        targets = {
            "pxe": sushy.BOOT_SOURCE_TARGET_PXE,
            "disk": sushy.BOOT_SOURCE_TARGET_HDD,
            "cdrom": sushy.BOOT_SOURCE_TARGET_CD,
            "bios": sushy.BOOT_SOURCE_TARGET_BIOS_SETUP,
        }
        if not devices or devices[0] not in targets:
            raise BmcJobError(f"unsupported boot device {devices[:1]}")
        mode = sushy.BOOT_SOURCE_MODE_UEFI if boot.get("efiBoot") else None
        system.set_system_boot_options(targets[devices[0]], enabled=sushy.BOOT_SOURCE_ENABLED_ONCE, mode=mode)
        return
    if task.get("virtualMediaAction") is not None:
        raise BmcJobError("virtualMediaAction is not supported")


def run_job(conn: Connection, tasks: list[dict[str, Any]], job: str) -> str:
    """Run ``tasks`` in order against the BMC; returns the final power state (Redfish's
    ``On``/``Off``). Raises ``BmcJobError`` naming the failed task."""
    from sushy import exceptions as sushy_exc

    index = 0  # the task running (Rufio's Task ``<job>-task-<index>``)
    try:
        system = _system(conn)
        for task in tasks:
            _run_task(system, task)
            index += 1
        system.refresh()
        return _power(system)
    except sushy_exc.AccessError as exc:
        raise BmcJobError(
            f"task {job}-task-{index} failed: BMC {conn.url} rejected the credentials of user "
            f"{conn.username!r} (HTTP 401)"
        ) from exc
    except sushy_exc.ConnectionError as exc:
        raise BmcJobError(
            f"task {job}-task-{index} failed: failed to connect to BMC {conn.url}: {_scrub(exc, conn)}"
        ) from exc
    except (sushy_exc.SushyError, BmcJobError) as exc:
        raise BmcJobError(f"task {job}-task-{index} failed: BMC {conn.url}: {_scrub(exc, conn)}") from exc


def _scrub(exc: BaseException, conn: Connection) -> str:
    text = str(exc)
    return text.replace(conn.password, "[redacted]") if conn.password else text


def _poll(key: str, run: Callable[[], str]) -> Future[str] | None:
    fut = _RUNS.get(key)
    if fut is None:
        fut = _RUNS[key] = _POOL.submit(run)
    if not fut.done():
        return None
    return _RUNS.pop(key)


# the Job controller (event loop) ----------------------------------------------------------
def job_condition(job: o.Obj | None, type_: str) -> bool:
    """Whether a Rufio Job has condition ``type_`` True (``Completed``, ``Failed``)."""
    return job is not None and o.is_true(job, type_)


def job_message(job: o.Obj) -> str:
    for cond in o.status(job).get("conditions") or []:
        if cond.get("type") == FAILED:
            return str(cond.get("message") or "")
    return ""


def _with(conditions: list[dict[str, Any]], type_: str, message: str = "") -> list[dict[str, Any]]:
    cond: dict[str, Any] = {"type": type_, "status": "True"}
    if message:
        cond["message"] = message
    return [*(c for c in conditions if c.get("type") != type_), cond]


def reconcile_bmc_job(ctx: Ctx, job: o.Obj) -> float | None:
    if o.deleting(job) or job_condition(job, COMPLETED) or job_condition(job, FAILED):
        return None
    st = o.status(job)
    conds = list(st.get("conditions") or [])
    if not job_condition(job, RUNNING):
        conds = _with(conds, RUNNING)
        job = ctx.set_status(job, {**st, "startTime": o.now_iso(), "conditions": conds})
    ref = o.spec(job).get("machineRef") or {}
    ns = ref.get("namespace") or o.namespace(job)
    machine = ctx.get(BMC_V, "Machine", ns, str(ref.get("name") or ""))
    if machine is None:
        return WAIT_SECONDS  # as Rufio: retried until the Machine exists
    conn = _connection(ctx, machine)
    if conn is None:
        return WAIT_SECONDS
    tasks = list(o.spec(job).get("tasks") or [])
    key = f"{ctx.cluster}/{o.namespace(job)}/{o.name(job)}/{job['metadata'].get('uid', '')}"
    done = _poll(key, lambda: run_job(conn, tasks, o.name(job)))
    if done is None:
        return POLL_SECONDS
    exc = done.exception()
    st = o.status(job)
    if exc is None:
        power = done.result()
        _set_machine(ctx, machine, power.lower() if power in ("On", "Off") else "unknown", "")
        conds = _with(list(st.get("conditions") or []), COMPLETED)
        ctx.set_status(job, {**st, "completionTime": o.now_iso(), "conditions": conds})
        log.info("rufio stand-in: job %s/%s completed (power %s)", o.namespace(job), o.name(job), power)
        return None
    message = str(exc)
    log.warning("rufio stand-in: job %s/%s failed: %s", o.namespace(job), o.name(job), message)
    _set_machine(ctx, machine, str(o.status(machine).get("powerState") or "unknown"), message)
    ctx.set_status(job, {**st, "conditions": _with(list(st.get("conditions") or []), FAILED, message)})
    return None


def _set_machine(ctx: Ctx, machine: o.Obj, power: str, problem: str) -> None:
    cond: dict[str, Any] = {"type": CONTACTABLE, "status": "False" if problem else "True",
                            "lastUpdateTime": o.now_iso()}
    if problem:
        cond["message"] = problem
    ctx.set_status(machine, {**o.status(machine), "powerState": power, "conditions": [cond]})
