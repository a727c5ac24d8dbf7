"""End to end against a real ``sim serve`` process: real CAPI CRDs plus the sim's
components applied with kubectl, a cluster rendered by the sim provider becomes Available
(watched with the kubernetes client), kubectl lists the workload cluster's Nodes through
the kubeconfig Secret; a version upgrade rolls every machine; ``kill -9`` while machines
boot loses nothing and provisions no duplicate."""

from __future__ import annotations

from pathlib import Path

import yaml
from kubernetes import client, config

from tests.simulator.controllers import process as p
from tests.support.sim import SimServer


def test_a_rendered_cluster_on_real_crds_becomes_available_and_upgrades(shared_sim: SimServer, tmp_path: Path) -> None:
    sim_server = shared_sim
    sim_server.client.set_knobs(boot_seconds=0.1, deployment_ready_seconds=0.1)
    kubeconfig = p.install_capi(sim_server, "mgmt")
    p.kubectl(kubeconfig, "apply", "-f", "-", stdin=yaml.safe_dump_all(p.render_cluster("w1", workers=2)))
    api = sim_server.api_client("mgmt")
    cluster = p.wait_cluster_available(api, "w1")
    assert cluster["status"]["controlPlaneReady"] is True

    workload = p.workload_kubeconfig(api, "w1", tmp_path / "w1.kubeconfig")
    nodes = p.nodes(workload)
    assert len(nodes) == 3
    assert sum("node-role.kubernetes.io/control-plane" in n["metadata"]["labels"] for n in nodes) == 1
    assert {n["status"]["nodeInfo"]["kubeletVersion"] for n in nodes} == {"v1.31.6"}
    machines = {m["provider_id"]: m for m in sim_server.client.machines() if m["cluster"] == "w1"}
    assert {n["spec"]["providerID"] for n in nodes} == set(machines)

    # upgrade: the renderer gives the same template names, a new version; apply rolls machines
    p.kubectl(kubeconfig, "apply", "-f", "-", stdin=yaml.safe_dump_all(p.render_cluster("w1", workers=2, version="1.32")))

    core = client.CoreV1Api(config.new_client_from_config(config_file=str(workload)))

    def upgraded() -> bool:
        found = core.list_node().items
        return len(found) == 3 and {n.status.node_info.kubelet_version for n in found} == {"v1.32.2"}

    deadline_ok = _poll(upgraded, 30)
    assert deadline_ok, p.kubectl(kubeconfig, "get", "machines", "-A")
    records = [r for r in sim_server.client.machines() if r["cluster"] == "w1"]
    assert len(records) == 6 and sum(r["exists"] for r in records) == 3


def test_kill_9_while_machines_boot_resumes_without_duplicates(sim_server: SimServer) -> None:
    sim_server.client.set_knobs(boot_seconds=1.0, deployment_ready_seconds=0.1)
    kubeconfig = p.install_capi(sim_server, "mgmt")
    p.kubectl(kubeconfig, "apply", "-f", "-", stdin=yaml.safe_dump_all(p.render_cluster("w2", workers=3)))
    assert _poll(lambda: sum(m["state"] == "provisioning" for m in sim_server.client.machines()) == 3, 30)
    before = {m["id"] for m in sim_server.client.machines()}
    sim_server.kill()  # SIGKILL
    sim_server.restart()
    sim_server.client.set_knobs(boot_seconds=0.1)
    cluster = p.wait_cluster_available(sim_server.api_client("mgmt"), "w2")
    assert cluster["status"]["infrastructureReady"] is True
    records = sim_server.client.machines()
    assert {m["id"] for m in records} == before  # the booting machines finished; none added
    assert len(records) == 4 and all(m["exists"] for m in records)
    machines = p.kubectl(kubeconfig, "get", "machines", "-n", p.NS, "-o", "jsonpath={.items[*].spec.providerID}").split()
    assert sorted(machines) == sorted(m["provider_id"] for m in records)


def _poll(check: object, timeout: float) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.2)
    return False
