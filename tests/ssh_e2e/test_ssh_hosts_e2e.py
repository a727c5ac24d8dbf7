"""The SSH hosts provider end to end: five real ``sshd`` hosts (sandboxed roots with the
``kubeadm`` / ``systemctl`` stand-ins), the worker as their infrastructure controller, the
sim as the bootstrap cluster and as what the hosts run. A 3 control plane + 2 worker
create completes with each host bootstrapped once and the Nodes named and addressed as
the hosts; the delete resets every host and frees it. With the worker ``kill -9``ed
mid-preflight and mid-bootstrap, the create still completes and each host ran every
bootstrap step exactly once. A wrong key, a changed host key and an unreachable host are
each one clear preflight error, before any host is changed."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from temporalio.testing import WorkflowEnvironment

from eksa_temporal.client import LifecycleClient, LifecycleError
from eksa_temporal.kube.client import kube_for
from eksa_temporal.providers.base import PreflightOptions
from eksa_temporal.providers.registry import load_spec_plugins
from eksa_temporal.providers.ssh.provider import SSHProvider
from eksa_temporal.spec import check_spec_text, generate_cluster_config
from eksa_temporal.workflows.models import (
    CreateClusterInput,
    CreateClusterResult,
    DeleteClusterInput,
    DeleteClusterResult,
    UpgradeClusterInput,
    UpgradeClusterResult,
)
from tests.e2e.crash import WorkerRelay, step_events
from tests.e2e.secrets import assert_no_secrets
from tests.e2e.test_crash_recovery import CRASH
from tests.e2e.test_lifecycle_e2e import E2E
from tests.support.sim import SimServer
from tests.support.sshd import SshdHosts, TestHost

pytestmark = [pytest.mark.anyio, pytest.mark.slow]
CONTROL_PLANE, WORKERS = 3, 2
BOOTSTRAP_COMMANDS = ("systemctl enable --now containerd", "kubeadm init", "kubeadm join")
load_spec_plugins()


def ssh_spec(name: str, hosts: list[TestHost], bed: SshdHosts, *, key: Path | None = None) -> str:
    docs = list(yaml.safe_load_all(generate_cluster_config(name, "ssh")))
    cp = docs[0]["spec"]["controlPlaneConfiguration"]
    cp["count"], cp["endpoint"] = CONTROL_PLANE, {"host": "10.0.0.10"}
    docs[0]["spec"]["workerNodeGroupConfigurations"][0]["count"] = WORKERS
    docs[1]["spec"] = {
        "privateKeyFile": str(key or bed.client_key),
        "knownHostsFile": str(bed.known_hosts),
        "hosts": [
            {"name": h.name, "address": h.address, "port": h.port, "labels": {"type": "cp" if i < CONTROL_PLANE else "worker"}}
            for i, h in enumerate(hosts)
        ],
    }
    for doc in docs[2:]:  # the machine configs: what the test hosts have
        doc["spec"].update({"minCPUs": 1, "minMemoryMiB": 256})
    return yaml.safe_dump_all(docs, sort_keys=False)


def bootstrap_calls(host: TestHost) -> list[str]:
    """The host's stand-in calls that are bootstrap steps, as command lines."""
    lines = [" ".join([c["tool"], *c["argv"]]) for c in host.calls()]
    return [line for line in lines if line.startswith(BOOTSTRAP_COMMANDS)]


def assert_bootstrapped_once(hosts: list[TestHost]) -> None:
    inits = 0
    for host in hosts:
        calls = bootstrap_calls(host)
        kubeadm = [c for c in calls if c.startswith("kubeadm")]
        containerd = [c for c in calls if c.startswith("systemctl")]
        assert len(kubeadm) == 1 and len(containerd) == 1, (host.name, host.calls())
        inits += kubeadm[0].startswith("kubeadm init")
    assert inits == 1


def nodes(kubeconfig: str) -> dict[str, str]:
    """Node name -> InternalIP of the cluster."""
    items, _ = kube_for(kubeconfig).list_objects("v1", "Node")
    out: dict[str, str] = {}
    for node in items:
        addresses = (node.get("status") or {}).get("addresses") or []
        out[node["metadata"]["name"]] = next((a["address"] for a in addresses if a["type"] == "InternalIP"), "")
    return out


