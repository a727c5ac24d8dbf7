"""Cancel-matrix helpers: slow the sim with its knobs so a chosen step of an operation can
be caught while it runs, cancel (or park and abort) the operation there, and check what it
leaves: no live machine or virtual cluster of a cancelled create, no CAPI object left
paused in any virtual cluster, and a bystander cluster exactly as it was.

``STEP_KNOBS`` says which knob makes each step slow enough to catch: machine boot time for
the steps that wait for machines, Deployment readiness for component installs, API latency
for the steps that talk to a cluster. The steps that make one or two calls, or none
(``HELD``), are too quick for any knob: a worker built with a ``Gate`` holds such a step
at its start until the cancel has been sent. Without a gate (a worker in another process)
such a step may be done when the cancel arrives; the workflow then stops before the next
one - the progress shows where.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from kubernetes.client import CustomObjectsApi
from kubernetes.client.rest import ApiException
from temporalio import activity
from temporalio.client import WorkflowHandle
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

from eksa_temporal.client import LifecycleClient, LifecycleError
from eksa_temporal.workflows.models import OperationProgress, StepState, Timeouts
from tests.support.sim import SimServer

# the e2e sim's own speed (tests/e2e/conftest.py SIM_ARGS) and the knobs that slow a step
FAST: dict[str, Any] = {
    "boot_seconds": 0.2,
    "deployment_ready_seconds": 0.3,
    "api_latency_seconds": 0.0,
    "api_error_rate": 0.0,
    "machine_failure_rate": 0.0,
}
LATENCY = {"api_latency_seconds": 0.08}
STEP_KNOBS: dict[str, dict[str, Any]] = {
    "install-capi-components-bootstrap": {"deployment_ready_seconds": 1.5},
    "install-capi-components-workload": {"deployment_ready_seconds": 1.5},
    "workload-cluster-init": {"boot_seconds": 1.5},
    "upgrade-cluster": {"boot_seconds": 1.5},
    "delete-cluster": LATENCY,
}
# steps the sim's knobs cannot slow (no API call, no wait): the cancel may land after them
UNSLOWABLE = frozenset({"write-cluster-config", "setup-validate", "capi-backup-remove"})

# cancels reach a running step within 0.8 x heartbeat_seconds; parking takes 2 attempts
MATRIX = Timeouts(
    step_seconds=20, long_step_seconds=90, heartbeat_seconds=5,
    initial_retry_seconds=0.1, max_retry_seconds=0.3, max_attempts=2,
)

# (group, version, plural) of every CAPI kind a cluster of the sim or vSphere provider has
CAPI_KINDS = tuple(
    (group, "v1beta1", plural)
    for group, plurals in {
        "cluster.x-k8s.io": ("clusters", "machines", "machinesets", "machinedeployments"),
        "controlplane.cluster.x-k8s.io": ("kubeadmcontrolplanes",),
        "bootstrap.cluster.x-k8s.io": ("kubeadmconfigs", "kubeadmconfigtemplates"),
        "infrastructure.cluster.x-k8s.io": (
            "simclusters", "simmachines", "simmachinetemplates",
            "vsphereclusters", "vspheremachines", "vspheremachinetemplates",
        ),
    }.items()
    for plural in plurals
)
PAUSED = "cluster.x-k8s.io/paused"


def slow_knobs(step: str) -> dict[str, Any]:
    """The knobs that keep ``step`` running long enough to be caught."""
    return {**FAST, **STEP_KNOBS.get(step, LATENCY if step not in UNSLOWABLE else {})}


def predecessor(plan: list[str], step: str) -> str | None:
    i = plan.index(step)
    return plan[i - 1] if i > 0 else None


async def progress(handle: WorkflowHandle[Any, Any]) -> OperationProgress | None:
    try:
        result: OperationProgress = await handle.query("progress", result_type=OperationProgress)
    except Exception:  # not started yet, or between tasks
        return None
    return result


def state_of(p: OperationProgress, step: str) -> StepState | None:
    return next((sp.state for sp in p.steps if sp.name == step), None)


async def until_step(
    handle: WorkflowHandle[Any, Any], step: str, states: tuple[StepState, ...], *, seconds: float = 60
) -> OperationProgress:
    """Poll the ``progress`` query until ``step`` is in one of ``states``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        p = await progress(handle)
        if p is not None and state_of(p, step) in states:
            return p
        await asyncio.sleep(0.03)
    raise AssertionError(f"{step} never reached {[st.value for st in states]} within {seconds}s")


