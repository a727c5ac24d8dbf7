"""The cancel matrix against the simulated infrastructure with the real activities: a
management create, upgrade and delete are each cancelled while every one of their steps
runs (the sim's knobs slow the step so it can be caught), and a parked step is aborted.

A cancelled or aborted create ends with no live machine and no virtual cluster
(bootstrap or target) of the cluster. A cancelled upgrade leaves the cluster usable and
unpaused; running the upgrade again completes it. A cancelled delete may leave the cluster
half deleted but unpaused; running the delete again completes it. In every case no CAPI
object in any virtual cluster is left paused, and the bystander cluster ``other`` (created
first) keeps exactly its machines and CAPI objects.

The cases of a test run one after the other on the test's sim and worker (a knob is global
to the sim); the clusters its upgrade or delete cases need are created together up front.
Every case is checked and the test reports all the cases that left something wrong.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from eksa_temporal.workflows import delete, upgrade
from eksa_temporal.workflows.create import MANAGEMENT_PLAN
from eksa_temporal.workflows.models import (
    CreateClusterInput,
    CreateClusterResult,
    DeleteClusterInput,
    UpgradeClusterInput,
)

from .cancel import (
    FAST,
    MATRIX,
    Hit,
    Snapshot,
    cancel_during,
    capi_objects,
    compensation,
    live_machines,
    outcome,
    park_and_abort,
    paused_objects,
    snapshot,
    starting,
    virtual_clusters,
)
from .conftest import Stack
from .test_crash_recovery import node_versions
from .test_lifecycle_e2e import spec

pytestmark = pytest.mark.anyio


async def create(stack: Stack, name: str) -> CreateClusterResult:
    ref = await stack.lc.start_create(CreateClusterInput(spec_yaml=spec(name), workdir=stack.workdir(name), timeouts=MATRIX))
    result = await asyncio.wait_for(stack.lc.wait(ref.workflow_id), timeout=120)
    assert isinstance(result, CreateClusterResult)
    return result


async def bystander(stack: Stack, names: tuple[str, ...] = ()) -> None:
    """Create the bystander ``other`` and the clusters ``names`` the cases need, together,
    with the fast knobs."""
    stack.sim.client.set_knobs(**FAST)
    await asyncio.gather(*(create(stack, n) for n in ["other", *names]))


def landed(hit: Hit) -> list[str]:
    """Problems with where the cancel landed: every step is slowed by the sim's knobs or
    held by the worker's gate, so the cancel lands in the step itself."""
    if hit.state != "cancelled":
        return [f"the operation ended {hit.state}, not cancelled"]
    where = hit.progress.error if hit.progress else None
    return [] if where == f"cancelled during {hit.step}" else [f"cancel landed {where!r}, not during {hit.step}"]


def aborted_at(hit: Hit) -> list[str]:
    where = hit.progress.error if hit.progress else None
    return [] if (where or "").startswith(f"step {hit.step} aborted by the operator") else [f"abort ended {where!r}"]


def create_leaves_nothing(stack: Stack, name: str, hit: Hit) -> list[str]:
    problems = []
    if live := live_machines(stack.sim, name):
        problems.append(f"live machines left: {[m['id'] for m in live]}")
    if left := virtual_clusters(stack.sim) & {name, f"{name}-eks-a-cluster"}:
        problems.append(f"virtual clusters left: {sorted(left)}")
    comp = [c for c in compensation(hit.progress) if c[0] != "collect-support-bundle"]
    if hit.step == "setup-validate":
        if comp:
            problems.append(f"compensation after a cancelled validation: {comp}")
    elif ("cleanup-infrastructure", "completed") not in comp or any(st != "completed" for _, st in comp):
        problems.append(f"compensation did not complete: {comp}")
    if hit.step == "capi-management-move" and [c for c, _ in comp] != ["capi-move-abort", "cleanup-infrastructure"]:
        problems.append(f"an interrupted move is not unwound before cleanup: {comp}")
    if Path(stack.workdir(name), f"{name}-eks-a-cluster.kubeconfig").exists():
        problems.append("the kubeconfig of the cancelled cluster is left")
    return problems


def common(stack: Stack, before: object, reported: set[str]) -> list[str]:
    """No CAPI object paused anywhere (each reported once, by the case that left it) and
    the bystander unchanged."""
    problems = []
    if paused := [p for p in paused_objects(stack.sim) if p not in reported]:
        reported.update(paused)
        problems.append(f"paused CAPI objects left: {paused}")
    if snapshot(stack.sim, "other") != before:
        problems.append("the bystander cluster 'other' changed")
    return problems


