"""The ``kind`` and ``docker`` stand-ins, run as subprocesses with the argv the product's
tool runner uses: kind clusters are sim virtual clusters with a Ready labelled Node, docker
containers are the sim's machines, every call is logged."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support.standins import Standins

OWNER = "eksa.temporal/owner"


def run(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


def kind_config(tmp_path: Path, labels: dict[str, str]) -> Path:
    path = tmp_path / "kind-config.yaml"
    path.write_text(yaml.safe_dump({
        "kind": "Cluster", "apiVersion": "kind.x-k8s.io/v1alpha4",
        "nodes": [{"role": "control-plane", "labels": labels,
                   "extraMounts": [{"hostPath": "/tmp", "containerPath": "/host-tmp"}]}],
    }))
    return path


def create(name: str, kubeconfig: Path, config: Path | None = None) -> subprocess.CompletedProcess[str]:
    argv = ["kind", "create", "cluster", "--name", name, "--kubeconfig", str(kubeconfig),
            "--image", "kindest/node:v1.33.1", "--wait", "300s"]
    return run(*argv, *(["--config", str(config)] if config else []))


def seed_machine(standins: Standins, cluster: str, name: str, role: str, *, running: bool = True) -> str:
    """A CAPD-style machine in the sim's inventory, as the CAPD stand-in records one."""
    from eksa_temporal.simulator.controllers.inventory import Inventory

    inventory = Inventory(standins.sim.state_dir)
    try:
        record = inventory.begin(
            owner_key=f"test/{name}", cluster="mgmt", machine=name, seed=1, boot_seconds=0,
            jitter_seconds=0, failure_rate=0, scheme="docker", owner="o-1", name=name,
            labels={"io.x-k8s.kind.cluster": cluster, "io.x-k8s.kind.role": role})
        if running:
            inventory.mark_running(record.id)
        return record.id
    finally:
        inventory.close()


