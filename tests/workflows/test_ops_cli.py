"""The operation commands: an invalid spec is refused (one line per finding, exit 1) before
anything starts; start/status/list/retry speak JSON and name the running operation when a
cluster is busy; schema prints the inputs' JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest
from temporalio.testing import WorkflowEnvironment

from eksa_temporal.cli.main import main
from eksa_temporal.client import LifecycleClient

from .fakes import FakeInfra, spec_yaml

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def keep_logging_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI configures logging onto the current stderr - here pytest's capture, closed
    after the test; later tests' activities would then log into a closed file."""
    monkeypatch.setattr("eksa_temporal.logs.configure", lambda *a, **k: None)


def test_invalid_spec_is_refused_before_anything_starts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TEMPORAL_ADDRESS", "127.0.0.1:1")  # nothing listens: any connect would fail differently
    spec = tmp_path / "bad.yaml"
    text = spec_yaml("badname")
    text = text.replace("metadata:\n  name: badname\nspec:", "metadata:\n  name: Bad_Name\nspec:", 1)
    text = text.replace("controlPlaneConfiguration:\n    count: 1", "controlPlaneConfiguration:\n    count: 2")
    spec.write_text(text)
    assert main(["start", "create-cluster", "-f", str(spec)]) == 1
    err = capsys.readouterr().err.splitlines()
    findings = [line for line in err if line.startswith("✖ ")]
    assert len(findings) >= 2  # the name and the even control-plane count
    assert err[-1].endswith("problem(s) in the spec; nothing was started")
    assert not any("Temporal" in line for line in err)


def test_schema_describes_every_workflow_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert set(schema) == {"CreateClusterWorkflow", "UpgradeClusterWorkflow", "DeleteClusterWorkflow"}
    assert {"spec_yaml", "workdir"} <= set(schema["CreateClusterWorkflow"]["required"])


async def test_cli_starts_reports_and_refuses_a_busy_cluster(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    temporal_env: WorkflowEnvironment,
    lifecycle: LifecycleClient,
    infra: FakeInfra,
) -> None:
    monkeypatch.setenv("TEMPORAL_ADDRESS", temporal_env.client.service_client.config.target_host)
    monkeypatch.setenv("EKSA_TEMPORAL_TASK_QUEUE", lifecycle.task_queue)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "clidemo.yaml").write_text(spec_yaml("clidemo"))
    release = infra.block("workload-cluster-init")

    async def cli(*argv: str) -> int:
        return await anyio.to_thread.run_sync(main, list(argv))

    assert await cli("start", "create-cluster", "-f", "clidemo.yaml") == 0
    out = capsys.readouterr().out
    assert "started create of clidemo: eksa/default/clidemo" in out
    assert "http://127.0.0.1:8233/namespaces/default/workflows/eksa%2Fdefault%2Fclidemo" in out
    await infra.started["workload-cluster-init"].wait()
    assert infra.calls[0][1]["workdir"] == str(tmp_path / "clidemo")

    assert await cli("start", "upgrade-cluster", "-f", "clidemo.yaml") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is busy: operation create (eksa/default/clidemo" in err[0]

    assert await cli("status", "clidemo", "--output", "json") == 0
    status = json.loads(capsys.readouterr().out)
    assert status["state"] == "running"
    assert status["pending"][0]["step"] == "workload-cluster-init"
    assert status["pending"][0]["heartbeat"] == {"machines_ready": 0, "machines_total": 2}

    release.set()
    assert await cli("watch", "clidemo") == 0
    capsys.readouterr()
    assert await cli("list", "--cluster", "clidemo", "--output", "json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(o["workflow_id"], o["state"]) for o in listed] == [("eksa/default/clidemo", "completed")]

    assert await cli("retry", "clidemo") == 1
    assert "retry of eksa/default/clidemo failed: workflow execution already completed" in capsys.readouterr().err
