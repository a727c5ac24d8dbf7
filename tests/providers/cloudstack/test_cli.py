"""The CLI with the CloudStack provider, as a user runs it: ``generate clusterconfig -p
cloudstack`` prints a spec that validates; ``preflight -f`` against the API emulator exits
0 when every check passes, 1 with every finding printed together (path, message, fix) -
bad keys, a missing template and offering - and 2 on a usage error; the keys are never
printed."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from eksa_temporal.providers.cloudstack.credentials import SECRET_ENV
from tests.providers.cloudstack.emulator import CloudStackServer, cloudstack_api
from tests.providers.cloudstack.fixtures import credentials_env, spec_text

pytestmark = pytest.mark.timeout(120)
CLI = [sys.executable, "-m", "eksa_temporal.cli.main"]


@pytest.fixture(scope="module")
def server() -> Iterator[CloudStackServer]:
    with cloudstack_api("127.0.13.5") as srv:
        yield srv


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=60, env={**os.environ, **(env or {})}, check=False)


def generated(tmp_path: Path, server: CloudStackServer, mutate: object = None) -> Path:
    out = cli("generate", "clusterconfig", "cs1", "-p", "cloudstack")
    assert out.returncode == 0, out.stderr
    docs = list(yaml.safe_load_all(out.stdout))
    assert [d["kind"] for d in docs] == ["Cluster", "CloudStackDatacenterConfig", "CloudStackMachineConfig", "CloudStackMachineConfig"]
    docs[0]["spec"]["controlPlaneConfiguration"]["endpoint"]["host"] = "127.0.13.202"
    docs[1]["spec"]["availabilityZones"][0]["managementApiEndpoint"] = server.url
    if callable(mutate):
        mutate(docs)
    path = tmp_path / "cs1.yaml"
    path.write_text(spec_text(docs))
    return path


def test_generate_and_preflight_pass_with_exit_0(tmp_path: Path, server: CloudStackServer) -> None:
    env = credentials_env(server)
    out = cli("preflight", "-f", str(generated(tmp_path, server)), env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "all checks passed" in out.stdout


def test_preflight_prints_every_finding_and_exits_1(tmp_path: Path, server: CloudStackServer) -> None:
    def broken(docs: list[dict[str, object]]) -> None:
        docs[2]["spec"]["template"] = {"name": "no-such-template"}  # type: ignore[index]
        docs[3]["spec"]["computeOffering"] = {"name": "no-such-offering"}  # type: ignore[index]

    env = credentials_env(server)
    out = cli("preflight", "-f", str(generated(tmp_path, server, broken)), env=env)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "CloudStackMachineConfig/cs1-cp.spec.template.name" in out.stderr
    assert "CloudStackMachineConfig/cs1-md-0.spec.computeOffering.name" in out.stderr
    assert out.stderr.count("(fix: ") >= 2

    wrong = credentials_env(server, **{"secret-key": "wrong-secret-key-value"})
    out = cli("preflight", "-f", str(generated(tmp_path, server)), env=wrong)
    assert out.returncode == 1 and "cannot log in" in out.stderr
    secret_b64 = wrong[SECRET_ENV]
    assert "wrong-secret-key-value" not in out.stdout + out.stderr and secret_b64 not in out.stdout + out.stderr

    out = cli("preflight", "-f", str(generated(tmp_path, server)), env={SECRET_ENV: ""})
    assert out.returncode == 1 and SECRET_ENV in out.stderr


def test_preflight_usage_errors_exit_2(tmp_path: Path) -> None:
    assert cli("preflight", "-f", str(tmp_path / "missing.yaml")).returncode == 2