# steps of one or two API calls, or none (the first step of each plan among them: held
# from before the operation starts when ``cancel_during`` is given the start itself)
HELD = frozenset({
    "setup-validate", "setup-validate-upgrade", "setup-validate-delete",
    "write-kubeconfig", "write-cluster-config", "delete-kind-cluster", "capi-backup-remove",
})


class Gate(Interceptor):
    """Holds the start of one step (by activity type) until released, for at most
    ``limit`` seconds; the step then runs as it would have."""

    def __init__(self, limit: float = 60.0) -> None:
        self.step: str | None = None
        self.open = threading.Event()
        self.open.set()
        self.limit = limit

    def hold(self, step: str) -> None:
        self.step = step
        self.open.clear()

    def release(self) -> None:
        self.step = None
        self.open.set()

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _Held(next, self)


class _Held(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, gate: Gate) -> None:
        super().__init__(next)
        self.gate = gate

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        if activity.info().activity_type == self.gate.step:
            deadline = time.monotonic() + self.gate.limit
            while not self.gate.open.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
        return await super().execute_activity(input)


@dataclass
class Hit:
    """Where a cancel or abort landed."""

    step: str
    caught_running: bool
    progress: OperationProgress | None = None
    seconds: float = 0.0
    state: str = ""  # how the operation ended
    held: bool = False  # the step was held at its start by a Gate until the cancel was sent


async def cancel_during(
    sim: SimServer,
    lc: LifecycleClient,
    operation: str | Callable[[], Awaitable[str]],
    plan: list[str],
    step: str,
    gate: Gate | None = None,
) -> Hit:
    """Slow ``step`` with its knobs once its predecessor runs (or hold it with ``gate``, for
    a step in ``HELD``), cancel as soon as ``step`` runs, restore the fast knobs, release
    the gate, and wait until the operation has ended (cancelled). ``operation``: the
    workflow id, or what starts the operation and returns its id (started once the gate
    holds the step, which the first step of a plan needs)."""
    held = gate if gate is not None and step in HELD else None
    if held is not None:
        held.hold(step)
    try:
        wf_id = operation if isinstance(operation, str) else await operation()
        return await _cancel_during(sim, lc, wf_id, plan, step, held)
    finally:
        if held is not None:
            held.release()


def starting(start: Callable[[Any], Awaitable[Any]], inp: Any) -> Callable[[], Awaitable[str]]:
    """What starts an operation (``lc.start_create`` ...) with ``inp``, for ``cancel_during``."""

    async def run() -> str:
        return str((await start(inp)).workflow_id)

    return run


async def _cancel_during(
    sim: SimServer, lc: LifecycleClient, wf_id: str, plan: list[str], step: str, held: Gate | None
) -> Hit:
    handle = lc.handle(wf_id)
    knobs = FAST if held is not None else slow_knobs(step)
    if (before := predecessor(plan, step)) is not None:
        await until_step(handle, before, (StepState.RUNNING, StepState.COMPLETED))
    sim.client.set_knobs(**knobs)
    if step == plan[0] and held is None:  # cancel at once: the first step is the current one from the start
        p = await progress(handle)
        running = p is not None and state_of(p, step) == StepState.RUNNING
    else:
        p = await until_step(handle, step, (StepState.RUNNING, StepState.COMPLETED))
        running = state_of(p, step) == StepState.RUNNING
    started = time.monotonic()
    await lc.cancel(wf_id)
    sim.client.set_knobs(**FAST)
    if held is not None:
        held.release()
    try:
        await asyncio.wait_for(lc.wait(wf_id), timeout=120)
    except LifecycleError as exc:
        assert "cancelled" in str(exc), str(exc)
    status = await lc.status(wf_id)
    return Hit(step, running, status.progress, time.monotonic() - started, status.state, held is not None)


