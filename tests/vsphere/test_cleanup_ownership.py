"""vSphere cleanup by owner identity against vcsim: clusters ``prod`` and ``prod-b`` (named
``ownprod`` / ``ownprod-b`` here, apart from other tests' clusters) have VMs
cloned as the CAPV stand-in clones them (marked with their create run's owner), in the same
folder with overlapping name prefixes. The compensation of ``prod``'s create - the real
``cleanup-infrastructure`` activity - removes exactly ``prod``'s VMs, straight on vCenter,
while the simulated infrastructure (which serves the bootstrap cluster) is stopped;
``prod-b``'s VMs keep their identity, power state and place."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from temporalio.testing import ActivityEnvironment

from eksa_temporal.activities.models import CleanupInput
from eksa_temporal.activities.teardown import TeardownActivities
from eksa_temporal.ownership import owner_id
from eksa_temporal.providers.base import Ownership
from eksa_temporal.providers.bootstrap import SimBootstrapper
from eksa_temporal.providers.registry import Registry
from eksa_temporal.providers.vsphere import VSphereProvider
from eksa_temporal.providers.vsphere.inventory import inventory_path, vm_properties
from eksa_temporal.providers.vsphere.machines import clone_machine
from eksa_temporal.providers.vsphere.view import cluster_view
from eksa_temporal.simulator.api import SimClient, SimNotRunning
from tests.support.vcsim import open_session

from .specs import SimInfo, documents, spec


def vms(sim: SimInfo) -> dict[str, tuple[str, str]]:
    """Every VM that is not a template: path -> (BIOS UUID, power state)."""
    with open_session(sim) as session:
        rows = vm_properties(
            session.content,
            session.content.rootFolder,
            ["config.uuid", "runtime.powerState", "config.template"],
        )
        return {
            inventory_path(r["obj"]): (str(r["config.uuid"]), str(r["runtime.powerState"]))
            for r in rows
            if not r.get("config.template")
        }


def stopped_sim(state_dir: Path) -> Path:
    """A sim state dir whose server is gone (killed: its server.json points nowhere)."""
    state_dir.mkdir(parents=True)
    (state_dir / "admin-token").write_text("token-of-a-stopped-sim\n")
    (state_dir / "server.json").write_text(json.dumps({"url": "https://127.0.0.1:9", "pid": 1}))
    return state_dir


def create_run(cluster: str, run_id: str) -> ActivityEnvironment:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(
        env.info, workflow_id=f"eksa/default/{cluster}", workflow_run_id=run_id
    )
    return env


PROD, PROD_B = "ownprod", "ownprod-b"


def test_compensation_of_prod_removes_only_its_vms_with_the_sim_stopped(
    inventory: SimInfo, vsphere_env: SimInfo, tmp_path: Path
) -> None:
    owners = {
        PROD: owner_id(f"eksa/default/{PROD}", "run-a"),
        PROD_B: owner_id(f"eksa/default/{PROD_B}", "run-b"),
    }
    with open_session(vsphere_env) as session:
        for cluster, owner in owners.items():
            view = cluster_view(spec(vsphere_env, cluster))
            for i, group in enumerate([view.control_plane, *view.workers]):
                clone_machine(session, view, group.machine, f"{cluster}-{group.name}-{i}", owner)
    before = vms(vsphere_env)
    prod = {p for p in before if f"/{PROD}-" in p and f"/{PROD_B}-" not in p}
    prod_b = {p for p in before if f"/{PROD_B}-" in p}
    assert len(prod) == 2 and len(prod_b) == 2 and all(before[p][1] == "poweredOn" for p in prod)

    fields: dict[str, Any] = {
        "cluster_name": PROD,
        "provider": "vsphere",
        "workdir": str(tmp_path / PROD),
        "spec_yaml": yaml.safe_dump_all(documents(vsphere_env, PROD)),
    }
    # the bootstrap cluster's backend is down (here: a stopped sim behind it)
    down = stopped_sim(tmp_path / "sim")
    registry = Registry(down, bootstrapper=SimBootstrapper(SimClient(down)))
    with pytest.raises(SimNotRunning):  # the bootstrap side waits for its backend: retried later
        create_run(PROD, "run-a").run(
            TeardownActivities(registry).cleanup_infrastructure, CleanupInput(**fields)
        )

    after = vms(vsphere_env)
    assert not prod & set(after), "prod's VMs are removed although the sim is down"
    assert after == {p: v for p, v in before.items() if p not in prod}  # prod-b unchanged

    # another run of prod's create (e.g. one refused for the existing cluster) removes nothing
    with open_session(vsphere_env) as session:
        view = cluster_view(spec(vsphere_env, PROD))
        clone_machine(session, view, view.control_plane.machine, f"{PROD}-cp-again", owners[PROD])
    with pytest.raises(SimNotRunning):
        create_run(PROD, "run-z").run(
            TeardownActivities(registry).cleanup_infrastructure, CleanupInput(**fields)
        )
    assert f"/DC0/vm/eksa/{PROD}-cp-again" in vms(vsphere_env)

    for cluster, owner in owners.items():  # leave vcsim as the other tests expect it
        VSphereProvider().cleanup(spec(vsphere_env, cluster), Ownership(owner=owner))
    assert not [p for p in vms(vsphere_env) if f"/{PROD}-" in p]
