"""The Tinkerbell provider end to end through the workflows: a 3-host hardware CSV (real
sushy-emulator BMCs on 127.0.0.x, a BMC password generated per run), the kind stand-in for
the bootstrap cluster, CAPT and the Tinkerbell stack installed from
``../shared/upstream-components`` as they are, the simulator playing CAPT/Tink/Rufio. A
create of 1 control plane + 1 worker with the worker ``kill -9``ed during provisioning: each
host claimed at most once, the claims moved into the new cluster with the Hardware, the BMC
password in no history or worker log; then a delete powers the claimed hosts off."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from temporalio.testing import WorkflowEnvironment

from eksa_temporal.client import LifecycleClient
from eksa_temporal.kube.client import kube_for
from eksa_temporal.providers.registry import load_spec_plugins
from eksa_temporal.providers.tinkerbell.bmc import BmcTarget, power_state
from eksa_temporal.providers.tinkerbell.inventory import OWNER_NAME_LABEL
from eksa_temporal.spec import generate_cluster_config
from eksa_temporal.workflows.models import (
    CreateClusterInput,
    CreateClusterResult,
    DeleteClusterInput,
    DeleteClusterResult,
)
from tests.providers.tinkerbell.bmc_hosts import USER, BmcHosts, bmc_hosts
from tests.providers.tinkerbell_bmc.emulator import SUSHY_EMULATOR
from tests.support.sim import SimServer
from tests.support.standins import STANDINS_BIN, Standins

from .crash import WorkerRelay, crash_at_every_step
from .secrets import assert_no_secrets, decoded_history, secrets_of
from .test_crash_recovery import CRASH
from .test_lifecycle_e2e import kubectl_nodes

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(not SUSHY_EMULATOR.exists(), reason="sushy-tools is installed by scripts/install.sh --test"),
]
LABELS = ["type=cp", "type=worker", "type=worker"]
NS = "eksa-system"


@pytest.fixture
def bm_env(sim: SimServer, tmp_path: Path, upstream_components: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[BmcHosts]:
    """3 BMCs (hosts powered on), the stand-ins on PATH and the upstream components as the
    worker's component source, all inherited by worker subprocesses."""
    standins = Standins(STANDINS_BIN, tmp_path / "standin-calls.jsonl", sim)
    for key, value in standins.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("EKSA_COMPONENTS_SOURCE", str(upstream_components))
    sim.client.set_knobs(boot_seconds=0.5, deployment_ready_seconds=0.0)
    load_spec_plugins()
    with bmc_hosts(tmp_path / "bmcs", 3, power="On", first=90) as hosts:
        for key, value in hosts.env.items():
            monkeypatch.setenv(key, value)
        yield hosts


def power(hosts: BmcHosts, i: int) -> str:
    target = BmcTarget(f"host-{i}", hosts.bmcs[i].address, USER, SecretStr(hosts.password))
    return power_state(target, timeout=5)


async def test_tinkerbell_create_survives_kill_9_and_delete_frees_the_hosts(
    temporal_env: WorkflowEnvironment, sim: SimServer, tmp_path: Path, bm_env: BmcHosts
) -> None:
    hosts, name = bm_env, "bm"
    ref_csv = hosts.csv(hosts.rows(LABELS))
    spec = generate_cluster_config(name, "tinkerbell")
    workdir = tmp_path / "out" / name
    common = {
        "spec_yaml": spec,
        "workdir": str(workdir),
        "timeouts": CRASH,
        "skip_ip_check": True,
        "hardware_csv": ref_csv.path,
        "hardware_csv_sha256": ref_csv.sha256,
    }
    relay = WorkerRelay(tmp_path, temporal_env.client.service_client.config.target_host, f"bm-crash-{uuid.uuid4()}")
    relay.start()
    try:
        lc = LifecycleClient(temporal_env.client, relay.task_queue, task_timeout=timedelta(seconds=2))
        ref = await lc.start_create(CreateClusterInput(**common))
        handle = temporal_env.client.get_workflow_handle(ref.workflow_id, run_id=ref.run_id)
        steps = ["workload-cluster-init"]
        run = await crash_at_every_step(handle, relay, steps, deadline=time.monotonic() + 240)
        created = await asyncio.wait_for(lc.wait(ref.workflow_id), timeout=300)
        assert isinstance(created, CreateClusterResult)
        run.assert_every_step_hit(steps)
        assert relay.kills >= 1, run.summary()

        kubeconfig = created.kubeconfig_path or ""
        assert len(kubectl_nodes(kubeconfig)) == 2
        # the Hardware moved into the new cluster with its claims: two hosts, each by its own machine
        hardware, _ = kube_for(kubeconfig).list_objects("tinkerbell.org/v1alpha1", "Hardware", NS)
        assert {h["metadata"]["name"] for h in hardware} == {"host-0", "host-1", "host-2"}
        claims = {
            h["metadata"]["name"]: h["metadata"]["labels"][OWNER_NAME_LABEL]
            for h in hardware
            if OWNER_NAME_LABEL in (h["metadata"].get("labels") or {})
        }
        assert "host-0" in claims and len(claims) == 2, claims
        assert len(set(claims.values())) == 2, claims
        # never claimed twice: one sim machine per claimed host
        made = [m for m in sim.client.machines() if m["cluster"] == name]
        assert len(made) == 2, made
        assert all(power(hosts, int(h.split("-")[1])) == "On" for h in claims)

        # the BMC password is in no history and no worker log
        secrets = secrets_of(sim.state_dir, workdir) | {"BMC password": hosts.password}
        assert_no_secrets(await decoded_history(temporal_env.client, ref.workflow_id), secrets)
        for log in relay.logs:
            if log.exists():
                assert_no_secrets(log.read_text(errors="replace"), secrets, where=log.name)

        ref = await lc.start_delete(DeleteClusterInput(**common))
        assert isinstance(await asyncio.wait_for(lc.wait(ref.workflow_id), timeout=300), DeleteClusterResult)
    finally:
        relay.stop()
    # the hosts are back in the pool: powered off through Rufio, no machine left
    assert all(power(hosts, int(h.split("-")[1])) == "Off" for h in claims), claims
    assert [m for m in sim.client.machines() if m["cluster"] == name and m["exists"]] == []
    assert {c["name"] for c in sim.client.clusters()} & {name, f"{name}-eks-a-cluster"} == set()
