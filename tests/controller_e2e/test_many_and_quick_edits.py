"""Load on the controller, one management cluster: ten workload cluster objects applied at
once (two namespaces, one ``kubectl apply`` each) are all created (one create each) and all
deleted by ``kubectl delete``; two edits of a cluster in quick succession - the second while the operation of
the first runs - produce two upgrades, in order, never concurrent, the second applying the
final spec. A cluster deleted while its create runs is deleted once the create ends."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from .clusters import (
    ANNOTATION,
    CLUSTERS,
    assert_never_concurrent,
    digest_of,
    live_machines,
    node_versions,
    notes_of,
    operations,
    ready,
    until,
    workload_spec,
)
from .conftest import Mgmt

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


def explain(mgmt: Mgmt, *clusters: tuple[str, str]) -> Any:
    def text() -> str:
        objs = {f"{ns}/{n}": (mgmt.kubectl.cluster(n, ns) or {}).get("status") for n, ns in clusters}
        return f"status: {objs}\n{mgmt.procs.log_text()}"

    return text


async def test_ten_clusters_applied_at_once_are_all_created_and_all_deleted(mgmt: Mgmt) -> None:
    """Five in namespace default, five in namespace team-a (one ``kubectl apply`` each)."""
    k = mgmt.kubectl
    k.run("create", "namespace", "team-a")
    clusters = [(f"many-{i}", "default" if i < 5 else "team-a") for i in range(10)]
    for ns in ("default", "team-a"):
        text = "---\n".join(workload_spec(n) for n, where in clusters if where == ns)
        k.run("apply", "-n", ns, "-f", "-", stdin=text)

    def all_ready() -> bool:
        return all(ready(k.cluster(n, ns)) for n, ns in clusters)

    await until(all_ready, 120, "ten clusters Ready", explain(mgmt, *clusters))
    for n, ns in clusters:
        found = await mgmt.runs(n, ns)
        assert operations(found) == ["create"], (n, found)
        assert found[0].memo.get("eksa_origin") == "controller"
        assert len(live_machines(mgmt.sim, n)) == 2, n
    listed = k.run("get", CLUSTERS, "-A", "-o", "name").stdout.split()
    assert {f"cluster.anywhere.eks.amazonaws.com/{n}" for n, _ in clusters} <= set(listed)

    for ns in ("default", "team-a"):
        k.run("delete", "-n", ns, CLUSTERS, *[n for n, where in clusters if where == ns], "--wait=false")
    await until(lambda: all(k.cluster(n, ns) is None for n, ns in clusters), 120, "ten clusters gone", explain(mgmt, *clusters))
    for n, ns in clusters:
        found = await mgmt.runs(n, ns)
        assert operations(found) == ["create", "delete"], (n, found)
        assert_never_concurrent(found)
        assert live_machines(mgmt.sim, n) == [], n


async def test_a_cluster_deleted_while_its_create_runs_is_deleted_once_the_create_ends(mgmt: Mgmt) -> None:
    k, name = mgmt.kubectl, "early"
    mgmt.sim.client.set_knobs(boot_seconds=1.5)
    try:
        k.apply(workload_spec(name))

        async def create_running() -> bool:
            found = await mgmt.runs(name)
            return operations(found) == ["create"] and found[0].running

        await until(create_running, 30, "the create running", explain(mgmt, (name, "default")))
        k.run("delete", CLUSTERS, name, "--wait=false")
        obj = k.cluster(name)
        assert obj is not None and obj["metadata"].get("deletionTimestamp"), "the object went before its cluster"
    finally:
        mgmt.sim.client.set_knobs(boot_seconds=0.2)
    await until(lambda: k.cluster(name) is None, 60, f"{name} gone", explain(mgmt, (name, "default")))
    found = await mgmt.runs(name)
    assert operations(found) == ["create", "delete"], found
    assert_never_concurrent(found)
    assert live_machines(mgmt.sim, name) == []


async def test_two_quick_edits_run_as_two_operations_in_order_never_concurrently(mgmt: Mgmt) -> None:
    k, name = mgmt.kubectl, "quick"
    k.apply(workload_spec(name))
    await until(lambda: ready(k.cluster(name)), 60, f"{name} Ready", explain(mgmt, (name, "default")))

    first, second = workload_spec(name, version="1.32"), workload_spec(name, version="1.32", workers=2)
    mgmt.sim.client.set_knobs(boot_seconds=1.5)  # an upgrade long enough to edit again while it runs
    try:
        k.apply(first)

        async def upgrade_running() -> bool:
            found = await mgmt.runs(name)
            return operations(found) == ["create", "upgrade"] and found[-1].running

        await until(upgrade_running, 30, "the first edit's upgrade running", explain(mgmt, (name, "default")))
        k.apply(second)
        edited_while_running = (await mgmt.runs(name))[-1].running
        # the running operation stays on the object meanwhile; the second waits behind it
        assert notes_of(k.cluster(name)).get(f"{ANNOTATION}-workflow") == f"eksa/default/{name}"
    finally:
        mgmt.sim.client.set_knobs(boot_seconds=0.2)
    assert edited_while_running, "the second edit came after the first upgrade ended: nothing was queued"

    def final_ready() -> dict[str, Any] | None:
        obj = k.cluster(name)
        return obj if obj is not None and ready(obj) and obj["spec"]["workerNodeGroupConfigurations"][0]["count"] == 2 else None

    await until(final_ready, 60, f"{name} Ready at the second edit", explain(mgmt, (name, "default")))
    await anyio.sleep(1)
    found = await mgmt.runs(name)
    assert operations(found) == ["create", "upgrade", "upgrade"], found
    assert_never_concurrent(found)
    assert [r.memo.get("eksa_spec_digest") for r in found[1:]] == [digest_of(first), digest_of(second)]
    assert len(live_machines(mgmt.sim, name)) == 3
    assert all(v.startswith("v1.32") for v in node_versions(mgmt.workdir(name) / f"{name}-eks-a-cluster.kubeconfig"))
