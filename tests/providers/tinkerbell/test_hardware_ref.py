"""The hardware CSV as an operation carries it: a path and the sha256 it had when the
operation started (``read_hardware``), the ``-z/--hardware-csv`` option of ``start`` and
``preflight`` (a CSV with findings or a Tinkerbell spec without one is refused before
anything starts), and the step input's reference reaching the loaded spec."""

from __future__ import annotations

from pathlib import Path

import pytest

from eksa_temporal.activities.common import load_spec
from eksa_temporal.activities.models import ClusterStepInput
from eksa_temporal.cli.main import main
from eksa_temporal.providers.registry import load_spec_plugins
from eksa_temporal.providers.tinkerbell.hardware import csv_sha256, read_hardware
from eksa_temporal.spec import generate_cluster_config
from eksa_temporal.spec.clusterspec import HardwareCsvRef
from tests.providers.tinkerbell.test_hardware import PASSWORD, csv_text, with_cell


def bm_spec() -> str:
    load_spec_plugins()
    return generate_cluster_config("bm", "tinkerbell")


def _csv(tmp_path: Path, text: str | None = None) -> Path:
    path = tmp_path / "hardware.csv"
    path.write_text(csv_text() if text is None else text)
    return path


def test_read_hardware_reads_the_file_it_was_given(tmp_path: Path) -> None:
    path = _csv(tmp_path)
    machines, findings = read_hardware(HardwareCsvRef(path=str(path), sha256=csv_sha256(path)))
    assert findings == []
    assert [m.hostname for m in machines] == ["cp-1", "worker-1", "spare-1"]


def test_no_csv_names_the_option(tmp_path: Path) -> None:
    machines, findings = read_hardware(None)
    assert machines == [] and len(findings) == 1
    assert "-z/--hardware-csv" in findings[0].line()


def test_a_csv_changed_since_the_start_is_refused(tmp_path: Path) -> None:
    path = _csv(tmp_path)
    ref = HardwareCsvRef(path=str(path), sha256=csv_sha256(path))
    path.write_text(csv_text(with_cell(2, "hostname", "cp-9")))
    machines, findings = read_hardware(ref)
    assert machines == [] and len(findings) == 1
    assert "changed since the operation started" in findings[0].message


def test_a_missing_csv_is_one_finding(tmp_path: Path) -> None:
    machines, findings = read_hardware(HardwareCsvRef(path=str(tmp_path / "gone.csv"), sha256=""))
    assert machines == [] and "cannot read" in findings[0].message


def test_start_refuses_a_tinkerbell_spec_without_a_csv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "bm.yaml"
    spec.write_text(bm_spec())
    code = main(["start", "create-cluster", "-f", str(spec)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().splitlines() == [
        "Error: the Tinkerbell provider needs the hardware CSV (fix: pass -z/--hardware-csv hardware.csv)"
    ]
    assert not (tmp_path / "bm").exists()  # nothing was written


def test_start_lists_the_csv_findings_and_starts_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "bm.yaml"
    spec.write_text(bm_spec())
    bad = _csv(tmp_path, csv_text(with_cell(3, "mac", "not-a-mac")))
    code = main(["start", "create-cluster", "-f", str(spec), "-z", str(bad)])
    err = capsys.readouterr().err
    assert code == 1
    assert "row 3" in err and "mac" in err
    assert "nothing was started" in err
    assert PASSWORD not in err


def test_preflight_reports_the_csv_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "bm.yaml"
    spec.write_text(bm_spec())
    bad = _csv(tmp_path, csv_text(with_cell(2, "ip_address", "10.0.0.300")))
    code = main(["preflight", "-f", str(spec), "-z", str(bad), "--skip-ip-check"])
    out = capsys.readouterr()
    assert code == 1
    assert "row 2" in out.err and "ip_address" in out.err
    assert PASSWORD not in out.out + out.err


def test_the_step_input_reference_reaches_the_loaded_spec(tmp_path: Path) -> None:
    path = _csv(tmp_path)
    text = bm_spec()
    inp = ClusterStepInput(
        cluster_name="bm",
        provider="tinkerbell",
        spec_yaml=text,
        workdir=str(tmp_path / "bm"),
        hardware_csv=str(path),
        hardware_csv_sha256=csv_sha256(path),
    )
    spec = load_spec(inp)
    assert spec.hardware_csv == HardwareCsvRef(path=str(path), sha256=csv_sha256(path))
    assert str(path) not in spec.to_yaml() and "sha256" not in spec.to_yaml()
    assert PASSWORD not in inp.model_dump_json()
