"""The sim plays CAPT, and Rufio's BMC Jobs, behind their published CRDs: a Tinkerbell cluster
comes up on the hosts its Hardware objects describe, each host claimed once (under racing
claims, across a restarted sim and a clusterctl-style move), powered on through Rufio Jobs
that really talk Redfish to sushy-emulator BMCs, and returned to the pool (powered off) on
delete. A machine without matching free Hardware waits for it."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import SecretStr

from eksa_temporal.ownership import OWNER_LABEL
from eksa_temporal.providers.tinkerbell.bmc import BmcTarget, power_state
from eksa_temporal.providers.tinkerbell.hardware import Machine, bmc_machine_object, hardware_object
from eksa_temporal.simulator import components
from eksa_temporal.simulator.apiserver.store import Store
from eksa_temporal.simulator.controllers.context import Ctx
from eksa_temporal.simulator.controllers.inventory import PROVISIONING, Inventory
from eksa_temporal.simulator.controllers.reconcilers import tinkerbell_hardware as hwr
from eksa_temporal.simulator.controllers.reconcilers.rufio import redfish_url
from tests.providers.tinkerbell_bmc.emulator import (
    SUSHY_EMULATOR,
    Emulator,
    emulators,
    fake_system,
    free_port,
    write_htpasswd,
)
from tests.simulator.controllers import capi
from tests.simulator.controllers import harness as h
from tests.simulator.controllers import move as mv
from tests.support.paths import shared_path

Obj = dict[str, Any]
NS = capi.NS
CLUSTER_V = "cluster.x-k8s.io/v1beta1"
INFRA_V = "infrastructure.cluster.x-k8s.io/v1beta1"
CP_V = "controlplane.cluster.x-k8s.io/v1beta1"
BOOT_V = "bootstrap.cluster.x-k8s.io/v1beta1"
HW_V = "tinkerbell.org/v1alpha1"
BMC_V = "bmc.tinkerbell.org/v1alpha1"
OWNER_NAME = "v1alpha1.tinkerbell.org/ownerName"
OWNER_NS = "v1alpha1.tinkerbell.org/ownerNamespace"
VERSION = "v1.31.2"
USER = "admin"
PASSWORD = secrets.token_urlsafe(12)  # fresh per run

pytestmark = pytest.mark.timeout(300)

MOVE_ORDER = [
    (HW_V, "Hardware"),
    (BMC_V, "Machine"),
    (CLUSTER_V, "Cluster"),
    (INFRA_V, "TinkerbellCluster"),
    (CP_V, "KubeadmControlPlane"),
    (INFRA_V, "TinkerbellMachineTemplate"),
    (BOOT_V, "KubeadmConfigTemplate"),
    (CLUSTER_V, "MachineDeployment"),
    (CLUSTER_V, "MachineSet"),
    (CLUSTER_V, "Machine"),
    (BOOT_V, "KubeadmConfig"),
    (INFRA_V, "TinkerbellMachine"),
    ("v1", "Secret"),
]


# objects ----------------------------------------------------------------------------------
def published_crds() -> list[Obj]:
    """CAPT's, Tink's and Rufio's CRDs as published."""
    base = shared_path("upstream-components")
    files = [base / "infrastructure-tinkerbell" / "v0.6.8" / "infrastructure-components.yaml",
             *sorted((base / "tinkerbell-stack").glob("*.yaml"))]
    return [d for f in files for d in yaml.safe_load_all(f.read_text())
            if d and d.get("kind") == "CustomResourceDefinition"]


