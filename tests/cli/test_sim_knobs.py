"""``eksa-temporal sim knobs``: shows the running sim's knobs, changes them typed and
validated (the sim then behaves accordingly), refuses unknown keys and bad values with one
line and exit code 2 before anything is sent, and answers ``--output json``."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from eksa_temporal.cli import sim_cmds
from eksa_temporal.cli.main import main
from eksa_temporal.simulator.knobs import KNOB_NAMES, Knobs
from tests.support.sim import EKSA, SimServer, running_sim


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimServer]:
    with running_sim(tmp_path / "sim") as server:
        yield server


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["sim", "knobs", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_knobs_are_shown_as_a_table_and_as_json(sim: SimServer, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--state-dir", str(sim.state_dir))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["KNOB", "VALUE", "DEFAULT", "DESCRIPTION"]
    assert [line.split()[0] for line in lines[1:]] == list(KNOB_NAMES)
    code, out, _ = run(capsys, "--state-dir", str(sim.state_dir), "--output", "json")
    assert code == 0
    assert json.loads(out) == sim.client.knobs().model_dump()


def test_set_changes_typed_values_and_the_sim_applies_them(
    sim: SimServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys, "--state-dir", str(sim.state_dir), "--set", "boot_seconds=2.5",
        "--set", "vsphere_clone=true", "--set", "seed=11", "--set", "api_latency_seconds=0.4", "-o", "json",
    )
    assert code == 0, err
    shown = json.loads(out)
    assert (shown["boot_seconds"], shown["vsphere_clone"], shown["seed"]) == (2.5, True, 11)
    live = sim.client.knobs()
    assert (live.boot_seconds, live.vsphere_clone, live.seed, live.api_latency_seconds) == (2.5, True, 11, 0.4)
    # persisted: a restarted sim keeps them
    assert Knobs.model_validate_json((sim.state_dir / "knobs.json").read_text()).boot_seconds == 2.5
    # the latency knob is live: a virtual-cluster request now takes at least 0.4 s
    kubeconfig = sim.kubeconfig("lat")
    started = time.monotonic()
    subprocess.run(["kubectl", "--kubeconfig", str(kubeconfig), "get", "ns", "-o", "name"],
                   check=True, capture_output=True, timeout=30)
    assert time.monotonic() - started >= 0.4
    code, out, _ = run(capsys, "--state-dir", str(sim.state_dir), "--set", "api_latency_seconds=0")
    assert code == 0
    row = next(line for line in out.splitlines() if line.startswith("api_latency_seconds"))
    assert row.split()[1:3] == ["0.0", "*"]  # the changed knob is marked


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("boot_secs=3", "unknown knob 'boot_secs' (known knobs: seed, boot_seconds,"),
        ("boot_seconds", "expected KEY=VALUE"),
        ("boot_seconds=fast", "invalid value 'fast' for knob boot_seconds"),
        ("machine_failure_rate=1.5", "invalid value '1.5' for knob machine_failure_rate: Input should be less than or equal to 1"),
        ("boot_seconds=-1", "for knob boot_seconds: Input should be greater than or equal to 0"),
        ("vsphere_clone=maybe", "for knob vsphere_clone"),
    ],
)
def test_a_bad_setting_is_one_line_with_exit_code_2_and_changes_nothing(
    setting: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # no sim runs for this state dir: the setting is refused before anything is sent
    code, out, err = run(capsys, "--state-dir", str(tmp_path), "--set", "seed=3", "--set", setting)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("Error: ") and message in err, err


def test_the_admin_api_refuses_an_unknown_knob_naming_the_known_ones(sim: SimServer) -> None:
    from eksa_temporal.simulator.client import SimError

    with pytest.raises(SimError, match=r"HTTP 422: unknown knob 'nope' \(known knobs: seed, ") as err:
        sim.client.set_knobs(nope=1)
    assert err.value.status == 422
    assert sim.client.knobs() == Knobs.model_validate_json((sim.state_dir / "knobs.json").read_text())


def test_without_a_running_sim_the_command_says_how_to_start_one(tmp_path: Path) -> None:
    out = subprocess.run([str(EKSA), "sim", "knobs", "--state-dir", str(tmp_path)],
                         capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 1
    assert out.stderr.strip().startswith("Error: no simulated infrastructure server runs for")
    assert f"eksa-temporal sim serve --state-dir {tmp_path}" in out.stderr


def test_knobs_is_a_sim_subcommand_of_its_own_module_with_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert sim_cmds.SUBCOMMANDS == {"knobs": "eksa_temporal.cli.sim_knobs"}
    code, out, _ = run(capsys, "--help")
    assert code == 0
    assert "Example:" in out and "sim knobs --set boot_seconds=5" in out
