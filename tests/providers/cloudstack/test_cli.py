"""The CLI with the CloudStack provider, as a user runs it: ``generate clusterconfig -p
cloudstack`` prints a spec that validates; ``preflight -f`` against the API emulator exits
0 when every check passes, 1 with every finding printed together (path, message, fix) -
bad keys, a missing template and offering - and 2 on a usage error; the keys are never
printed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from eksa_temporal.cli.main import main
from eksa_temporal.providers.cloudstack.credentials import SECRET_ENV
from tests.providers.cloudstack.emulator import CloudStackServer, cloudstack_api
from tests.providers.cloudstack.fixtures import Docs, credentials_env, spec_text

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def server() -> Iterator[CloudStackServer]:
    with cloudstack_api("127.0.13.5") as srv:
        yield srv


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., tuple[int, str, str]]:
    def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
        for key, value in (env or {}).items():
            monkeypatch.setenv(key, value)
        code = main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def generated(cli: Callable[..., tuple[int, str, str]], tmp_path: Path, server: CloudStackServer, mutate: Callable[[Docs], None] | None = None) -> Path:
    code, out, err = cli("generate", "clusterconfig", "cs1", "-p", "cloudstack")
    assert code == 0, err
    docs = list(yaml.safe_load_all(out))
    assert [d["kind"] for d in docs] == ["Cluster", "CloudStackDatacenterConfig", "CloudStackMachineConfig", "CloudStackMachineConfig"]
    docs[0]["spec"]["controlPlaneConfiguration"]["endpoint"]["host"] = "127.0.13.202"
    docs[1]["spec"]["availabilityZones"][0]["managementApiEndpoint"] = server.url
    if mutate is not None:
        mutate(docs)
    path = tmp_path / "cs1.yaml"
    path.write_text(spec_text(docs))
    return path


def test_generate_and_preflight_pass_with_exit_0(cli: Callable[..., tuple[int, str, str]], tmp_path: Path, server: CloudStackServer) -> None:
    code, out, err = cli("preflight", "-f", str(generated(cli, tmp_path, server)), env=credentials_env(server))
    assert code == 0, out + err
    assert "all checks passed" in out


def test_preflight_prints_every_finding_and_exits_1(cli: Callable[..., tuple[int, str, str]], tmp_path: Path, server: CloudStackServer) -> None:
    def broken(docs: Docs) -> None:
        docs[2]["spec"]["template"] = {"name": "no-such-template"}
        docs[3]["spec"]["computeOffering"] = {"name": "no-such-offering"}

    code, out, err = cli("preflight", "-f", str(generated(cli, tmp_path, server, broken)), env=credentials_env(server))
    assert code == 1, out + err
    assert "CloudStackMachineConfig/cs1-cp.spec.template.name" in err
    assert "CloudStackMachineConfig/cs1-md-0.spec.computeOffering.name" in err
    assert err.count("(fix: ") >= 2

    wrong = credentials_env(server, **{"secret-key": "wrong-secret-key-value"})
    code, out, err = cli("preflight", "-f", str(generated(cli, tmp_path, server)), env=wrong)
    assert code == 1 and "cannot log in" in err
    assert "wrong-secret-key-value" not in out + err and wrong[SECRET_ENV] not in out + err

    code, out, err = cli("preflight", "-f", str(generated(cli, tmp_path, server)), env={SECRET_ENV: ""})
    assert code == 1 and SECRET_ENV in err


def test_preflight_usage_errors_exit_2(cli: Callable[..., tuple[int, str, str]], tmp_path: Path) -> None:
    code, _, err = cli("preflight", "-f", str(tmp_path / "missing.yaml"))
    assert code == 2 and "does not exist" in err
