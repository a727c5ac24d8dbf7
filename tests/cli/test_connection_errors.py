"""Every CLI command that talks to Temporal reports an unreachable server, a missing
namespace or unregistered search attributes in one line (what failed, what to do), exit 1,
without a traceback or the transport library's internals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from eksa_temporal.devserver import TemporalDevServer, free_port
from eksa_temporal.spec import generate_cluster_config

EKSA = str(Path(sys.executable).parent / "eksa-temporal")
INTERNALS = ("grpc", "tonic", "transport error", "Traceback", "RuntimeError", "RPCError")


@pytest.fixture
def spec_file(tmp_path: Path) -> Path:
    path = tmp_path / "demo.yaml"
    path.write_text(generate_cluster_config("demo", "sim"))
    return path


def _commands(spec: Path, workdir: Path) -> list[list[str]]:
    return [
        ["list"],
        ["status", "demo"],
        ["watch", "demo"],
        ["cancel", "demo"],
        ["retry", "demo"],
        ["abort", "demo"],
        ["start", "create-cluster", "-f", str(spec), "--workdir", str(workdir)],
        ["start", "upgrade-cluster", "-f", str(spec), "--workdir", str(workdir)],
        ["start", "delete-cluster", "-f", str(spec), "--workdir", str(workdir)],
    ]


COMMAND_TIMEOUT = 120.0  # seconds each command may take


def _run_all(commands: list[list[str]], env: dict[str, str], cwd: Path) -> list[tuple[list[str], int, str]]:
    """Run the commands concurrently (each one imports the CLI: seconds on a loaded machine).
    Whatever happens - a command timing out, a start failing - every process started here
    is killed (by its PID) and reaped before this returns or raises."""
    procs: list[tuple[list[str], subprocess.Popen[str]]] = []
    try:
        for cmd in commands:
            procs.append(
                (cmd, subprocess.Popen([EKSA, *cmd], env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
            )
        out = []
        for cmd, proc in procs:
            _, err = proc.communicate(timeout=COMMAND_TIMEOUT)
            out.append((cmd, proc.returncode, err))
        return out
    finally:
        for _, proc in procs:
            if proc.poll() is None:
                proc.kill()
        for _, proc in procs:
            proc.communicate(timeout=30)  # reaps it and closes its pipes


def test_a_timed_out_command_leaves_no_command_running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[subprocess.Popen[str]] = []
    real_popen = subprocess.Popen

    def recording(*args: Any, **kwargs: Any) -> subprocess.Popen[str]:
        proc: subprocess.Popen[str] = real_popen(*args, **kwargs)
        started.append(proc)
        return proc

    monkeypatch.setattr(sys.modules[__name__], "EKSA", sys.executable)
    monkeypatch.setattr(sys.modules[__name__], "COMMAND_TIMEOUT", 0.5)
    monkeypatch.setattr(subprocess, "Popen", recording)
    sleeper = ["-c", "import time; time.sleep(60)"]
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            _run_all([sleeper, sleeper, sleeper], dict(os.environ), tmp_path)
        assert len(started) == 3
        assert [proc.poll() for proc in started] == [-signal.SIGKILL] * 3
    finally:
        for proc in started:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=30)


def _assert_one_line(cmd: list[str], code: int, stderr: str, expected: str) -> None:
    lines = stderr.strip().splitlines()
    assert code == 1, f"{cmd}: exit {code}: {stderr}"
    assert len(lines) == 1, f"{cmd}: {stderr}"
    assert expected in lines[0], f"{cmd}: {lines[0]}"
    for word in INTERNALS:
        assert word.lower() not in stderr.lower(), f"{cmd}: {stderr}"


def test_every_connecting_command_reports_an_unreachable_server_in_one_line(spec_file: Path, tmp_path: Path) -> None:
    address = f"127.0.0.1:{free_port()}"  # nothing listens there
    env = dict(os.environ, TEMPORAL_ADDRESS=address)
    results = _run_all(_commands(spec_file, tmp_path / "out"), env, tmp_path)
    for cmd, code, err in results:
        _assert_one_line(cmd, code, err, f"cannot reach Temporal at {address} (fix: run eksa-temporal dev, or set TEMPORAL_ADDRESS)")


def test_the_worker_reports_an_unreachable_server_in_one_line(tmp_path: Path) -> None:
    address = f"127.0.0.1:{free_port()}"
    env = dict(os.environ, TEMPORAL_ADDRESS=address, EKSA_TEMPORAL_STATE_DIR=str(tmp_path))
    [(cmd, code, err)] = _run_all([["worker"]], env, tmp_path)
    _assert_one_line(cmd, code, err, f"cannot reach Temporal at {address}")


@pytest.fixture(scope="module")
def bare_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TemporalDevServer]:
    """A Temporal dev server without the Eksa* search attributes."""
    server = TemporalDevServer(tmp_path_factory.mktemp("bare"), port=free_port(), ui_port=None, search_attributes=())
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_a_missing_namespace_is_one_line(bare_server: TemporalDevServer, spec_file: Path, tmp_path: Path) -> None:
    env = dict(os.environ, TEMPORAL_ADDRESS=bare_server.address, TEMPORAL_NAMESPACE="no-such-namespace")
    commands = [["list"], ["status", "demo"], ["start", "create-cluster", "-f", str(spec_file), "--workdir", str(tmp_path / "out")]]
    for cmd, code, err in _run_all(commands, env, tmp_path):
        _assert_one_line(cmd, code, err, f"namespace no-such-namespace does not exist on Temporal at {bare_server.address}")


def test_unregistered_search_attributes_are_one_line(bare_server: TemporalDevServer, spec_file: Path, tmp_path: Path) -> None:
    env = dict(os.environ, TEMPORAL_ADDRESS=bare_server.address)
    env.pop("TEMPORAL_NAMESPACE", None)
    commands = [["list"], ["start", "create-cluster", "-f", str(spec_file), "--workdir", str(tmp_path / "out")]]
    for cmd, code, err in _run_all(commands, env, tmp_path):
        _assert_one_line(cmd, code, err, "the search attributes EksaCluster, EksaOperation, EksaProvider, EksaPhase are not registered")


def test_an_invalid_address_is_one_line(tmp_path: Path) -> None:
    env = dict(os.environ, TEMPORAL_ADDRESS="127.0.0.1:not-a-port")
    [(cmd, code, err)] = _run_all([["list"]], env, tmp_path)
    _assert_one_line(cmd, code, err, "the Temporal address 127.0.0.1:not-a-port is not valid (fix: set TEMPORAL_ADDRESS")


def test_an_unexpected_error_is_still_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from eksa_temporal.cli.main import main
    from eksa_temporal.client import LifecycleClient

    async def broken(*_: object, **__: object) -> LifecycleClient:
        raise KeyError("target_host")

    monkeypatch.setattr(LifecycleClient, "connect", broken)
    assert main(["list"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["Error: unexpected KeyError: 'target_host' (run with -v for details)"]