def controller(ns: str, name: str) -> list[Obj]:
    return [capi.namespace(ns), {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": []}}}}]


def install(store: Store, vc: str, *, capt: bool = True) -> None:
    h.install(store, vc, crds=[*components.all_crds(), *published_crds()])
    docs = [capi.namespace(), *controller("rufio-system", "rufio-controller-manager"),
            *controller("tink-system", "tink-controller-manager")]
    if capt:
        docs += controller("capt-system", "capt-controller-manager")
    h.apply(store, vc, docs)


def host(name: str, ip: str, mac: str, role: str, bmc: Emulator | None = None) -> list[Obj]:
    """A Hardware (as EKS-A renders one from a hardware.csv row) and, with ``bmc``, its
    Rufio BMC Machine and auth Secret (Redfish on the emulator's port)."""
    dhcp = {"hostname": name, "mac": mac, "uefi": True, "arch": "x86_64",
            "ip": {"address": ip, "family": 4, "gateway": "10.0.0.1", "netmask": "255.255.255.0"}}
    hw: Obj = {"apiVersion": HW_V, "kind": "Hardware",
               "metadata": {"name": name, "namespace": NS, "labels": {"type": role}},
               "spec": {"disks": [{"device": "/dev/sda"}],
                        "interfaces": [{"dhcp": dhcp, "netboot": {"allowPXE": True, "allowWorkflow": True}}],
                        "metadata": {"instance": {"hostname": name, "id": mac}}}}
    if bmc is None:
        return [hw]
    hw["spec"]["bmcRef"] = {"apiGroup": "bmc.tinkerbell.org", "kind": "Machine", "name": f"bmc-{name}"}
    return [
        hw,
        {"apiVersion": BMC_V, "kind": "Machine", "metadata": {"name": f"bmc-{name}", "namespace": NS},
         "spec": {"connection": {
             "host": f"http://{bmc.ip}", "port": 623, "insecureTLS": True,
             "authSecretRef": {"name": f"bmc-{name}-auth", "namespace": NS},
             "providerOptions": {"redfish": {"port": bmc.port}}}}},
        {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/basic-auth",
         "metadata": {"name": f"bmc-{name}-auth", "namespace": NS},
         "stringData": {"username": USER, "password": PASSWORD}},
    ]


def template(name: str, role: str) -> Obj:
    return {"apiVersion": INFRA_V, "kind": "TinkerbellMachineTemplate", "metadata": {"name": name, "namespace": NS},
            "spec": {"template": {"spec": {"hardwareAffinity": {
                "required": [{"labelSelector": {"matchLabels": {"type": role}}}]}}}}}


def tinkerbell_cluster(name: str, *, cp: int = 1, workers: int = 1) -> list[Obj]:
    """A cluster in the shapes EKS-A renders for Tinkerbell (hardwareAffinity from the
    machine configs' hardwareSelector)."""
    meta = {"namespace": NS}
    return [
        {"apiVersion": CLUSTER_V, "kind": "Cluster",
         "metadata": {"name": name, "labels": {OWNER_LABEL: f"owner-{name}"}, **meta},
         "spec": {"clusterNetwork": {"pods": {"cidrBlocks": ["192.168.0.0/16"]},
                                     "services": {"cidrBlocks": ["10.96.0.0/12"]}},
                  "controlPlaneRef": {"apiVersion": CP_V, "kind": "KubeadmControlPlane", "name": name},
                  "infrastructureRef": {"apiVersion": INFRA_V, "kind": "TinkerbellCluster", "name": name}}},
        {"apiVersion": INFRA_V, "kind": "TinkerbellCluster", "metadata": {"name": name, **meta},
         "spec": {"controlPlaneEndpoint": {"host": "10.0.0.100", "port": 6443}}},
        template(f"{name}-control-plane-1", "cp"),
        {"apiVersion": CP_V, "kind": "KubeadmControlPlane", "metadata": {"name": name, **meta},
         "spec": {"replicas": cp, "version": VERSION,
                  "machineTemplate": {"infrastructureRef": {
                      "apiVersion": INFRA_V, "kind": "TinkerbellMachineTemplate", "name": f"{name}-control-plane-1"}},
                  "kubeadmConfigSpec": {"clusterConfiguration": {}, "initConfiguration": {},
                                        "joinConfiguration": {}}}},
        template(f"{name}-md-0-1", "worker"),
        {"apiVersion": BOOT_V, "kind": "KubeadmConfigTemplate", "metadata": {"name": f"{name}-md-0-1", **meta},
         "spec": {"template": {"spec": {"joinConfiguration": {}}}}},
        {"apiVersion": CLUSTER_V, "kind": "MachineDeployment", "metadata": {"name": f"{name}-md-0", **meta},
         "spec": {"clusterName": name, "replicas": workers, "selector": {"matchLabels": {}},
                  "template": {"spec": {
                      "clusterName": name, "version": VERSION,
                      "bootstrap": {"configRef": {"apiVersion": BOOT_V, "kind": "KubeadmConfigTemplate",
                                                  "name": f"{name}-md-0-1"}},
                      "infrastructureRef": {"apiVersion": INFRA_V, "kind": "TinkerbellMachineTemplate",
                                            "name": f"{name}-md-0-1"}}}}},
    ]


# facts ------------------------------------------------------------------------------------
def hardware(store: Store, vc: str) -> dict[str, Obj]:
    return {hw["metadata"]["name"]: hw for hw in store.list(vc, HW_V, "Hardware", NS)}


def owners(store: Store, vc: str) -> dict[str, str | None]:
    return {n: (hw["metadata"].get("labels") or {}).get(OWNER_NAME) for n, hw in hardware(store, vc).items()}


def tinkerbell_machines(store: Store, vc: str) -> list[Obj]:
    return store.list(vc, INFRA_V, "TinkerbellMachine", NS)


def ready_machines(store: Store, vc: str, count: int) -> list[Obj] | None:
    ms = [m for m in store.list(vc, CLUSTER_V, "Machine", NS) if (m.get("status") or {}).get("phase") == "Running"]
    return ms if len(ms) == count else None


def nodes(store: Store, workload: str) -> dict[str, str]:
    """Node name -> InternalIP in the workload cluster."""
    if workload not in store.clusters():
        return {}
    out = {}
    for n in store.list(workload, "v1", "Node"):
        ips = [a["address"] for a in (n.get("status") or {}).get("addresses") or [] if a["type"] == "InternalIP"]
        out[n["metadata"]["name"]] = ips[0] if ips else ""
    return out


def events(store: Store, vc: str, reason: str) -> list[Obj]:
    return [e for e in store.list(vc, "v1", "Event", NS) if e.get("reason") == reason]


# fixtures ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def bmcs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Emulator]]:
    if not SUSHY_EMULATOR.exists():
        pytest.skip("sushy-tools not installed")
    work = tmp_path_factory.mktemp("bmc")
    htpasswd = work / "htpasswd"
    write_htpasswd(htpasswd, USER, PASSWORD)
    systems = [[fake_system(f"00000000-0000-0000-0000-00000000001{i}", f"host-{i}", "Off")] for i in range(4)]
    with emulators(work, systems, htpasswd, tls=frozenset({3})) as started:  # the 4th: HTTPS, self-signed
        yield started


def power(em: Emulator, name: str) -> str:
    return power_state(BmcTarget(name, em.address, USER, SecretStr(PASSWORD)), timeout=5, verify=not em.tls)


# tests ------------------------------------------------------------------------------------
def test_a_cluster_comes_up_on_its_hardware_powered_through_rufio_and_delete_returns_it(
    tmp_path: Path, bmcs: list[Emulator]
) -> None:
    store = h.open_store(tmp_path)
    install(store, "mgmt")
    hosts = [("cp-1", "10.0.0.11", "02:00:00:00:00:11", "cp"),
             ("worker-1", "10.0.0.21", "02:00:00:00:00:21", "worker"),
             ("worker-2", "10.0.0.22", "02:00:00:00:00:22", "worker")]
    for (name, ip, mac, role), em in zip(hosts, bmcs[:3], strict=True):
        h.apply(store, "mgmt", host(name, ip, mac, role, em))
    h.apply(store, "mgmt", tinkerbell_cluster("t1", cp=1, workers=1))

    async def scenario() -> None:
        async with h.running(store, tmp_path):
            # sushy-emulator's fake BMCs apply a power change 1-11 s after it is asked for
            up = await h.wait_for(lambda: ready_machines(store, "mgmt", 2), timeout=120, what="two Running machines")
            claimed = {n: o for n, o in owners(store, "mgmt").items() if o}
            assert len(claimed) == 2 and "cp-1" in claimed and len(set(claimed.values())) == 2
            by_pid = {m["spec"]["providerID"]: m for m in up}
            for tm in tinkerbell_machines(store, "mgmt"):
                hw = tm["spec"]["hardwareName"]
                assert claimed[hw] == tm["metadata"]["name"]
                assert tm["spec"]["providerID"] == f"tinkerbell://{NS}/{hw}" in by_pid
                ip = next(i for n, i, _, _ in hosts if n == hw)
                assert tm["status"]["ready"] is True
                assert tm["status"]["addresses"] == [{"type": "InternalIP", "address": ip},
                                                     {"type": "Hostname", "address": hw}]
                hwo = hardware(store, "mgmt")[hw]
                assert hwo["metadata"]["labels"][OWNER_NS] == NS
                assert hwo["metadata"]["finalizers"] == ["tinkerbellmachine.infrastructure.cluster.x-k8s.io"]
                assert hwo["spec"]["interfaces"][0]["netboot"]["allowPXE"] is False
                job = store.get("mgmt", BMC_V, "Job", NS, f"{tm['metadata']['name']}-provision")
                assert job is not None and h.cond(job, "Completed") and job["status"]["completionTime"]
                assert job["spec"]["tasks"] == [
                    {"powerAction": "off"},
                    {"oneTimeBootDeviceAction": {"device": ["pxe"], "efiBoot": True}},
                    {"powerAction": "on"}]
                wf = store.get("mgmt", HW_V, "Workflow", NS, tm["metadata"]["name"])
                assert wf is not None and wf["spec"]["hardwareRef"] == hw and wf["status"]["state"] == "STATE_SUCCESS"
                assert wf["spec"]["hardwareMap"] == {"device_1": next(m for n, _, m, _ in hosts if n == hw)}
                assert [a["name"] for a in wf["status"]["tasks"][0]["actions"]][-1] == wf["status"]["currentAction"]
                assert store.get("mgmt", HW_V, "Template", NS, tm["metadata"]["name"]) is not None
                bmc = store.get("mgmt", BMC_V, "Machine", NS, f"bmc-{hw}")
                assert bmc is not None and bmc["status"]["powerState"] == "on"
            expected_nodes = {n: i for n, i, _, _ in hosts if n in claimed}
            assert nodes(store, "t1") == expected_nodes
            # the real BMCs: claimed hosts on, the spare untouched
            state = {n: power(em, n) for (n, _, _, _), em in zip(hosts, bmcs[:3], strict=True)}
            assert {n for n, s in state.items() if s == "On"} == set(claimed)
            rows = {r.name: r for r in Inventory(tmp_path).records()}
            assert set(rows) == set(claimed)
            for name, row in rows.items():
                mac = next(m for n, _, m, _ in hosts if n == name)
                assert row.labels["tinkerbell.org/mac"] == mac and row.owner == "owner-t1"
                assert row.provider_id == f"tinkerbell://{NS}/{name}" and row.state == "running"

            store.delete("mgmt", CLUSTER_V, "Cluster", NS, "t1")
            await h.wait_for(lambda: store.get("mgmt", CLUSTER_V, "Cluster", NS, "t1") is None,
                             timeout=120, what="the Cluster gone")
            assert set(owners(store, "mgmt").values()) == {None}
            assert all(power(em, n) == "Off" for (n, _, _, _), em in zip(hosts, bmcs[:3], strict=True))
            assert {r.state for r in Inventory(tmp_path).records()} == {"deleted"}
            assert store.list("mgmt", HW_V, "Workflow", NS) == store.list("mgmt", HW_V, "Template", NS) == []
            for hwo in hardware(store, "mgmt").values():
                assert not hwo["metadata"].get("finalizers")
                assert hwo["spec"]["interfaces"][0]["netboot"]["allowPXE"] is True

    asyncio.run(scenario())


def test_two_machines_racing_for_one_host_claim_it_once(tmp_path: Path) -> None:
    store = h.open_store(tmp_path)
    install(store, "mgmt")
    h.apply(store, "mgmt", host("only", "10.0.0.31", "02:00:00:00:00:31", "worker"))
    for name in ("tm-a", "tm-b"):
        h.apply(store, "mgmt", [{"apiVersion": INFRA_V, "kind": "TinkerbellMachine",
                                 "metadata": {"name": name, "namespace": NS},
                                 "spec": {"hardwareAffinity": {"required": [
                                     {"labelSelector": {"matchExpressions": [
                                         {"key": "type", "operator": "In", "values": ["worker"]}]}}]}}}])
    ctx = Ctx(store, "mgmt", lambda: h.FAST, Inventory(tmp_path), tmp_path)
    tm_a, tm_b = (store.get("mgmt", INFRA_V, "TinkerbellMachine", NS, n) for n in ("tm-a", "tm-b"))
    assert tm_a is not None and tm_b is not None
    seen_by_a, seen_by_b = hwr.candidates(ctx, tm_a), hwr.candidates(ctx, tm_b)  # both read it free
    assert [o["metadata"]["name"] for o in seen_by_a] == [o["metadata"]["name"] for o in seen_by_b] == ["only"]
    assert hwr.claim(ctx, tm_a, seen_by_a[0]) is not None
    assert hwr.claim(ctx, tm_b, seen_by_b[0]) is None  # stale read: Conflict, never overwritten
    assert owners(store, "mgmt") == {"only": "tm-a"}
    assert hwr.candidates(ctx, tm_b) == [] and hwr.assigned(ctx, tm_a) is not None
    # releasing with a stale read does not drop a claim made meanwhile
    stale = hardware(store, "mgmt")["only"]
    store.patch("mgmt", HW_V, "Hardware", NS, "only", {"metadata": {"labels": {"rack": "r1"}}})
    assert hwr.release(ctx, stale) is False and owners(store, "mgmt") == {"only": "tm-a"}
    assert hwr.release(ctx, hardware(store, "mgmt")["only"]) is True and owners(store, "mgmt") == {"only": None}


def test_a_machine_without_free_matching_hardware_waits_for_it(tmp_path: Path) -> None:
    store = h.open_store(tmp_path)
    install(store, "mgmt", capt=False)
    h.apply(store, "mgmt", [*host("cp-1", "10.0.0.11", "02:00:00:00:00:11", "cp"),
                            *host("worker-1", "10.0.0.21", "02:00:00:00:00:21", "worker"),
                            *tinkerbell_cluster("t2", cp=1, workers=2)])

    async def scenario() -> None:
        async with h.running(store, tmp_path):
            await asyncio.sleep(0.5)  # CAPT's controller is not running: nothing is claimed
            assert set(owners(store, "mgmt").values()) == {None}
            tc = store.get("mgmt", INFRA_V, "TinkerbellCluster", NS, "t2")
            assert tc is not None and not (tc.get("status") or {}).get("ready")
            h.apply(store, "mgmt", controller("capt-system", "capt-controller-manager"))
            await h.wait_for(lambda: ready_machines(store, "mgmt", 2), timeout=30, what="cp and one worker")
            tc = store.get("mgmt", INFRA_V, "TinkerbellCluster", NS, "t2")
            assert tc is not None and tc["status"]["ready"] is True
            assert tc["spec"]["controlPlaneEndpoint"] == {"host": "10.0.0.100", "port": 6443}
            waiting = await h.wait_for(lambda: events(store, "mgmt", "NoHardwareAvailable"), what="an Event")
            assert "hardwareAffinity" in waiting[0]["message"]
            [idle] = [tm for tm in tinkerbell_machines(store, "mgmt") if not tm["spec"].get("hardwareName")]
            assert waiting[0]["involvedObject"]["name"] == idle["metadata"]["name"]
            assert not (idle.get("status") or {}).get("ready")
            h.apply(store, "mgmt", host("worker-2", "10.0.0.22", "02:00:00:00:00:22", "worker"))
            await h.wait_for(lambda: ready_machines(store, "mgmt", 3), timeout=30, what="the second worker")
            assert sorted(owners(store, "mgmt").values()) == sorted(
                tm["metadata"]["name"] for tm in tinkerbell_machines(store, "mgmt"))
            assert nodes(store, "t2") == {"cp-1": "10.0.0.11", "worker-1": "10.0.0.21", "worker-2": "10.0.0.22"}

    asyncio.run(scenario())


def test_a_restarted_sim_resumes_the_same_hosts_without_claiming_others(tmp_path: Path) -> None:
    store = h.open_store(tmp_path)
    install(store, "mgmt")
    h.apply(store, "mgmt", [*host("cp-1", "10.0.0.11", "02:00:00:00:00:11", "cp"),
                            *host("cp-2", "10.0.0.12", "02:00:00:00:00:12", "cp"),
                            *host("worker-1", "10.0.0.21", "02:00:00:00:00:21", "worker"),
                            *host("worker-2", "10.0.0.22", "02:00:00:00:00:22", "worker"),
                            *tinkerbell_cluster("t3", cp=1, workers=1)])
    slow = h.Knobs(boot_seconds=0.8, deployment_ready_seconds=0)

    async def first_run() -> dict[str, str | None]:
        async with h.running(store, tmp_path, lambda: slow):
            await h.wait_for(lambda: [r for r in Inventory(tmp_path).records() if r.state == PROVISIONING],
                             what="the control plane's host booting")
        return owners(store, "mgmt")

    claimed = asyncio.run(first_run())
    store.close()
    store = h.open_store(tmp_path)  # a new process loads the same files

    async def second_run() -> None:
        async with h.running(store, tmp_path, lambda: slow):
            await h.wait_for(lambda: ready_machines(store, "mgmt", 2), timeout=30, what="running after restart")

    asyncio.run(second_run())
    after = owners(store, "mgmt")
    assert len([o for o in claimed.values() if o]) == 1 and len([o for o in after.values() if o]) == 2
    assert all(after[n] == o for n, o in claimed.items() if o)  # the booting host was resumed
    records = Inventory(tmp_path).records()
    assert len(records) == 2 and all(r.state == "running" for r in records)
    assert set(nodes(store, "t3")) == {n for n, o in after.items() if o}


def test_a_moved_cluster_keeps_its_hosts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mv, "ORDER", MOVE_ORDER)  # the Tinkerbell kinds, Hardware first (as clusterctl)
    store = h.open_store(tmp_path)
    for vc in ("bootstrap", "mgmt"):
        install(store, vc)
    h.apply(store, "bootstrap", [*host("cp-1", "10.0.0.11", "02:00:00:00:00:11", "cp"),
                                 *host("cp-2", "10.0.0.12", "02:00:00:00:00:12", "cp"),
                                 *host("worker-1", "10.0.0.21", "02:00:00:00:00:21", "worker"),
                                 *host("worker-2", "10.0.0.22", "02:00:00:00:00:22", "worker"),
                                 *tinkerbell_cluster("t4", cp=1, workers=1)])

    async def scenario() -> tuple[dict[str, str | None], dict[str, str]]:
        async with h.running(store, tmp_path):
            await h.wait_for(lambda: ready_machines(store, "bootstrap", 2), what="running in bootstrap")
            before = owners(store, "bootstrap")
            uids = {n["metadata"]["name"]: n["metadata"]["uid"] for n in store.list("t4", "v1", "Node")}
            mv.move(store, "bootstrap", "mgmt", NS, "t4")
            await h.wait_for(lambda: ready_machines(store, "mgmt", 2), what="running after the move")
            await asyncio.sleep(0.3)  # nothing more should happen
            assert owners(store, "mgmt") == before
            assert {n["metadata"]["name"]: n["metadata"]["uid"] for n in store.list("t4", "v1", "Node")} == uids
            return before, uids

    before, _ = asyncio.run(scenario())
    assert len([o for o in before.values() if o]) == 2
    records = Inventory(tmp_path).records()
    assert len(records) == 2 and all(r.state == "running" for r in records)
    assert store.list("bootstrap", INFRA_V, "TinkerbellMachine", NS) == []
    machines = store.list("mgmt", CLUSTER_V, "Machine", NS)
    assert {m["spec"]["providerID"] for m in machines} == {r.provider_id for r in records}


def test_a_bmc_job_fails_clearly_on_an_unreachable_bmc_or_a_wrong_password(
    tmp_path: Path, bmcs: list[Emulator]
) -> None:
    store = h.open_store(tmp_path)
    install(store, "mgmt", capt=False)
    dead_ip = "127.0.0.30"
    dead = Emulator(dead_ip, free_port(dead_ip), proc=None, log_path=tmp_path)  # type: ignore[arg-type]
    h.apply(store, "mgmt", [*host("gone", "10.0.0.41", "02:00:00:00:00:41", "worker", dead),
                            *host("locked", "10.0.0.42", "02:00:00:00:00:42", "worker", bmcs[2])])
    store.patch("mgmt", "v1", "Secret", NS, "bmc-locked-auth", {"stringData": {"password": "wrong"}})
    for name in ("gone", "locked"):
        h.apply(store, "mgmt", [{"apiVersion": BMC_V, "kind": "Job", "metadata": {"name": f"{name}-on", "namespace": NS},
                                 "spec": {"machineRef": {"name": f"bmc-{name}", "namespace": NS},
                                          "tasks": [{"powerAction": "on"}]}}])

    def failed(name: str) -> Obj | None:
        job = store.get("mgmt", BMC_V, "Job", NS, f"{name}-on")
        return job if h.cond(job, "Failed") else None

    async def scenario() -> None:
        async with h.running(store, tmp_path):
            gone = await h.wait_for(lambda: failed("gone"), timeout=40, what="the unreachable BMC's Job failed")
            locked = await h.wait_for(lambda: failed("locked"), timeout=40, what="the locked BMC's Job failed")
            [msg] = [c["message"] for c in gone["status"]["conditions"] if c["type"] == "Failed"]
            assert "failed to connect to BMC" in msg and dead_ip in msg and "gone-on-task-0" in msg
            [msg] = [c["message"] for c in locked["status"]["conditions"] if c["type"] == "Failed"]
            assert "401" in msg and bmcs[2].ip in msg and PASSWORD not in msg
            bmc = store.get("mgmt", BMC_V, "Machine", NS, "bmc-gone")
            assert bmc is not None and bmc["status"]["conditions"][0]["status"] == "False"
            assert not h.cond(gone, "Completed")

    asyncio.run(scenario())
    assert power(bmcs[2], "locked") == "Off"


def test_a_bmc_job_reaches_an_https_bmc_by_ip_and_redfish_port_as_rufio_does(
    tmp_path: Path, bmcs: list[Emulator]
) -> None:
    store = h.open_store(tmp_path)
    install(store, "mgmt", capt=False)
    em = bmcs[3]
    docs = host("tls", "10.0.0.51", "02:00:00:00:00:51", "worker", em)
    docs[1]["spec"]["connection"]["host"] = em.ip  # as EKS-A renders bmc_ip: no scheme
    h.apply(store, "mgmt", [*docs, {
        "apiVersion": BMC_V, "kind": "Job", "metadata": {"name": "tls-pxe", "namespace": NS},
        "spec": {"machineRef": {"name": "bmc-tls", "namespace": NS},
                 "tasks": [{"powerAction": "off"},
                           {"oneTimeBootDeviceAction": {"device": ["pxe"], "efiBoot": True}},
                           {"powerAction": "on"}]}}])

    async def scenario() -> Obj:
        async with h.running(store, tmp_path):
            return await h.wait_for(
                lambda: (j := store.get("mgmt", BMC_V, "Job", NS, "tls-pxe")) is not None
                and (h.cond(j, "Completed") or h.cond(j, "Failed")) and j, timeout=60, what="the Job done")

    job = asyncio.run(scenario())
    assert h.cond(job, "Completed"), job["status"]
    assert h.cond(job, "Running") and job["status"]["startTime"] and job["status"]["completionTime"]
    assert power(em, "tls") == "On"
    bmc = store.get("mgmt", BMC_V, "Machine", NS, "bmc-tls")
    assert bmc is not None and bmc["status"]["powerState"] == "on"
    assert bmc["status"]["conditions"][0]["type"] == "Contactable"


def test_redfish_urls_follow_rufio_connection_fields() -> None:
    assert redfish_url({"host": "10.1.1.5", "port": 623}) == "https://10.1.1.5"
    assert redfish_url({"host": "10.1.1.5", "providerOptions": {"redfish": {"port": 8443}}}) == "https://10.1.1.5:8443"
    assert redfish_url({"host": "http://127.0.0.2", "providerOptions": {"redfish": {"port": 8000}}}) == (
        "http://127.0.0.2:8000")


def test_the_objects_eks_a_renders_from_a_hardware_csv_row_are_read_as_capt_and_rufio_read_them() -> None:
    row = Machine(row=2, hostname="eksa-cp01", mac="02:00:00:00:00:61", ip_address="10.0.0.61",
                  netmask="255.255.255.0", gateway="10.0.0.1", nameservers=("8.8.8.8",),
                  labels=(("type", "cp"),), disk="/dev/sda", bmc_ip="10.0.1.61", bmc_username="admin",
                  bmc_password=SecretStr(PASSWORD))
    hw, bmc = hardware_object(row), bmc_machine_object(row)
    assert (hwr.hostname(hw), hwr.ip_address(hw), hwr.mac(hw)) == ("eksa-cp01", "10.0.0.61", "02:00:00:00:00:61")
    assert hwr.matches({"matchLabels": {"type": "cp"}}, hw["metadata"]["labels"])
    assert not hwr.matches({"matchLabels": {"type": "worker"}}, hw["metadata"]["labels"])
    assert hw["spec"]["bmcRef"]["name"] == bmc["metadata"]["name"]
    assert redfish_url(bmc["spec"]["connection"]) == "https://10.0.1.61"  # Redfish on 443, as bmclib
    assert bmc["spec"]["connection"]["insecureTLS"] is True