class Results(dict[str, list[str]]):
    """Problems per case, with each case's duration (printed with ``-s``)."""

    def __init__(self) -> None:
        super().__init__()
        self.mark = time.monotonic()
        self.seconds: dict[str, float] = {"setup": 0.0}

    def start(self) -> None:
        self.seconds["setup"] = time.monotonic() - self.mark
        self.mark = time.monotonic()

    def __setitem__(self, key: str, value: list[str]) -> None:
        super().__setitem__(key, value)
        self.seconds[key] = time.monotonic() - self.mark
        self.mark = time.monotonic()


async def begin(stack: Stack, names: tuple[str, ...] = ()) -> tuple[Results, Snapshot, set[str], list[Hit]]:
    """A matrix's start: the bystander cluster made and snapshotted, the clock started."""
    results = Results()
    await bystander(stack, names)
    before = snapshot(stack.sim, "other")
    results.start()
    return results, before, set(), []


def report(results: Results, hits: list[Hit]) -> None:
    print(f"\nsetup {results.seconds['setup']:.1f}s")
    for h, (case, seconds) in zip(hits, list(results.seconds.items())[1:], strict=True):
        print(f"{case}: {'running' if h.caught_running else 'done'}, ended {h.seconds:.1f}s after the cancel or abort; case {seconds:.1f}s")
    failed = {step: problems for step, problems in results.items() if problems}
    assert failed == {}, "\n".join(f"{step}: {'; '.join(p)}" for step, p in failed.items())


async def test_a_create_cancelled_at_any_step_leaves_no_machine_no_cluster_and_nothing_paused(stack: Stack) -> None:
    results, before, paused, hits = await begin(stack)
    for i, step in enumerate(MANAGEMENT_PLAN):
        name = f"cc{i}"
        inp = CreateClusterInput(spec_yaml=spec(name), workdir=stack.workdir(name), timeouts=MATRIX)
        hit = await cancel_during(stack.sim, stack.lc, starting(stack.lc.start_create, inp), MANAGEMENT_PLAN, step, stack.gate)
        hits.append(hit)
        results[step] = landed(hit) + create_leaves_nothing(stack, name, hit) + common(stack, before, paused)
    assert all(h.caught_running for h in hits), [h.step for h in hits if not h.caught_running]
    report(results, hits)


async def usable(stack: Stack, name: str, settle: float = 15.0) -> list[str]:
    """The cluster answers with its kubeconfig, and each of its nodes is a live machine.

    An upgrade cancelled during ``upgrade-cluster`` leaves CAPI's rollout going on, as on a
    real management cluster: a replaced machine's Node is deleted after its machine, so a
    Node may outlive its machine for a moment. The rollout is given ``settle`` seconds."""
    kubeconfig = Path(stack.workdir(name), f"{name}-eks-a-cluster.kubeconfig")
    deadline = time.monotonic() + settle
    while True:
        try:
            nodes = node_versions(kubeconfig)
        except Exception as exc:  # reported as a problem of the case
            return [f"the cluster does not answer: {exc}"]
        live = {str(m["provider_id"]) for m in live_machines(stack.sim, name)}
        if nodes and set(nodes) <= live:
            return []
        if time.monotonic() > deadline:
            return [f"nodes {sorted(nodes)} vs live machines {sorted(live)} after {settle:.0f}s"]
        await asyncio.sleep(0.25)


async def test_an_upgrade_cancelled_at_any_step_leaves_the_cluster_usable_and_unpaused(stack: Stack) -> None:
    names = tuple(f"cu{i}" for i in range(len(upgrade.PLAN)))
    results, before, paused, hits = await begin(stack, names)
    for name, step in zip(names, upgrade.PLAN, strict=True):
        new = UpgradeClusterInput(spec_yaml=spec(name, version="1.32", workers=2), workdir=stack.workdir(name), timeouts=MATRIX)
        hit = await cancel_during(stack.sim, stack.lc, starting(stack.lc.start_upgrade, new), upgrade.PLAN, step, stack.gate)
        hits.append(hit)
        problems = landed(hit) + common(stack, before, paused) + await usable(stack, name)
        # what a cancelled upgrade leaves is a cluster the same upgrade can finish
        if problem := await outcome(stack.lc, (await stack.lc.start_upgrade(new)).workflow_id):
            problems.append(f"the re-run upgrade {problem}")
        else:
            versions = node_versions(Path(stack.workdir(name), f"{name}-eks-a-cluster.kubeconfig"))
            if len(versions) != 3 or not all(v.startswith("v1.32") for v in versions.values()):
                problems.append(f"the re-run upgrade did not finish the rollout: {versions}")
        results[step] = problems
    report(results, hits)


