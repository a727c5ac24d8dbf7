"""``start create-cluster`` with a proxy password in the spec: the password is written to the
cluster's credentials file only once the operation has started; a refused create leaves the
folder's credentials file as it was, and a create never replaces other stored credentials."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import anyio
import pytest
from temporalio.testing import WorkflowEnvironment

from eksa_temporal.cli.main import main
from eksa_temporal.client import LifecycleClient
from eksa_temporal.spec.proxy import credentials_path

from .fakes import FakeInfra, spec_yaml

pytestmark = pytest.mark.anyio

OLD = '{"httpProxy": "live-cluster-password", "httpsProxy": "live-cluster-password"}\n'


@pytest.fixture(autouse=True)
def keep_logging_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("eksa_temporal.logs.configure", lambda *a, **k: None)


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, temporal_env: WorkflowEnvironment, lifecycle: LifecycleClient) -> Path:
    monkeypatch.setenv("TEMPORAL_ADDRESS", temporal_env.client.service_client.config.target_host)
    monkeypatch.setenv("EKSA_TEMPORAL_TASK_QUEUE", lifecycle.task_queue)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def proxy_spec(name: str, password: str) -> str:
    proxy = (
        "  proxyConfiguration:\n"
        f"    httpProxy: http://proxyuser:{password}@10.0.0.1:3128\n"
        f"    httpsProxy: http://proxyuser:{password}@10.0.0.1:3129\n"
        "    noProxy:\n    - 10.10.0.0/16\n"
    )
    return spec_yaml(name).replace("  managementCluster:\n", proxy + "  managementCluster:\n", 1)


async def cli(*argv: str) -> int:
    return await anyio.to_thread.run_sync(main, list(argv))


def stored(folder: Path, name: str, text: str) -> Path:
    creds = credentials_path(folder, name)
    creds.parent.mkdir(parents=True)
    creds.write_text(text)
    return creds


async def test_refused_create_of_an_existing_cluster_keeps_its_proxy_credentials(cli_env: Path, capsys: pytest.CaptureFixture[str], infra: FakeInfra) -> None:
    folder = cli_env / "live"
    creds = stored(folder, "live", OLD)
    (folder / "live-eks-a-cluster.kubeconfig").write_text("apiVersion: v1\nkind: Config\n")
    (cli_env / "live.yaml").write_text(proxy_spec("live", "new-password"))

    assert await cli("start", "create-cluster", "-f", "live.yaml") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "already exists" in err[0]
    assert creds.read_text() == OLD
    assert infra.calls == []


async def test_create_never_replaces_other_stored_proxy_credentials(cli_env: Path, capsys: pytest.CaptureFixture[str], infra: FakeInfra) -> None:
    creds = stored(cli_env / "other", "other", OLD)
    (cli_env / "other.yaml").write_text(proxy_spec("other", "new-password"))

    assert await cli("start", "create-cluster", "-f", "other.yaml") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{creds} holds other proxy credentials" in err[0] and "fix:" in err[0]
    assert "new-password" not in err[0]
    assert creds.read_text() == OLD
    assert infra.calls == []


async def test_started_create_writes_the_proxy_credentials(cli_env: Path, capsys: pytest.CaptureFixture[str], infra: FakeInfra) -> None:
    (cli_env / "fresh.yaml").write_text(proxy_spec("fresh", "fresh-password"))

    assert await cli("start", "create-cluster", "-f", "fresh.yaml") == 0
    assert "started create of fresh" in capsys.readouterr().out
    creds = credentials_path(cli_env / "fresh", "fresh")
    assert json.loads(creds.read_text()) == {"httpProxy": "fresh-password", "httpsProxy": "fresh-password"}
    assert stat.S_IMODE(creds.stat().st_mode) == 0o600