async def test_ssh_hosts_create_then_delete_resets_and_frees_every_host(
    temporal_env: WorkflowEnvironment, relay: WorkerRelay, ssh_hosts: SshdHosts, sim: SimServer, tmp_path: Path
) -> None:
    hosts = ssh_hosts(CONTROL_PLANE + WORKERS)
    name, workdir = "hosts", str(tmp_path / "out" / "hosts")
    text = ssh_spec(name, hosts, ssh_hosts)
    lc = LifecycleClient(temporal_env.client, relay.task_queue)
    ref = await lc.start_create(CreateClusterInput(spec_yaml=text, workdir=workdir, timeouts=E2E))
    created = await lc.wait(ref.workflow_id)
    assert isinstance(created, CreateClusterResult)
    assert nodes(created.kubeconfig_path or "") == {h.name: h.address for h in hosts}
    assert_bootstrapped_once(hosts)
    machines, _ = kube_for(created.kubeconfig_path or "").list_objects("infrastructure.cluster.x-k8s.io/v1beta1", "SSHMachine", "eksa-system")
    assert sorted(m["spec"]["hostName"] for m in machines) == sorted(h.name for h in hosts)
    assert all(m["spec"]["providerID"] == f"ssh://{m['spec']['hostName']}" and m["status"]["ready"] for m in machines)
    # one SSH connection per host per activity: the preflight's and the bootstrap's
    assert connections(relay) == {h.name: 2 for h in hosts}

    ref = await lc.start_delete(DeleteClusterInput(spec_yaml=text, workdir=workdir, timeouts=E2E))
    assert isinstance(await lc.wait(ref.workflow_id), DeleteClusterResult)
    for host in hosts:
        resets = [c for c in host.calls("kubeadm") if c["argv"][:2] == ["reset", "-f"]]
        assert len(resets) == 1, (host.name, host.calls())
        assert not host.file("/etc/kubernetes/kubelet.conf").exists() or not (host.upper / "etc/kubernetes").exists()
    assert name not in {c["name"] for c in sim.client.clusters()}
    for log in relay.logs:
        if log.exists():
            assert_no_secrets(log.read_text(errors="replace"), [ssh_hosts.client_key.read_text()], where=log.name)


def connections(relay: WorkerRelay) -> dict[str, int]:
    """SSH connections opened per host, from the workers' logs."""
    counts: dict[str, int] = {}
    for log in relay.logs:
        for line in log.read_text(errors="replace").splitlines() if log.exists() else []:
            if line.startswith("{") and '"ssh connected"' in line:
                host = json.loads(line)["host"]
                counts[host] = counts.get(host, 0) + 1
    return counts


async def watch_host_progress(handle: Any, seen: list[dict[str, str]]) -> None:
    """Collect the per-host progress of the provisioning step's heartbeats."""
    while True:
        desc = await handle.describe()
        for pa in desc.raw_description.pending_activities:
            if pa.activity_type.name == "workload-cluster-init" and pa.heartbeat_details.payloads:
                hosts = json.loads(pa.heartbeat_details.payloads[-1].data).get("hosts") or {}
                if hosts and hosts not in seen:
                    seen.append(hosts)
        await asyncio.sleep(0.2)


async def _wait_for(predicate: Any, what: str, deadline: float) -> None:
    while not await predicate():
        assert time.monotonic() < deadline, f"never saw {what}"
        await asyncio.sleep(0.05)


