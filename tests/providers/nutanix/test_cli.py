"""The Nutanix provider through the CLI: ``generate clusterconfig -p nutanix`` writes a spec
that validates, and ``preflight -f`` against the Prism Central emulator exits 0 when
everything is found, 1 with every finding printed together (path, message, fix) when the
password is wrong or the spec names what Prism Central lacks, and 2 on a usage error;
the password is printed nowhere."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from eksa_temporal.cli.main import main
from tests.providers.nutanix.emulator import PrismCentral, prism_central, standard_inventory
from tests.providers.nutanix.specs import Docs, spec_documents, spec_text

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def pc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrismCentral]:
    with prism_central(tmp_path_factory.mktemp("prism-cli")) as server:
        standard_inventory(server)
        yield server


def test_generate_clusterconfig_writes_a_valid_nutanix_spec(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["generate", "clusterconfig", "-p", "nutanix", "nx"]) == 0
    text = capsys.readouterr().out
    kinds = [d["kind"] for d in yaml.safe_load_all(text)]
    assert kinds == [
        "Cluster",
        "NutanixDatacenterConfig",
        "NutanixMachineConfig",
        "NutanixMachineConfig",
    ]
    path = tmp_path / "nx.yaml"
    path.write_text(text)
    assert main(["validate", "-f", str(path)]) == 0


def test_preflight_exit_codes_and_findings(
    pc: PrismCentral,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EKSA_NUTANIX_USERNAME", pc.username)
    monkeypatch.setenv("EKSA_NUTANIX_PASSWORD", pc.password)
    good = tmp_path / "good.yaml"
    good.write_text(spec_text(spec_documents(pc)))
    assert main(["preflight", "-f", str(good)]) == 0, capsys.readouterr()
    capsys.readouterr()

    docs: Docs = spec_documents(pc)
    docs[2]["spec"]["subnet"]["name"] = "no-such-subnet"
    docs[3]["spec"]["image"]["name"] = "no-such-image-kube-v1-31"
    bad = tmp_path / "bad.yaml"
    bad.write_text(spec_text(docs))
    assert main(["preflight", "-f", str(bad)]) == 1
    out = capsys.readouterr()
    printed = out.out + out.err
    assert "NutanixMachineConfig/nx-cp: spec.subnet" in printed
    assert "NutanixMachineConfig/nx-md-0: spec.image" in printed
    assert "fix:" in printed or "remediation" in printed.lower()

    wrong = secrets.token_urlsafe(12)
    monkeypatch.setenv("EKSA_NUTANIX_PASSWORD", wrong)
    assert main(["preflight", "-f", str(good)]) == 1
    out = capsys.readouterr()
    assert "EKSA_NUTANIX_PASSWORD" in out.out + out.err
    assert wrong not in out.out + out.err and pc.password not in printed

    assert main(["preflight", "-f", str(tmp_path / "missing.yaml")]) == 2
