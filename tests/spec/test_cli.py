"""The ``validate`` and ``generate clusterconfig`` commands: exit codes, text and JSON
output, stdin, and the real console script run many times."""

from __future__ import annotations

import json
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner

from eksa_temporal.cli.main import cli, main
from eksa_temporal.spec import generate_cluster_config
from tests.support.paths import BIN

SCRIPT = BIN / "eksa-temporal"


def _run(args: list[str], stdin: str | None = None) -> tuple[int, str]:
    runner = CliRunner()
    result = runner.invoke(cli, args, input=stdin, standalone_mode=False)
    code = result.return_value if isinstance(result.return_value, int) else result.exit_code
    return code, result.output


def test_valid_spec_prints_a_check_mark_and_exits_0(tmp_path: Path) -> None:
    path = tmp_path / "demo.yaml"
    path.write_text(generate_cluster_config("demo", "sim"))
    code, out = _run(["validate", "-f", str(path)])
    assert code == 0
    assert out.strip() == "✅ spec valid: cluster demo (sim)"


def test_invalid_spec_prints_one_line_per_finding_and_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(generate_cluster_config("demo", "sim").replace("count: 1\n", "count: 2\n", 1))
    code, out = _run(["validate", "-f", str(path)])
    assert code == 1
    lines = out.strip().splitlines()
    assert lines[0].startswith("❌ spec.controlPlaneConfiguration.count: ")
    assert "fix: " in lines[0]
    assert lines[-1].startswith("❌ spec invalid: 1 error")


def test_json_output_for_machines() -> None:
    code, out = _run(["validate", "-f", "-", "--output", "json"], stdin="}test")
    assert code == 1
    data = json.loads(out)
    assert data["valid"] is False
    assert data["findings"][0]["path"] == "line 1"
    code, out = _run(
        ["validate", "-f", "-", "-o", "json"], stdin=generate_cluster_config("dd", "docker")
    )
    assert code == 0 and json.loads(out) == {"valid": True, "findings": []}


def test_unreadable_file_and_usage_errors_exit_2(capsys: object) -> None:
    assert main(["validate", "-f", "/nonexistent/spec.yaml"]) == 2
    assert main(["validate"]) == 2
    assert main(["generate", "clusterconfig", "demo", "-p", "mars"]) == 2


def test_generate_refuses_an_invalid_cluster_name() -> None:
    assert main(["generate", "clusterconfig", "9lives", "-p", "sim"]) == 2


def test_generate_prints_a_spec_that_validates(tmp_path: Path) -> None:
    code, out = _run(["generate", "clusterconfig", "demo", "-p", "vsphere"])
    assert code == 0
    assert out == generate_cluster_config("demo", "vsphere")


def _pipeline(index: int) -> int:
    """Invocation ``index`` of 30: every third starts a generate | validate pair (two
    processes), the others run ``--version``; 20 + 2 x 5 = 30 runs of the script."""
    if index % 3 != 0:
        done = subprocess.run(
            [str(SCRIPT), "--version"], capture_output=True, timeout=60, check=False
        )
        assert b"eksa-temporal" in done.stdout
        return done.returncode
    gen = subprocess.run(
        [str(SCRIPT), "generate", "clusterconfig", "demo", "-p", "sim"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    if gen.returncode != 0:
        return gen.returncode
    val = subprocess.run(
        [str(SCRIPT), "validate", "-f", "-"],
        input=gen.stdout,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert "✅ spec valid: cluster demo (sim)" in val.stdout.decode(), val.stdout + val.stderr
    return val.returncode


@pytest.mark.slow
def test_console_script_exits_0_thirty_times(capsys: pytest.CaptureFixture[str]) -> None:
    assert SCRIPT.exists(), f"{SCRIPT} is not installed (pip install -e .)"
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=3) as pool:
        codes = list(pool.map(_pipeline, range(25)))
    elapsed = time.monotonic() - started
    with capsys.disabled():
        print(f"\n30 console-script runs: all exit 0 = {codes == [0] * 25}, {elapsed:.1f} s")
    assert codes == [0] * 25
