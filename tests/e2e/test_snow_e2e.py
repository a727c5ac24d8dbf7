"""The Snow provider end to end through the CLI and the real workflows: two emulated Snow
devices (moto's EC2 with IAM authentication on ``https://127.0.15.1x:8243`` - 127.0.16.1x
on a second xdist worker - our Snowball Device API emulator on ``:9092``, TLS by a CA made per run, access keys generated per run
and held only in the credentials file), the kind stand-in as the bootstrap cluster, the
upstream Cluster API components plus the CAPAS stand-in component from a clusterctl local
repository, the simulator playing CAPAS. ``start create-cluster`` (the default key pair
imported on both devices), ``start upgrade-cluster`` (Kubernetes 1.31 -> 1.32 and 1 -> 2
workers) and ``start delete-cluster`` (the key pair removed) each complete; no access or
secret key is in any history, the worker's, the sim's or the stand-ins' log, the CLI's
output, the cluster folder, the support bundle or a rendered object - only in the
credentials Secrets.

``generate clusterconfig -p snow`` and ``preflight -f`` (exit 0 on a good spec, 1 with every
finding together, 2 on a usage error) run against the same devices."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import tarfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from temporalio.testing import WorkflowEnvironment

from eksa_temporal import config
from eksa_temporal.activities.diagnostics import DiagnosticsActivities
from eksa_temporal.activities.models import SupportBundleInput
from eksa_temporal.devserver import Child, spawn
from eksa_temporal.providers.capi.source import SOURCE_ENV
from eksa_temporal.providers.registry import Registry
from eksa_temporal.providers.snow.render import default_key_name
from eksa_temporal.simulator.components import manifests, provider
from tests.providers.snow.emulator import SnowDevices, device_ip, snow_devices
from tests.providers.snow.specs import snow_yaml
from tests.support.histories import assert_no_secrets, decoded_history
from tests.support.paths import EKSA
from tests.support.sim import SimServer, running_sim
from tests.support.standins import STANDINS_BIN, Standins

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(240)]
DEVICES = [device_ip(10), device_ip(11)]
ENDPOINT = device_ip(201)  # nothing listens there
SIM_ARGS = ("--boot-seconds", "0.2", "--seed", "7")
CLI_TIMEOUT = 150
RENDERED = ("clusters.cluster.x-k8s.io", "awssnowclusters", "awssnowmachinetemplates", "awssnowmachines",
            "kubeadmcontrolplanes", "kubeadmconfigtemplates", "machinedeployments", "machines", "deployments.apps")


@dataclass
class SnowEnv:
    root: Path
    sim: SimServer
    address: str
    standins: Standins
    components: Path
    snow: SnowDevices

    def env(self, **extra: str) -> dict[str, str]:
        return dict(os.environ) | self.standins.env() | self.snow.env | {
            "TEMPORAL_ADDRESS": self.address,
            config.STATE_DIR_ENV: str(self.root),
            SOURCE_ENV: str(self.components),
            "EKSA_SNOW_SSH_KEY_DIR": str(self.root / "keys"),
            "NO_PROXY": "*",
        } | extra

    def cli(self, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(EKSA), *args], env=self.env(**extra), capture_output=True, text=True, timeout=CLI_TIMEOUT, check=False)


def components_with_capas(base: Path, upstream: Path) -> Path:
    """The upstream repository's providers (links) plus the CAPAS stand-in, as a clusterctl
    local repository."""
    base.mkdir(parents=True)
    for entry in sorted(upstream.iterdir()):
        (base / entry.name).symlink_to(entry.resolve() if entry.is_symlink() else entry, target_is_directory=True)
    capas = provider("snow")
    folder = base / capas.inventory_name / capas.version
    folder.mkdir(parents=True)
    (folder / "infrastructure-components.yaml").write_text(yaml.safe_dump_all(manifests("snow")))
    return base


@pytest.fixture
def snow_env(temporal_env: WorkflowEnvironment, tmp_path: Path, upstream_components: Path) -> Iterator[SnowEnv]:
    root = tmp_path / "state"
    components = components_with_capas(tmp_path / "components", upstream_components)
    with snow_devices(tmp_path / "devices", DEVICES) as snow, running_sim(config.sim_state_dir(root), SIM_ARGS) as sim:
        standins = Standins(STANDINS_BIN, tmp_path / "standin-calls.jsonl", sim)
        sim.client.set_knobs(deployment_ready_seconds=0.0)
        yield SnowEnv(root, sim, temporal_env.client.service_client.config.target_host, standins, components, snow)


@pytest.fixture
def worker(snow_env: SnowEnv) -> Iterator[tuple[str, Path]]:
    queue = f"snow-e2e-{uuid.uuid4()}"
    log = snow_env.root / "worker.log"
    child: Child = spawn("worker", [str(EKSA), "-v", "worker"], log_path=log, env=snow_env.env(**{config.TASK_QUEUE_ENV: queue}))
    try:
        deadline = time.monotonic() + 30
        while "worker polling" not in (log.read_text(errors="replace") if log.exists() else ""):
            assert child.alive(), log.read_text(errors="replace")[-2000:]
            assert time.monotonic() < deadline, "worker did not start polling in time"
            time.sleep(0.1)
        yield queue, log
    finally:
        child.stop(grace=10)


def kubectl(kubeconfig: Path, *args: str) -> Any:
    out = subprocess.run(["kubectl", "--kubeconfig", str(kubeconfig), *args, "-o", "json"], capture_output=True, text=True, timeout=30, check=True)
    return json.loads(out.stdout)


def tarball_text(path: Path) -> str:
    """Every file of a support bundle, as one text."""
    texts: list[str] = []
    with tarfile.open(path) as tar:
        for member in tar.getmembers():
            f = tar.extractfile(member) if member.isfile() else None
            if f is not None:
                texts.append(f.read().decode(errors="replace"))
    return "\n".join(texts)


def running_instances(snow: SnowDevices) -> set[str]:
    """``aws-snow:///<device>/<instance>`` of every pending or running instance on the devices."""
    found = set()
    for ip in DEVICES:
        out = snow.ec2(ip).describe_instances(Filters=[{"Name": "instance-state-name", "Values": ["pending", "running"]}])
        for reservation in out["Reservations"]:
            for instance in reservation["Instances"]:
                assert instance["KeyName"] == default_key_name("sn1")
                found.add(f"aws-snow:///{ip}/{instance['InstanceId']}")
    return found