async def test_ssh_hosts_create_survives_kill_9_mid_preflight_and_mid_bootstrap(
    temporal_env: WorkflowEnvironment, relay: WorkerRelay, ssh_hosts: SshdHosts, tmp_path: Path
) -> None:
    hosts = ssh_hosts(CONTROL_PLANE + WORKERS)
    for host in hosts:  # kubeadm init / join take a while: the kills land while one runs
        delay = host.file("/var/lib/eksa-standin/kubeadm-delay")
        delay.parent.mkdir(parents=True, exist_ok=True)
        delay.write_text("1.5")
    name = "hcrash"
    lc = LifecycleClient(temporal_env.client, relay.task_queue, task_timeout=timedelta(seconds=2))
    ref = await lc.start_create(CreateClusterInput(spec_yaml=ssh_spec(name, hosts, ssh_hosts), workdir=str(tmp_path / "out" / name), timeouts=CRASH))
    handle = temporal_env.client.get_workflow_handle(ref.workflow_id, run_id=ref.run_id)
    deadline = time.monotonic() + 240

    async def preflight_running() -> bool:
        return "setup-validate" in (await step_events(handle))["running"]

    await _wait_for(preflight_running, "the preflight running", deadline)
    relay.crash()
    progress: list[dict[str, str]] = []
    watcher = asyncio.create_task(watch_host_progress(handle, progress))

    def in_kubeadm(host: TestHost) -> bool:  # containerd enabled, kubeadm not finished
        calls = bootstrap_calls(host)
        return bool(calls) and not any(c.startswith("kubeadm") for c in calls)

    async def initialising() -> bool:
        return any(in_kubeadm(h) for h in hosts)

    await _wait_for(initialising, "kubeadm init running", deadline)
    first = next(h for h in hosts if in_kubeadm(h))
    relay.crash()
    killed_at = time.time()

    async def joining() -> bool:
        return any(in_kubeadm(h) for h in hosts if h is not first)

    await _wait_for(joining, "kubeadm join running", deadline)
    relay.crash()
    result = await asyncio.wait_for(lc.wait(ref.workflow_id), timeout=300)
    watcher.cancel()
    assert isinstance(result, CreateClusterResult)
    assert relay.kills == 3
    # the heartbeats showed where each host was (host -> step), never a key
    assert progress and {h.name for h in hosts} & set().union(*progress), progress
    assert all("PRIVATE KEY" not in step for p in progress for step in p.values())
    assert first.calls("kubeadm")[0]["time"] > killed_at  # the kill came while kubeadm ran
    assert_bootstrapped_once(hosts)
    assert nodes(result.kubeconfig_path or "") == {h.name: h.address for h in hosts}


def test_wrong_key_changed_host_key_and_unreachable_host_are_one_clear_preflight_error_each(ssh_hosts: SshdHosts) -> None:
    hosts = ssh_hosts(CONTROL_PLANE + WORKERS)
    provider = SSHProvider()

    def preflight(text: str) -> list[Any]:
        spec, findings = check_spec_text(text)
        assert spec is not None, [f.line() for f in findings]
        return [f for f in provider.preflight(spec, PreflightOptions()) if f.is_error]

    assert preflight(ssh_spec("good", hosts, ssh_hosts)) == []
    wrong = preflight(ssh_spec("wrong", hosts, ssh_hosts, key=ssh_hosts.wrong_key()))
    assert len(wrong) == len(hosts) and all(f.check == "ssh-access" for f in wrong), [f.line() for f in wrong]
    assert {h.name for h in hosts} == {h.name for h in hosts if any(h.name in f.message for f in wrong)}

    hosts[1].rotate_host_key()
    changed = preflight(ssh_spec("rekeyed", hosts, ssh_hosts))
    assert len(changed) == 1 and hosts[1].name in changed[0].message and "key" in changed[0].message.lower(), [f.line() for f in changed]

    hosts[3].stop()
    down = preflight(ssh_spec("down", hosts, ssh_hosts))
    assert len(down) == 2, [f.line() for f in down]  # the re-keyed host and the stopped one
    assert any(hosts[3].name in f.message and "unreachable" in f.message for f in down), [f.line() for f in down]
    for host in hosts:  # nothing was changed on any host
        assert bootstrap_calls(host) == [] and host.calls("kubeadm") == []


async def test_a_create_with_an_unreachable_host_fails_in_preflight_before_any_host_is_changed(
    temporal_env: WorkflowEnvironment, relay: WorkerRelay, ssh_hosts: SshdHosts, tmp_path: Path
) -> None:
    hosts = ssh_hosts(CONTROL_PLANE + WORKERS)
    hosts[4].stop()
    lc = LifecycleClient(temporal_env.client, relay.task_queue)
    ref = await lc.start_create(CreateClusterInput(spec_yaml=ssh_spec("hdown", hosts, ssh_hosts), workdir=str(tmp_path / "out" / "hdown"), timeouts=E2E))
    with pytest.raises(LifecycleError) as failed:
        await lc.wait(ref.workflow_id)
    text = str(failed.value)
    assert hosts[4].name in text and "unreachable" in text, text
    for host in hosts[:4]:
        assert host.calls() == []


