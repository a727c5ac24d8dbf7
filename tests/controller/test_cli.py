"""``eksa-temporal controller`` as a process: it takes the Lease under its identity, SIGTERM
stops it with exit 0 and releases the Lease; a second process waits as a standby and takes
over when the first is killed with SIGKILL, once the Lease expired."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from eksa_temporal.controller.names import LEASE_API, LEASE_NAME, LEASE_NAMESPACE
from tests.controller.conftest import Mgmt
from tests.support.paths import EKSA

pytestmark = pytest.mark.anyio


def holder(mgmt: Mgmt) -> str | None:
    lease = mgmt.kube.get(LEASE_API, "Lease", LEASE_NAME, LEASE_NAMESPACE)
    return None if lease is None else (lease.get("spec") or {}).get("holderIdentity")


def wait_until(what: str, probe: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = probe()
        if got:
            return got
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def start(mgmt: Mgmt, temporal_env: WorkflowEnvironment, tmp_path: Path) -> Iterator[Callable[[str], subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    env = {**os.environ, "TEMPORAL_ADDRESS": temporal_env.client.service_client.config.target_host}

    def run(identity: str) -> subprocess.Popen[bytes]:
        log = open(tmp_path / f"{identity}.log", "wb")  # noqa: SIM115 - owned by the child
        proc = subprocess.Popen(
            [str(EKSA), "controller", "--kubeconfig", str(mgmt.kubeconfig), "--workdir", str(tmp_path),
             "--identity", identity, "--lease-seconds", "2", "--namespace", "none-here"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True,
        )
        log.close()
        procs.append(proc)
        return proc

    yield run
    for proc in procs:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


async def test_the_controller_holds_the_lease_and_releases_it_on_sigterm(mgmt: Mgmt, start: Callable[[str], subprocess.Popen[bytes]]) -> None:
    proc = start("first")
    wait_until("the lease held by first", lambda: holder(mgmt) == "first")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0
    assert holder(mgmt) == ""


async def test_a_standby_takes_over_after_the_holder_is_killed(mgmt: Mgmt, start: Callable[[str], subprocess.Popen[bytes]]) -> None:
    first = start("holder")
    wait_until("the lease held", lambda: holder(mgmt) == "holder")
    standby = start("standby")
    time.sleep(3)  # longer than the lease: the holder renews, the standby waits
    assert holder(mgmt) == "holder"
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    killed_at = time.monotonic()
    wait_until("the standby holding the lease", lambda: holder(mgmt) == "standby", timeout=20)
    assert time.monotonic() - killed_at < 10
    standby.send_signal(signal.SIGTERM)
    assert standby.wait(timeout=20) == 0


def test_bad_timeouts_are_one_line_and_exit_2(mgmt: Mgmt, capsys: pytest.CaptureFixture[str]) -> None:
    from eksa_temporal.cli.main import main

    code = main(["controller", "--kubeconfig", str(mgmt.kubeconfig), "--timeouts", '{"max_attempts": 0}'])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["Error: --timeouts: max_attempts: Input should be greater than or equal to 1 (fix: pass a JSON object of the Timeouts fields)"]


def test_an_unusable_kubeconfig_is_one_line_before_temporal_is_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from eksa_temporal.cli.main import main

    monkeypatch.setenv("TEMPORAL_ADDRESS", "127.0.0.1:1")  # nothing listens: asked first, this would be the error
    bad = tmp_path / "mgmt.kubeconfig"
    bad.write_text("apiVersion: v1\nkind: Config\nclusters: [\n")
    assert main(["controller", "--kubeconfig", str(bad)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"Error: cannot use the kubeconfig {bad}: "), err
    assert err[0].endswith("(fix: pass the management cluster's kubeconfig)")