def key_pairs(snow: SnowDevices, ip: str, name: str) -> list[Any]:
    return list(snow.ec2(ip).describe_key_pairs(Filters=[{"Name": "key-name", "Values": [name]}])["KeyPairs"])


async def test_snow_create_upgrade_delete_keeps_the_device_keys_out_of_everything(
    snow_env: SnowEnv, worker: tuple[str, Path], temporal_env: WorkflowEnvironment
) -> None:
    queue, log = worker
    snow, name = snow_env.snow, "sn1"
    workdir = snow_env.root / "out" / name
    spec = snow_env.root / f"{name}.yaml"
    spec.write_text(snow_yaml(name, DEVICES, snow.ami, endpoint=ENDPOINT))
    queue_env = {config.TASK_QUEUE_ENV: queue}
    outputs: list[str] = []

    run = snow_env.cli("start", "create-cluster", "-f", str(spec), "--wait", "--workdir", str(workdir), **queue_env)
    outputs.append(run.stdout + run.stderr)
    assert run.returncode == 0, outputs[-1]
    kubeconfig = workdir / f"{name}-eks-a-cluster.kubeconfig"
    nodes = kubectl(kubeconfig, "get", "nodes")["items"]
    assert len(nodes) == 2
    assert all(n["spec"]["providerID"].split("/")[3] in DEVICES for n in nodes)
    ready = kubectl(kubeconfig, "get", "awssnowclusters", "-n", "eksa-system")["items"]
    assert [(c["metadata"]["name"], c["status"]["ready"]) for c in ready] == [(name, True)]
    key = default_key_name(name)
    assert all(len(key_pairs(snow, ip, key)) == 1 for ip in DEVICES)  # imported by the create
    # the CAPAS stand-in launched one instance per machine on the devices, with the key pair
    assert running_instances(snow) == {n["spec"]["providerID"] for n in nodes}

    spec.write_text(snow_yaml(name, DEVICES, snow.ami, endpoint=ENDPOINT, version="1.32", workers=2))
    run = snow_env.cli("start", "upgrade-cluster", "-f", str(spec), "--wait", "--workdir", str(workdir), **queue_env)
    outputs.append(run.stdout + run.stderr)
    assert run.returncode == 0, outputs[-1]
    kcp = kubectl(kubeconfig, "get", "kubeadmcontrolplanes", "-n", "eksa-system")["items"][0]
    assert kcp["spec"]["version"] == "v1.32.0"
    md = kubectl(kubeconfig, "get", "machinedeployments", "-n", "eksa-system")["items"][0]
    assert md["spec"]["replicas"] == 2 and md["spec"]["template"]["spec"]["version"] == "v1.32.0"
    nodes = kubectl(kubeconfig, "get", "nodes")["items"]
    assert len(nodes) == 3
    assert running_instances(snow) == {n["spec"]["providerID"] for n in nodes}  # replaced ones terminated

    # no key anywhere but the credentials Secrets
    secrets = {f"device key {i}": v for i, v in enumerate(sorted(snow.secrets()))}
    rendered = {kind: kubectl(kubeconfig, "get", kind, "-A") for kind in RENDERED}
    assert_no_secrets(json.dumps(rendered), secrets, where="the rendered objects")
    bundle = DiagnosticsActivities(Registry(snow_env.sim.state_dir)).collect_support_bundle(
        SupportBundleInput(cluster_name=name, provider="snow", spec_yaml=spec.read_text(), workdir=str(workdir))
    )
    bundled = tarball_text(Path(bundle.bundle_path))
    assert "AWSSnowCluster" in bundled
    assert_no_secrets(bundled, secrets, where="the support bundle")
    # ... the keys are where CAPAS reads them: the cluster's credentials Secret (each file
    # base64-encoded, as EKS-A stores them) and CAPAS's own bootstrap credentials Secret
    held = kubectl(kubeconfig, "get", "secret", f"{name}-snow-credentials", "-n", "eksa-system")["data"]
    assert base64.b64decode(base64.b64decode(held["credentials"])) == snow.credentials_file.read_bytes()
    bootstrap = kubectl(kubeconfig, "get", "secret", "capas-manager-bootstrap-credentials", "-n", "capas-system")["data"]
    assert base64.b64decode(bootstrap["ca-bundle"]) == snow.ca_file.read_bytes()
    run = snow_env.cli("start", "delete-cluster", "-f", str(spec), "--wait", "--workdir", str(workdir), **queue_env)
    outputs.append(run.stdout + run.stderr)
    assert run.returncode == 0, outputs[-1]
    assert all(key_pairs(snow, ip, key) == [] for ip in DEVICES)  # cleanup removed what the create made
    assert not [m for m in snow_env.sim.client.machines() if m["cluster"] == name and m["exists"]]
    assert running_instances(snow) == set()

    runs = [w.run_id async for w in temporal_env.client.list_workflows(f'WorkflowId="eksa/default/{name}"')]
    assert len(runs) >= 3  # create, upgrade, delete
    for run_id in runs:
        assert_no_secrets(await decoded_history(temporal_env.client, f"eksa/default/{name}", run_id), secrets)
    for text, where in (
        (log.read_text(errors="replace"), "the worker's log"),
        (snow_env.sim.log_path.read_text(errors="replace"), "the sim's log"),
        (snow_env.standins.log.read_text(), "the stand-ins' call log"),
        ("\n".join(outputs), "the CLI's output"),
    ):
        assert_no_secrets(text, secrets, where=where)
    for path in workdir.rglob("*"):
        if path.is_file():
            assert_no_secrets(path.read_text(errors="replace"), secrets, where=str(path))