def test_kind_cluster_lifecycle(standins: Standins, tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kc" / "boot.kubeconfig"
    assert run("kind", "get", "clusters").stderr.strip() == "No kind clusters found."
    created = create("boot", kubeconfig, kind_config(tmp_path, {OWNER: "abc"}))
    assert created.returncode == 0, created.stderr
    assert stat.S_IMODE(kubeconfig.stat().st_mode) == 0o600
    assert run("kind", "get", "clusters").stdout.splitlines() == ["boot"]
    got = run("kind", "get", "kubeconfig", "--name", "boot")
    assert got.returncode == 0 and yaml.safe_load(got.stdout) == yaml.safe_load(kubeconfig.read_text())

    from kubernetes import client, config

    api = config.new_client_from_config(config_file=str(kubeconfig))
    try:
        nodes = client.CoreV1Api(api).list_node().items
    finally:
        api.close()
    assert [n.metadata.name for n in nodes] == ["boot-control-plane"]
    assert nodes[0].metadata.labels[OWNER] == "abc"
    assert [(c.type, c.status) for c in nodes[0].status.conditions] == [("Ready", "True")]
    assert nodes[0].status.node_info.kubelet_version == "v1.33.1"
    assert standins.sim.client.clusters()[0]["labels"][OWNER] == "abc"

    again = create("boot", kubeconfig)
    assert again.returncode == 1
    assert again.stderr.strip().endswith(
        'ERROR: failed to create cluster: node(s) already exist for a cluster with the name "boot"')

    deleted = run("kind", "delete", "cluster", "--name", "boot")
    assert deleted.returncode == 0 and 'Deleting cluster "boot" ...' in deleted.stderr
    assert standins.sim.client.clusters() == []
    missing = run("kind", "delete", "cluster", "--name", "boot")
    assert missing.returncode == 0 and 'Deleting cluster "boot" ...' in missing.stderr

    assert [c["argv"][:3] for c in standins.calls("kind")] == [
        ["kind", "get", "clusters"], ["kind", "create", "cluster"], ["kind", "get", "clusters"],
        ["kind", "get", "kubeconfig"], ["kind", "create", "cluster"], ["kind", "delete", "cluster"],
        ["kind", "delete", "cluster"]]
    assert [c["exit"] for c in standins.calls("kind")] == [0, 0, 0, 0, 1, 0, 0]
    assert standins.calls("docker") == []


def test_kind_lists_only_its_own_clusters_and_knows_no_others(standins: Standins) -> None:
    standins.sim.client.create_cluster("mgmt")  # a sim cluster kind did not create
    assert run("kind", "get", "clusters").stdout == ""
    missing = run("kind", "get", "kubeconfig", "--name", "mgmt")
    assert missing.returncode == 1
    assert "could not locate any control plane nodes for cluster named 'mgmt'" in missing.stderr
    assert run("kind", "delete", "cluster", "--name", "mgmt").returncode == 0
    assert [c["name"] for c in standins.sim.client.clusters()] == ["mgmt"]  # not kind's to delete
    version = run("kind", "version")
    assert version.returncode == 0 and version.stdout.startswith("kind v")
    unknown = run("kind", "build", "node-image")
    assert unknown.returncode == 2


def test_docker_info_and_version(standins: Standins) -> None:
    info = run("docker", "info", "--format", "{{json .}}")
    assert info.returncode == 0, info.stderr
    doc = json.loads(info.stdout)
    assert doc["ServerVersion"] == "28.0.0" and doc["MemTotal"] == 8 * 1024**3
    assert doc["OperatingSystem"] == "stand-in" and doc["NCPU"] >= 1
    version = run("docker", "version", "--format", "{{.Server.Version}}")
    assert version.returncode == 0 and version.stdout.strip() == "28.0.0"
    assert run("docker", "version").returncode == 0


def test_docker_ps_filters_and_rm(standins: Standins) -> None:
    cp = seed_machine(standins, "w1", "w1-cp-abc", "control-plane")
    worker = seed_machine(standins, "w1", "w1-md-0-xyz", "worker")
    other = seed_machine(standins, "w2", "w2-cp-def", "control-plane", running=False)

    def ps(*filters: str) -> list[dict[str, str]]:
        argv = ["docker", "ps", "-a", "--no-trunc", "--format", "{{json .}}"]
        for f in filters:
            argv += ["--filter", f]
        out = run(*argv)
        assert out.returncode == 0, out.stderr
        return [json.loads(line) for line in out.stdout.splitlines()]

    rows = ps("label=io.x-k8s.kind.cluster=w1")
    assert sorted(r["ID"] for r in rows) == sorted([cp, worker])
    row = next(r for r in rows if r["ID"] == cp)
    assert row["Names"] == "w1-cp-abc" and row["State"] == "running" and row["Image"]
    assert row["Labels"] == "io.x-k8s.kind.cluster=w1,io.x-k8s.kind.role=control-plane"
    assert [r["ID"] for r in ps("label=io.x-k8s.kind.cluster=w1", "label=io.x-k8s.kind.role=worker")] == [worker]
    assert [r["State"] for r in ps("label=io.x-k8s.kind.cluster=w2")] == ["created"]
    assert len(ps("label=io.x-k8s.kind.cluster")) == 3
    assert ps("label=io.x-k8s.kind.cluster=w3") == []
    label = run("docker", "ps", "-a", "--filter", "label=io.x-k8s.kind.role=worker",
                "--format", '{{.Label "io.x-k8s.kind.cluster"}}')
    assert label.stdout.splitlines() == ["w1"]
    assert len(run("docker", "ps", "-q").stdout.splitlines()) == 2  # without -a: running only

    removed = run("docker", "rm", "-f", cp, other)
    assert removed.returncode == 0, removed.stderr
    assert removed.stdout.splitlines() == [cp, other]
    assert [r["ID"] for r in ps("label=io.x-k8s.kind.cluster")] == [worker]
    assert {m["id"]: m["exists"] for m in standins.sim.client.machines()} == {cp: False, worker: True, other: False}
    gone = run("docker", "rm", "-f", cp)
    assert gone.returncode == 1
    assert gone.stderr.strip() == f"Error response from daemon: No such container: {cp}"

    calls = standins.calls("docker")
    assert calls[0]["argv"] == ["docker", "ps", "-a", "--no-trunc", "--format", "{{json .}}",
                                "--filter", "label=io.x-k8s.kind.cluster=w1"]
    assert calls[-1]["argv"] == ["docker", "rm", "-f", cp] and calls[-1]["exit"] == 1


@pytest.mark.parametrize("argv", [["docker", "info", "--format", "{{json .}}"],
                                  ["docker", "ps", "-a", "--format", "{{json .}}"],
                                  ["docker", "rm", "-f", "x"]])
def test_docker_daemon_down(standins: Standins, argv: list[str]) -> None:
    out = run(*argv, env={"EKSA_STANDIN_DOCKER_DOWN": "1"})
    assert out.returncode == 1
    assert out.stderr.strip().endswith(
        "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?")
    assert standins.calls() == [{**standins.calls()[0], "tool": "docker", "argv": argv, "exit": 1}]


def test_no_sim_is_an_unreachable_daemon(standins: Standins, tmp_path: Path) -> None:
    env = {"EKSA_SIM_STATE_DIR": str(tmp_path / "no-sim")}
    docker = run("docker", "ps", "-a", "--format", "{{json .}}", env=env)
    assert docker.returncode == 1 and "Cannot connect to the Docker daemon" in docker.stderr
    kind = run("kind", "get", "clusters", env=env)
    assert kind.returncode == 1 and kind.stderr.startswith("ERROR: failed to list clusters")


def test_default_sim_dir_is_the_products(standins: Standins, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without EKSA_SIM_STATE_DIR the stand-ins use ``config.sim_state_dir()``."""
    monkeypatch.delenv("EKSA_SIM_STATE_DIR")
    monkeypatch.setenv("EKSA_TEMPORAL_STATE_DIR", str(standins.sim.state_dir.parent))
    assert standins.sim.state_dir.name == "sim"
    standins.log.unlink(missing_ok=True)
    monkeypatch.delenv("EKSA_STANDIN_LOG")
    assert run("docker", "info", "--format", "{{json .}}").returncode == 0
    assert (standins.sim.state_dir / "standin-calls.jsonl").exists()


def test_the_products_tool_wrappers_drive_the_standins(standins: Standins, tmp_path: Path) -> None:
    """``eksa_temporal.tools`` Kind and Docker, and the KindBootstrapper on top, unchanged."""
    from eksa_temporal.errors import PermanentError
    from eksa_temporal.ownership import OWNER_LABEL
    from eksa_temporal.providers.base import BootstrapOptions
    from eksa_temporal.providers.bootstrap import KindBootstrapper
    from eksa_temporal.tools.docker import Docker
    from eksa_temporal.tools.kind import Kind

    kind, docker = Kind(), Docker()
    assert kind.version().startswith("kind v")
    assert kind.get_clusters() == []
    bootstrapper = KindBootstrapper(kind, state_dir=tmp_path / "kind-state")
    kubeconfig = bootstrapper.create(
        "eksa-boot", tmp_path / "boot.kubeconfig", {OWNER_LABEL: "o-1"},
        BootstrapOptions(extra_mounts=[{"hostPath": "/var/run/docker.sock",
                                        "containerPath": "/var/run/docker.sock"}]))
    assert stat.S_IMODE(kubeconfig.stat().st_mode) == 0o600
    assert kind.get_clusters() == ["eksa-boot"]
    labels = bootstrapper.labels("eksa-boot")
    assert labels is not None and labels[OWNER_LABEL] == "o-1"
    with pytest.raises(PermanentError):  # kind's "already exist" is a known permanent failure
        kind.create_cluster("eksa-boot", tmp_path / "again.kubeconfig", image="kindest/node:v1.33.1")
    create_argv = next(c["argv"] for c in standins.calls("kind") if c["argv"][1:3] == ["create", "cluster"])
    assert create_argv[:10] == ["kind", "create", "cluster", "--name", "eksa-boot", "--kubeconfig",
                                create_argv[6], "--image", create_argv[8], "--wait"]
    assert "--config" in create_argv

    assert docker.info()["ServerVersion"] == "28.0.0"
    machine = seed_machine(standins, "w1", "w1-cp-abc", "control-plane")
    rows = docker.ps({"io.x-k8s.kind.cluster": "w1"})
    assert [r["ID"] for r in rows] == [machine]
    docker.rm([machine])
    docker.rm([machine])  # already gone: not an error to the wrapper
    assert docker.ps({"io.x-k8s.kind.cluster": "w1"}) == []

    assert bootstrapper.delete("eksa-boot") is True
    assert kind.get_clusters() == [] and standins.sim.client.clusters() == []
