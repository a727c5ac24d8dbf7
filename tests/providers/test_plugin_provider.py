"""A provider added as one folder plus its entry point, with no edit elsewhere: a small
``toy`` provider package and a ``*.dist-info/entry_points.txt`` in a temporary folder on
the worker's ``PYTHONPATH``. Its spec selects it through its own datacenterRef kind
(``ToyDatacenterConfig``, contributed by the plug-in), and a create and a delete run end
to end on the simulated infrastructure through it. Without the entry point the spec is
refused and no cluster is made."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from eksa_temporal import config
from eksa_temporal.providers.registry import Registry, load_spec_plugins
from eksa_temporal.spec import check_spec_text, generate_cluster_config
from tests.support.sim import SimServer

pytestmark = pytest.mark.anyio
REPO = Path(__file__).resolve().parents[2]

PLUGIN = '''
"""A small provider: the simulated infrastructure behind its own datacenter kind."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from eksa_temporal.providers.base import ProviderContext
from eksa_temporal.providers.sim.provider import SimProvider
from eksa_temporal.spec.base import EksaModel, KubeObject, YamlStr
from eksa_temporal.spec.docker_sim import SimMachineConfig
from eksa_temporal.spec.findings import Finding


class ToyDatacenterConfigSpec(EksaModel):
    region: YamlStr = ""


class ToyDatacenterConfig(KubeObject):
    kind: Literal["ToyDatacenterConfig"] = "ToyDatacenterConfig"
    spec: ToyDatacenterConfigSpec = Field(default_factory=ToyDatacenterConfigSpec)


def region_set(spec: Any) -> list[Finding]:
    dc = spec.datacenter
    if isinstance(dc, ToyDatacenterConfig) and not dc.spec.region:
        return [Finding(path="ToyDatacenterConfig.spec.region", message="region is not set", check="toy-region")]
    return []


def region_default(doc: dict[str, Any]) -> None:
    spec = doc.setdefault("spec", {})
    if isinstance(spec, dict) and spec.get("region") is None:
        spec["region"] = "toy-1"


class ToyProvider(SimProvider):
    name = "toy"
    datacenter_kinds = ("ToyDatacenterConfig",)
    datacenter_model = ToyDatacenterConfig
    machine_model = SimMachineConfig
    endpoint_required = False

    def spec_rules(self) -> list[Any]:
        return [region_set]

    def spec_defaults(self) -> dict[str, Any]:
        return {"ToyDatacenterConfig": region_default}

    def prepare_infrastructure(self, spec: Any) -> list[str]:
        journal = Path(os.environ["TOY_JOURNAL"])
        with journal.open("a") as out:
            out.write(f"prepare {spec.name} {spec.datacenter.spec.region} pid={os.getpid()}\\n")
        return []

    def after_workload_init(self, spec: Any, kubeconfig: str) -> list[str]:
        # a hook the runbook runs as its own step only because this provider has it
        with Path(os.environ["TOY_JOURNAL"]).open("a") as out:
            out.write(f"after-workload-init {spec.name} {Path(kubeconfig).name}\\n")
        return []

    def cleanup(self, spec: Any, ownership: Any) -> Any:
        with Path(os.environ["TOY_JOURNAL"]).open("a") as out:
            out.write(f"cleanup {spec.name}\\n")
        return super().cleanup(spec, ownership)


def make_provider(ctx: ProviderContext) -> ToyProvider:
    return ToyProvider(ctx.sim_state_dir)