async def test_an_upgrade_rolls_onto_spare_hosts_and_resets_the_hosts_it_leaves(
    temporal_env: WorkflowEnvironment, relay: WorkerRelay, ssh_hosts: SshdHosts, tmp_path: Path
) -> None:
    """1 control plane + 1 worker on a 4-host inventory (a spare per group), 1.31 -> 1.32
    on the self-managed cluster: the new machines take the spares, the old hosts are reset
    and freed; the delete then resets the hosts in use."""
    hosts = ssh_hosts(4)
    labels = ["cp", "cp", "worker", "worker"]

    def text(version: str) -> str:
        docs = list(yaml.safe_load_all(ssh_spec("roll", hosts, ssh_hosts)))
        docs[0]["spec"]["kubernetesVersion"] = version
        docs[0]["spec"]["controlPlaneConfiguration"]["count"] = 1
        docs[0]["spec"]["workerNodeGroupConfigurations"][0]["count"] = 1
        for entry, label in zip(docs[1]["spec"]["hosts"], labels, strict=True):
            entry["labels"] = {"type": label}
        return yaml.safe_dump_all(docs, sort_keys=False)

    workdir = str(tmp_path / "out" / "roll")
    lc = LifecycleClient(temporal_env.client, relay.task_queue)
    created = await lc.wait((await lc.start_create(CreateClusterInput(spec_yaml=text("1.31"), workdir=workdir, timeouts=E2E))).workflow_id)
    assert isinstance(created, CreateClusterResult)
    kubeconfig = created.kubeconfig_path or ""
    before = nodes(kubeconfig)
    assert sorted(before) == [hosts[0].name, hosts[2].name]

    upgraded = await lc.wait((await lc.start_upgrade(UpgradeClusterInput(spec_yaml=text("1.32"), workdir=workdir, timeouts=E2E))).workflow_id)
    assert isinstance(upgraded, UpgradeClusterResult)
    assert sorted(nodes(kubeconfig)) == [hosts[1].name, hosts[3].name]
    for old in (hosts[0], hosts[2]):
        assert [c["argv"][:2] for c in old.calls("kubeadm")][-1] == ["reset", "-f"], old.calls()
    for new in (hosts[1], hosts[3]):
        assert [c["argv"][0] for c in new.calls("kubeadm")] == ["join"], new.calls()

    deleted = await lc.wait((await lc.start_delete(DeleteClusterInput(spec_yaml=text("1.32"), workdir=workdir, timeouts=E2E))).workflow_id)
    assert isinstance(deleted, DeleteClusterResult)
    for host in hosts:
        assert [c["argv"][:2] for c in host.calls("kubeadm")].count(["reset", "-f"]) == 1, (host.name, host.calls())


async def test_a_cancelled_create_resets_every_host_it_bootstrapped(
    temporal_env: WorkflowEnvironment, relay: WorkerRelay, ssh_hosts: SshdHosts, sim: SimServer, tmp_path: Path
) -> None:
    hosts = ssh_hosts(CONTROL_PLANE + WORKERS)
    for host in hosts:
        delay = host.file("/var/lib/eksa-standin/kubeadm-delay")
        delay.parent.mkdir(parents=True, exist_ok=True)
        delay.write_text("1")
    lc = LifecycleClient(temporal_env.client, relay.task_queue)
    ref = await lc.start_create(CreateClusterInput(spec_yaml=ssh_spec("hcancel", hosts, ssh_hosts), workdir=str(tmp_path / "out" / "hcancel"), timeouts=E2E))

    async def initialised() -> bool:
        return any(h.calls("kubeadm") for h in hosts)

    await _wait_for(initialised, "kubeadm init done", time.monotonic() + 180)
    await lc.cancel(ref.workflow_id)
    with pytest.raises(LifecycleError, match="cancel"):
        await asyncio.wait_for(lc.wait(ref.workflow_id), timeout=240)
    bootstrapped = [h for h in hosts if any(c["argv"][0] in ("init", "join") for c in h.calls("kubeadm"))]
    assert bootstrapped
    for host in bootstrapped:
        verbs = [c["argv"][0] for c in host.calls("kubeadm")]
        assert verbs[-1] == "reset" and verbs.count("reset") == 1, (host.name, verbs)
    assert {c["name"] for c in sim.client.clusters()} & {"hcancel", "hcancel-eks-a-cluster"} == set()
