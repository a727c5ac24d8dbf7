"""A second vSphere create of a live cluster, from another folder, is refused by the
workflow's ``setup-validate`` (the CLI holds no vSphere credentials, so only the worker can
see the VMs): ``ClusterExists`` naming the cluster's VMs, and the VMs stay as they were."""

from __future__ import annotations

from typing import Any

import pytest

from tests.vsphere import specs
from tests.vsphere_e2e.conftest import Env
from tests.vsphere_e2e.test_create_vsphere_e2e import cluster_vms, create, delete, write_spec

pytestmark = pytest.mark.anyio


async def test_a_second_vsphere_create_is_refused_and_the_vms_stay(
    e2e: Env, inventory: specs.SimInfo, start_worker: Any
) -> None:
    worker = start_worker(inventory.user, inventory.password)
    e2e.sim.client.set_knobs(vsphere_clone=True)  # the stand-in clones each machine in vcsim
    spec = write_spec(e2e, inventory, "vs2")
    workdir = e2e.root / "out" / "vs2"
    first = create(e2e, worker.task_queue, spec, workdir)
    assert first.returncode == 0, first.stdout + first.stderr
    before = cluster_vms(inventory, "vs2")
    assert len(before) == 2

    second = create(e2e, worker.task_queue, spec, e2e.root / "elsewhere" / "vs2")
    output = " ".join((second.stdout + second.stderr).split())  # the status table wraps lines
    assert second.returncode == 1, output
    assert "step setup-validate failed: ClusterExists: cluster default/vs2 already exists" in output, output
    assert "VM(s) of cluster vs2" in output and "/DC0/vm/eksa/vs2-" in output, output
    assert cluster_vms(inventory, "vs2") == before

    removed = delete(e2e, worker.task_queue, spec, workdir)
    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert cluster_vms(inventory, "vs2") == {}