'''


def write_plugin(root: Path, *, entry_point: bool = True) -> Path:
    """The plug-in folder: one package and (optionally) its distribution's entry point."""
    (root / "toy_provider").mkdir(parents=True)
    (root / "toy_provider" / "__init__.py").write_text(textwrap.dedent(PLUGIN))
    dist = root / "toy_provider-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-provider\nVersion: 0.1\n")
    if entry_point:
        (dist / "entry_points.txt").write_text(
            "[eksa_temporal.providers]\ntoy = toy_provider:make_provider\n"
        )
    return root


def toy_spec(name: str) -> str:
    text = generate_cluster_config(name, "sim")
    text = text.replace("kind: SimDatacenterConfig", "kind: ToyDatacenterConfig")
    return text


@pytest.fixture
def on_path(tmp_path: Path) -> Iterator[Path]:
    root = write_plugin(tmp_path / "plugin")
    sys.path.insert(0, str(root))
    try:
        yield root
    finally:
        sys.path.remove(str(root))
        for mod in [m for m in sys.modules if m.startswith("toy_provider")]:
            del sys.modules[mod]


def start_worker(root: Path, plugin: Path, address: str, queue: str, journal: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.update(
        {
            "TEMPORAL_ADDRESS": address,
            config.STATE_DIR_ENV: str(root),
            config.TASK_QUEUE_ENV: queue,
            "PYTHONPATH": os.pathsep.join([str(plugin), str(REPO)]),
            "TOY_JOURNAL": str(journal),
        }
    )
    log = (root / "worker.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "eksa_temporal.worker"], env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while b"worker polling" not in (root / "worker.log").read_bytes():
        assert proc.poll() is None, (root / "worker.log").read_text()
        assert time.monotonic() < deadline, "the worker did not start"
        time.sleep(0.2)
    return proc


def live_machines(sim: SimServer, cluster: str) -> list[dict[str, object]]:
    return [m for m in sim.client.machines() if m.get("cluster") == cluster and m["state"] in ("provisioning", "running")]


def test_the_plugin_contributes_its_kind_defaults_and_rules(on_path: Path) -> None:
    assert "toy" in load_spec_plugins() or "toy" in Registry(register_spec=False).available()
    spec, findings = check_spec_text(toy_spec("t1"))
    assert spec is not None, [f.line() for f in findings]
    assert spec.provider == "toy"
    assert type(spec.datacenter).__name__ == "ToyDatacenterConfig"
    assert spec.datacenter.spec.region == "toy-1"  # type: ignore[union-attr]  # the plug-in's default
    assert "ToyDatacenterConfig" in spec.to_yaml()
    _, findings = check_spec_text(toy_spec("t1").replace("spec: {}", "spec:\n  region: ''", 1))
    assert any(f.check == "toy-region" for f in findings)


def test_without_the_entry_point_the_kind_is_unknown(tmp_path: Path) -> None:
    root = write_plugin(tmp_path / "plugin", entry_point=False)
    probe = (
        "from eksa_temporal.providers.registry import Registry\n"
        "from eksa_temporal.spec import check_spec_text\n"
        "import sys\n"
        "reg = Registry()\n"
        "spec, findings = check_spec_text(sys.stdin.read())\n"
        "print('toy' in reg.available(), spec is not None, any('datacenterRef kind' in f.message for f in findings))\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root), str(REPO)]))
    out = subprocess.run([sys.executable, "-c", probe], input=toy_spec("t2"), capture_output=True, text=True, env=env, timeout=120, check=True)
    assert out.stdout.split() == ["False", "False", "True"], out.stderr


async def test_create_and_delete_end_to_end_through_a_plugin_provider(
    temporal_env: WorkflowEnvironment, on_path: Path, tmp_path: Path
) -> None:
    from eksa_temporal.client import LifecycleClient
    from eksa_temporal.workflows.models import (
        CreateClusterInput,
        CreateClusterResult,
        DeleteClusterInput,
        Timeouts,
    )
    from tests.support.sim import running_sim

    timeouts = Timeouts(step_seconds=60, long_step_seconds=120, heartbeat_seconds=15, initial_retry_seconds=0.2, max_retry_seconds=1, max_attempts=3)
    root = tmp_path / "state"
    journal = tmp_path / "toy-journal"
    queue = f"plugin-{uuid.uuid4()}"
    load_spec_plugins()  # the submitting process checks specs with the plug-in too
    with running_sim(root / "sim", ("--boot-seconds", "0.2", "--seed", "7")) as sim:
        worker = start_worker(root, on_path, temporal_env.client.service_client.config.target_host, queue, journal)
        try:
            lc = LifecycleClient(temporal_env.client, task_queue=queue, registry=Registry(sim.state_dir))
            workdir = str(root / "out" / "toy1")
            created_id = (await lc.start_create(CreateClusterInput(spec_yaml=toy_spec("toy1"), workdir=workdir, timeouts=timeouts))).workflow_id
            created = await lc.wait(created_id)
            assert isinstance(created, CreateClusterResult)
            assert len(live_machines(sim, "toy1")) == 2
            assert "ToyDatacenterConfig" in Path(f"{workdir}/toy1-eks-a-cluster.yaml").read_text()
            assert journal.read_text().startswith("prepare toy1 toy-1 pid=")  # the worker ran the plug-in
            assert f"pid={worker.pid}" in journal.read_text()
            # the provider's hook ran as the step after write-kubeconfig, and only then
            assert "after-workload-init toy1 toy1-eks-a-cluster.kubeconfig" in journal.read_text()
            progress = (await lc.status(created_id)).progress
            assert progress is not None
            names = [s.name for s in progress.steps]
            assert names.index("after-workload-init") == names.index("write-kubeconfig") + 1, names
            assert "prepare-bootstrap-cluster" not in names and "after-move" not in names, names

            await lc.wait((await lc.start_delete(DeleteClusterInput(spec_yaml=toy_spec("toy1"), workdir=workdir, timeouts=timeouts))).workflow_id)
            assert live_machines(sim, "toy1") == []
        finally:
            worker.terminate()
            worker.wait(timeout=30)
