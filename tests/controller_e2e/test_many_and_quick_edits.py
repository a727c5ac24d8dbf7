"""Load on the controller, one management cluster: ten workload cluster objects applied in
one ``kubectl apply`` are all created (one create each) and all deleted by one ``kubectl
delete``; two edits of a cluster in quick succession - the second while the operation of
the first runs - produce two upgrades, in order, never concurrent, the second applying the
final spec."""

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


def explain(mgmt: Mgmt, *names: str) -> Any:
    def text() -> str:
        objs = {n: (mgmt.kubectl.cluster(n) or {}).get("status") for n in names}
        return f"status: {objs}\n{mgmt.procs.log_text()}"

    return text


async def test_ten_clusters_applied_at_once_are_all_created_and_all_deleted(mgmt: Mgmt) -> None:
    k = mgmt.kubectl
    names = [f"many-{i}" for i in range(10)]
    k.apply("---\n".join(workload_spec(n) for n in names))

    def all_ready() -> bool:
        return all(ready(k.cluster(n)) for n in names)

    await until(all_ready, 120, "ten clusters Ready", explain(mgmt, *names))
    for n in names:
        found = await mgmt.runs(n)
        assert operations(found) == ["create"], (n, found)
        assert found[0].memo.get("eksa_origin") == "controller"
        assert len(live_machines(mgmt.sim, n)) == 2, n
    listed = k.run("get", CLUSTERS, "-o", "name").stdout.split()
    assert {f"cluster.anywhere.eks.amazonaws.com/{n}" for n in names} <= set(listed)

    k.run("delete", CLUSTERS, *names, "--wait=false")
    await until(lambda: all(k.cluster(n) is None for n in names), 120, "ten clusters gone", explain(mgmt, *names))
    for n in names:
        found = await mgmt.runs(n)
        assert operations(found) == ["create", "delete"], (n, found)
        assert_never_concurrent(found)
        assert live_machines(mgmt.sim, n) == [], n


async def test_two_quick_edits_run_as_two_operations_in_order_never_concurrently(mgmt: Mgmt) -> None:
    k, name = mgmt.kubectl, "quick"
    k.apply(workload_spec(name))
    await until(lambda: ready(k.cluster(name)), 60, f"{name} Ready", explain(mgmt, name))

    first, second = workload_spec(name, version="1.32"), workload_spec(name, version="1.32", workers=2)
    mgmt.sim.client.set_knobs(boot_seconds=1.5)  # an upgrade long enough to edit again while it runs
    try:
        k.apply(first)

        async def upgrade_running() -> bool:
            found = await mgmt.runs(name)
            return operations(found) == ["create", "upgrade"] and found[-1].running

        await until(upgrade_running, 30, "the first edit's upgrade running", explain(mgmt, name))
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

    await until(final_ready, 60, f"{name} Ready at the second edit", explain(mgmt, name))
    await anyio.sleep(1)
    found = await mgmt.runs(name)
    assert operations(found) == ["create", "upgrade", "upgrade"], found
    assert_never_concurrent(found)
    assert [r.memo.get("eksa_spec_digest") for r in found[1:]] == [digest_of(first), digest_of(second)]
    assert len(live_machines(mgmt.sim, name)) == 3
    assert all(v.startswith("v1.32") for v in node_versions(mgmt.workdir(name) / f"{name}-eks-a-cluster.kubeconfig"))