def put_back(stack: Stack, name: str, hit: Hit) -> list[str]:
    """Before ``delete-cluster`` a cancelled delete leaves the cluster managing itself and
    removes the bootstrap cluster it made."""
    problems = []
    if not any(o["plural"] == "clusters" and o["metadata"]["name"] == name for o in capi_objects(stack.sim, name)):
        problems.append("the cluster no longer holds its own CAPI Cluster")
    if f"{name}-eks-a-cluster" in virtual_clusters(stack.sim):
        problems.append("the bootstrap cluster is left")
    if failed := [c for c in compensation(hit.progress) if c[1] != "completed"]:
        problems.append(f"compensation failed: {failed}")
    return problems


async def deleted(stack: Stack, name: str) -> list[str]:
    """Run the delete again: it completes and nothing of the cluster is left."""
    inp = DeleteClusterInput(spec_yaml=spec(name), workdir=stack.workdir(name), timeouts=MATRIX)
    if problem := await outcome(stack.lc, (await stack.lc.start_delete(inp)).workflow_id):
        return [f"the re-run delete {problem}"]
    problems = []
    if live := live_machines(stack.sim, name):
        problems.append(f"live machines after the re-run delete: {[m['id'] for m in live]}")
    if left := virtual_clusters(stack.sim) & {name, f"{name}-eks-a-cluster"}:
        problems.append(f"virtual clusters after the re-run delete: {sorted(left)}")
    return problems


async def test_a_delete_cancelled_at_any_step_is_unpaused_and_a_re_run_finishes_it(stack: Stack) -> None:
    names = tuple(f"cd{i}" for i in range(len(delete.MANAGEMENT_PLAN)))
    results, before, paused, hits = await begin(stack, names)
    for name, step in zip(names, delete.MANAGEMENT_PLAN, strict=True):
        inp = DeleteClusterInput(spec_yaml=spec(name), workdir=stack.workdir(name), timeouts=MATRIX)
        hit = await cancel_during(stack.sim, stack.lc, starting(stack.lc.start_delete, inp), delete.MANAGEMENT_PLAN, step, stack.gate)
        hits.append(hit)
        problems = landed(hit) + common(stack, before, paused)
        if delete.MANAGEMENT_PLAN.index(step) < delete.MANAGEMENT_PLAN.index("delete-cluster"):
            problems += await usable(stack, name) + put_back(stack, name, hit)
        results[step] = problems + await deleted(stack, name)
    report(results, hits)


# a step of each kind per operation: one before the cluster exists or is changed, the move
# (or backup), the step that changes the machines
ABORTS = {
    "create": ["install-capi-components-bootstrap", "capi-management-move"],
    "upgrade": ["capi-backup", "upgrade-cluster"],
    "delete": ["capi-move-to-bootstrap", "delete-cluster"],
}


async def test_aborting_a_parked_step_leaves_the_same_as_a_cancel(stack: Stack) -> None:
    names = tuple(f"au{i}" for i in range(len(ABORTS["upgrade"]))) + tuple(f"ad{i}" for i in range(len(ABORTS["delete"])))
    results, before, paused, hits = await begin(stack, names)
    for i, step in enumerate(ABORTS["create"]):
        name = f"ac{i}"
        ref = await stack.lc.start_create(CreateClusterInput(spec_yaml=spec(name), workdir=stack.workdir(name), timeouts=MATRIX))
        hit = await park_and_abort(stack.sim, stack.lc, ref.workflow_id, MANAGEMENT_PLAN, step)
        hits.append(hit)
        results[f"create {step}"] = aborted_at(hit) + create_leaves_nothing(stack, name, hit) + common(stack, before, paused)
    for i, step in enumerate(ABORTS["upgrade"]):
        name = f"au{i}"
        new = UpgradeClusterInput(spec_yaml=spec(name, version="1.32", workers=2), workdir=stack.workdir(name), timeouts=MATRIX)
        hit = await park_and_abort(stack.sim, stack.lc, (await stack.lc.start_upgrade(new)).workflow_id, upgrade.PLAN, step)
        hits.append(hit)
        problems = aborted_at(hit) + common(stack, before, paused) + await usable(stack, name)
        if problem := await outcome(stack.lc, (await stack.lc.start_upgrade(new)).workflow_id):
            problems.append(f"the re-run upgrade {problem}")
        results[f"upgrade {step}"] = problems
    for i, step in enumerate(ABORTS["delete"]):
        name = f"ad{i}"
        inp = DeleteClusterInput(spec_yaml=spec(name), workdir=stack.workdir(name), timeouts=MATRIX)
        hit = await park_and_abort(stack.sim, stack.lc, (await stack.lc.start_delete(inp)).workflow_id, delete.MANAGEMENT_PLAN, step)
        hits.append(hit)
        results[f"delete {step}"] = aborted_at(hit) + common(stack, before, paused) + await deleted(stack, name)
    report(results, hits)