async def park_and_abort(
    sim: SimServer, lc: LifecycleClient, wf_id: str, plan: list[str], step: str,
    *, fault: dict[str, Any] | None = None,
) -> Hit:
    """Make ``step`` fail (API errors by default) once it runs, so its retries are
    exhausted and it parks; then restore the sim and ``abort`` through the client. The step
    is slowed from the moment its predecessor runs (as for a cancel), so the fault reaches
    it while it runs, however loaded the machine is."""
    handle = lc.handle(wf_id)
    if (before := predecessor(plan, step)) is not None:
        await until_step(handle, before, (StepState.RUNNING, StepState.COMPLETED))
    sim.client.set_knobs(**slow_knobs(step))
    await until_step(handle, step, (StepState.RUNNING,))
    sim.client.set_knobs(**(fault or {"api_error_rate": 1.0}))
    await until_step(handle, step, (StepState.AWAITING_OPERATOR,), seconds=90)
    sim.client.set_knobs(**FAST)
    started = time.monotonic()
    reply = await lc.abort(wf_id, "rehearsal: give up")
    assert reply.step == step and reply.decision == "abort"
    try:
        await asyncio.wait_for(lc.wait(wf_id), timeout=120)
    except LifecycleError as exc:
        assert "aborted by the operator" in str(exc), str(exc)
    else:
        raise AssertionError(f"{wf_id} completed although it was aborted at {step}")
    status = await lc.status(wf_id)
    assert status.state == "failed", status
    return Hit(step, True, status.progress, time.monotonic() - started, status.state)


# -- what an operation leaves ----------------------------------------------------------
def live_machines(sim: SimServer, cluster: str | None = None) -> list[dict[str, Any]]:
    machines = [m for m in sim.client.machines() if m["state"] in ("provisioning", "running")]
    return [m for m in machines if cluster is None or m.get("cluster") == cluster]


def virtual_clusters(sim: SimServer) -> set[str]:
    return {c["name"] for c in sim.client.clusters()}


def capi_objects(sim: SimServer, cluster: str) -> list[dict[str, Any]]:
    """Every CAPI object in virtual cluster ``cluster`` (kinds without a CRD there: none)."""
    api = CustomObjectsApi(sim.api_client(cluster))
    found: list[dict[str, Any]] = []
    try:
        for group, version, plural in CAPI_KINDS:
            try:
                items = api.list_cluster_custom_object(group, version, plural)["items"]
            except ApiException as exc:
                if exc.status != 404:
                    raise
                continue
            found += [{**item, "plural": plural} for item in items]
    finally:
        api.api_client.close()
    return found


def paused_objects(sim: SimServer) -> list[str]:
    """Every CAPI object, in every virtual cluster, that is paused (``spec.paused`` of a
    Cluster or the ``cluster.x-k8s.io/paused`` annotation)."""
    paused: list[str] = []
    for name in sorted(virtual_clusters(sim)):
        for obj in capi_objects(sim, name):
            meta = obj["metadata"]
            if (obj["plural"] == "clusters" and (obj.get("spec") or {}).get("paused")) or PAUSED in (
                meta.get("annotations") or {}
            ):
                paused.append(f"{name}: {obj['plural']} {meta.get('namespace')}/{meta['name']}")
    return paused


@dataclass(frozen=True)
class Snapshot:
    """A cluster's machines (inventory) and CAPI objects (identity, spec generation,
    deletion, pause), to prove an operation on another cluster left it alone."""

    machines: tuple[tuple[str, str, str], ...]
    objects: tuple[tuple[str, ...], ...] = field(default=())


def snapshot(sim: SimServer, cluster: str) -> Snapshot:
    machines = tuple(sorted(
        (str(m["id"]), str(m["state"]), str(m["provider_id"])) for m in sim.client.machines() if m["cluster"] == cluster
    ))
    objects = []
    for obj in capi_objects(sim, cluster):
        meta = obj["metadata"]
        objects.append((
            obj["plural"], str(meta.get("namespace")), meta["name"], meta["uid"], str(meta.get("generation")),
            str(meta.get("deletionTimestamp")), str((obj.get("spec") or {}).get("paused")),
            str(PAUSED in (meta.get("annotations") or {})),
        ))
    return Snapshot(machines, tuple(sorted(objects)))


def compensation(p: OperationProgress | None) -> list[tuple[str, str]]:
    return [(c.name, c.state.value) for c in (p.compensation if p else [])]


async def outcome(lc: LifecycleClient, wf_id: str, *, seconds: float = 120) -> str | None:
    """Wait for the operation to end: None when it completed, else what went wrong (a
    parked step is cancelled, so a broken case costs seconds, not a timeout)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        st = await lc.status(wf_id, with_progress=False)
        if st.state == "completed":
            return None
        if st.state in ("failed", "cancelled"):
            return f"ended {st.state}: {st.error}"
        if st.state == "awaiting-operator":
            p = await progress(lc.handle(wf_id))
            await lc.cancel(wf_id)
            with contextlib.suppress(LifecycleError, asyncio.TimeoutError):
                await asyncio.wait_for(lc.wait(wf_id), timeout=60)
            return f"parked: {p.error if p else '?'}"
        await asyncio.sleep(0.2)
    return f"still {wf_id} running after {seconds}s"
