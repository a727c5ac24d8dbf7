"""Encryption on by configuration for real processes: ``python worker.py`` and the
``eksa-temporal`` CLI with ``EKSA_CODEC_KEYS_FILE`` create a cluster on the sim, the CLI
reads its status, and the stored history is encrypted; a bad key configuration stops the
worker and the CLI with one line naming the fix."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from eksa_temporal.codec import new_key_line
from eksa_temporal.devserver import start_worker
from eksa_temporal.spec import generate_cluster_config
from tests.codec.raw_history import key_ids, raw_history
from tests.support.paths import EKSA
from tests.support.sim import running_sim

pytestmark = pytest.mark.anyio


def eksa(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(EKSA), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=180)


async def test_the_worker_and_the_cli_encrypt_by_configuration(
    temporal_env: WorkflowEnvironment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys_file = tmp_path / "codec-keys"
    keys_file.write_text(new_key_line("k1") + "\n")
    name = f"cli-{uuid.uuid4().hex[:6]}"
    spec = tmp_path / f"{name}.yaml"
    spec.write_text(generate_cluster_config(name, "sim"))
    workdir = tmp_path / "out" / name
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EKSA_CODEC_", "TEMPORAL_"))}
    env.update(
        {
            "TEMPORAL_ADDRESS": temporal_env.client.service_client.config.target_host,
            "EKSA_TEMPORAL_TASK_QUEUE": f"codec-cli-{uuid.uuid4()}",
            "EKSA_TEMPORAL_STATE_DIR": str(tmp_path),
            "EKSA_CODEC_KEYS_FILE": str(keys_file),
        }
    )
    with running_sim(tmp_path / "sim", ("--boot-seconds", "0.2", "--seed", "7")):
        for key, value in env.items():  # start_worker passes the process environment on
            monkeypatch.setenv(key, value)
        for key in set(os.environ) - set(env):
            monkeypatch.delenv(key)
        worker = start_worker(tmp_path, env["TEMPORAL_ADDRESS"], log_path=tmp_path / "worker.log")
        try:
            created = eksa("start", "create-cluster", "-f", str(spec), "--workdir", str(workdir), "--wait", env=env, cwd=tmp_path)
            assert created.returncode == 0, created.stderr + (tmp_path / "worker.log").read_text()
            status = eksa("status", name, env=env, cwd=tmp_path)
            assert status.returncode == 0 and "completed" in status.stdout, status.stderr
        finally:
            worker.stop()
    assert "payloads encrypted with key k1" in (tmp_path / "worker.log").read_text()
    stored, payloads, _ = await raw_history(temporal_env.client, f"eksa/default/{name}")
    assert str(workdir).encode() not in stored and str(tmp_path).encode() not in stored
    assert key_ids(payloads) == {"k1"}


@pytest.mark.parametrize(
    ("command", "codec_env", "line"),
    [
        (["worker"], {"EKSA_CODEC_KEY_ID": "k1"}, "Error: worker not started: EKSA_CODEC_KEY_ID is set without EKSA_CODEC_KEY (fix: "),
        (["status", "demo"], {"EKSA_CODEC_KEYS_FILE": "/nonexistent/codec-keys"}, "Error: cannot read EKSA_CODEC_KEYS_FILE=/nonexistent/codec-keys: "),
    ],
)
def test_a_bad_key_configuration_stops_the_worker_and_the_cli_in_one_line(
    command: list[str], codec_env: dict[str, str], line: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EKSA_CODEC_")}
    env.update(codec_env)
    env["TEMPORAL_ADDRESS"] = "127.0.0.1:1"  # never reached: the keys are checked first
    env["EKSA_TEMPORAL_STATE_DIR"] = str(tmp_path)
    out = eksa(*command, env=env, cwd=tmp_path)
    assert out.returncode == 1
    lines = [text for text in out.stderr.splitlines() if text.startswith("Error:")]
    assert len(lines) == 1 and lines[0].startswith(line), out.stderr
    assert "Traceback" not in out.stderr