def test_generate_and_preflight_against_the_devices(tmp_path: Path) -> None:
    with snow_devices(tmp_path / "devices", DEVICES[:1]) as snow:
        env = dict(os.environ) | snow.env | {"NO_PROXY": "*"}

        def cli(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([str(EKSA), *args], env=env | extra, capture_output=True, text=True, timeout=60, check=False)

        generated = cli("generate", "clusterconfig", "sn2", "-p", "snow")
        assert generated.returncode == 0, generated.stderr
        kinds = [d["kind"] for d in yaml.safe_load_all(generated.stdout)]
        assert kinds == ["Cluster", "SnowDatacenterConfig", "SnowMachineConfig", "SnowMachineConfig"]

        good = tmp_path / "good.yaml"
        good.write_text(snow_yaml("sn2", DEVICES[:1], snow.ami, endpoint=ENDPOINT))
        passed = cli("preflight", "-f", str(good))
        assert passed.returncode == 0, passed.stdout + passed.stderr

        bad = tmp_path / "bad.yaml"
        bad.write_text(snow_yaml("sn2", [DEVICES[0], "127.0.15.19"], "ami-0badbadbadbadbad0", endpoint=ENDPOINT, key_name="absent"))
        failed = cli("preflight", "-f", str(bad))
        text = " ".join((failed.stdout + failed.stderr).split())
        assert failed.returncode == 1, text
        for expected in (
            f"aws image [ami-0badbadbadbadbad0] does not exist on snow device [{DEVICES[0]}]",
            f"aws key pair [absent] does not exist on snow device [deviceIP={DEVICES[0]}]",
            "credentials not found for device [127.0.15.19]",
        ):
            assert expected in text, text
        assert "SnowMachineConfig/sn2-cp.spec.amiID" in text

        usage = cli("preflight", "-f", str(tmp_path / "missing.yaml"))
        assert usage.returncode == 2
        assert not {s for s in snow.secrets() if s in passed.stdout + failed.stdout + failed.stderr}
