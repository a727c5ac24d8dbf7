"""The worker's Prometheus endpoint, scraped as Prometheus would: ``eksa-temporal worker
--metrics-bind`` as its own process on the session's dev server and a real sim; during a
management create it serves the step series, after it the operation, machine and parked
series documented in docs/operations.md ("Metrics") beside the Temporal runtime's own, and
every series the Grafana dashboard (deploy/grafana/) reads.
A create parked by API faults shows in the parked gauge and its failed attempts, and once
aborted as a failed operation. The parked gauge's visibility query is checked against an
operation parked on a queue no worker polls; a port already taken stops the worker with
one line."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from temporalio.common import MetricMeter, SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import ApplicationError, CancelledError
from temporalio.testing import WorkflowEnvironment

from eksa_temporal import config, metrics
from eksa_temporal.client import LifecycleClient, LifecycleError
from eksa_temporal.devserver import Child, free_port, spawn
from eksa_temporal.errors import InvalidSpec
from eksa_temporal.worker import MAX_CACHED_ENV
from eksa_temporal.workflows.create import CreateClusterWorkflow
from eksa_temporal.workflows.models import CreateClusterInput, CreateClusterResult, Timeouts
from eksa_temporal.workflows.runner import EKSA_CLUSTER, EKSA_OPERATION, EKSA_PHASE, EKSA_PROVIDER
from tests.deploy.manifests import dashboard_metric_names
from tests.support.sim import SimServer

from .test_lifecycle_e2e import E2E, spec

pytestmark = pytest.mark.anyio
EKSA = str(Path(sys.executable).parent / "eksa-temporal")
# retries exhausted quickly: the operation parks within seconds
FAIL_FAST = Timeouts(step_seconds=30, long_step_seconds=60, heartbeat_seconds=10, initial_retry_seconds=0.1, max_retry_seconds=0.2, max_attempts=2)
# a series: name{labels} value  (labels in the exporter's order)
SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>[^}]*)\})? (?P<value>\S+)$")


def scrape(port: int) -> list[tuple[str, dict[str, str], float]]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/plain")
        text = resp.read().decode()
    samples = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, f"not Prometheus text format: {line!r}"
        labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m["labels"] or ""))
        samples.append((m["name"], labels, float(m["value"])))
    return samples


def value(samples: list[tuple[str, dict[str, str], float]], name: str, **labels: str) -> float | None:
    """The sum of ``name``'s samples whose labels include ``labels`` (None: no such series)."""
    found = [v for n, lab, v in samples if n == name and all(lab.get(k) == want for k, want in labels.items())]
    return sum(found) if found else None


@pytest.fixture
def metrics_worker(temporal_env: WorkflowEnvironment, sim: SimServer, tmp_path: Path) -> Iterator[tuple[Child, int, str]]:
    queue = f"metrics-{uuid.uuid4()}"
    port = free_port()
    env = dict(os.environ)
    env.update(
        {
            "TEMPORAL_ADDRESS": temporal_env.client.service_client.config.target_host,
            config.STATE_DIR_ENV: str(tmp_path),  # the sim fixture's state is tmp_path/sim
            config.TASK_QUEUE_ENV: queue,
            # no workflow cache: every workflow task replays the history, and the replay-safe
            # workflow metrics must still count each operation once
            MAX_CACHED_ENV: "0",
            metrics.PARKED_INTERVAL_ENV: "0.5",
        }
    )
    log = tmp_path / "worker.log"
    child = spawn("worker", [EKSA, "worker", "--metrics-bind", f"127.0.0.1:{port}"], log_path=log, env=env)
    try:
        deadline = time.monotonic() + 60
        while "worker polling" not in (log.read_text() if log.exists() else ""):
            assert child.alive(), log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield child, port, queue
    finally:
        assert child.stop(grace=20) == 0, log.read_text()


async def test_the_metrics_endpoint_serves_the_documented_series_during_a_create(
    temporal_env: WorkflowEnvironment, metrics_worker: tuple[Child, int, str], sim: SimServer, tmp_path: Path
) -> None:
    _, port, queue = metrics_worker
    before = scrape(port)
    assert any(n.startswith("temporal_") for n, _, _ in before), "no Temporal runtime metric"
    lc = LifecycleClient(temporal_env.client, queue)
    ref = await lc.start_create(CreateClusterInput(spec_yaml=spec("scraped"), workdir=str(tmp_path / "out" / "scraped"), timeouts=E2E))
    handle = temporal_env.client.get_workflow_handle(ref.workflow_id)

    # during the create: the first steps' attempts are counted while the workflow runs
    during: list[tuple[str, dict[str, str], float]] = []
    deadline = time.monotonic() + 120
    while value(during, metrics.STEP_ATTEMPTS, step="setup-validate", outcome="completed") is None:
        assert time.monotonic() < deadline, "setup-validate never counted"
        await asyncio.sleep(0.2)
        during = scrape(port)
    scraped_at = datetime.now(UTC)
    result = await asyncio.wait_for(lc.wait(ref.workflow_id), 180)
    assert isinstance(result, CreateClusterResult)
    assert value(during, metrics.OPERATIONS_STARTED, operation="create") == 1
    assert value(during, metrics.STEP_ATTEMPTS, step="setup-validate", provider="sim", outcome="completed") == 1
    closed_at = (await handle.describe()).close_time
    assert closed_at is not None and closed_at > scraped_at  # scraped during the create

    after: list[tuple[str, dict[str, str], float]] = []
    deadline = time.monotonic() + 60
    while value(after, metrics.OPERATIONS_FINISHED, operation="create", outcome="completed") is None:
        assert time.monotonic() < deadline, "the finished create never counted"
        await asyncio.sleep(0.3)
        after = scrape(port)
    assert value(after, metrics.OPERATIONS_STARTED, operation="create") == 1
    assert value(after, metrics.OPERATIONS_FINISHED, operation="create", outcome="completed") == 1
    assert value(after, metrics.OPERATIONS_FINISHED, outcome="failed") is None
    assert value(after, f"{metrics.OPERATION_DURATION}_count", operation="create", outcome="completed") == 1
    assert (value(after, f"{metrics.OPERATION_DURATION}_sum", operation="create") or 0) > 0
    for step in ("setup-validate", "bootstrap-cluster-init", "workload-cluster-init", "capi-management-move", "delete-kind-cluster"):
        assert value(after, metrics.STEP_ATTEMPTS, step=step, provider="sim", outcome="completed") == 1, step
        assert value(after, f"{metrics.STEP_DURATION}_count", step=step, outcome="completed") == 1, step
    # the configured buckets: a long step's duration lands below the 1 h bucket
    assert value(after, f"{metrics.STEP_DURATION}_bucket", step="workload-cluster-init", le="3600") == 1
    assert value(after, metrics.MACHINES_PROVISIONED, provider="sim") == 2  # 1 control plane + 1 worker
    # the parked gauge is published (0: nothing waits for an operator)
    deadline = time.monotonic() + 30
    while value(after, metrics.OPERATIONS_PARKED, operation="create") is None:
        assert time.monotonic() < deadline, "eksa_operations_parked never published"
        await asyncio.sleep(0.5)
        after = scrape(port)
    assert value(after, metrics.OPERATIONS_PARKED, operation="create", task_queue=queue) == 0
    # the runtime's own series, as Temporal's dashboards expect them
    for name in ("temporal_workflow_completed", "temporal_activity_execution_latency_count", "temporal_worker_task_slots_available"):
        assert value(after, name) is not None, name
    # every series the Grafana dashboard reads is served
    assert dashboard_metric_names() - {n for n, _, _ in after} == set()


async def test_a_parked_then_aborted_create_shows_as_parked_errors_and_a_failure(
    temporal_env: WorkflowEnvironment, metrics_worker: tuple[Child, int, str], sim: SimServer, tmp_path: Path
) -> None:
    _, port, queue = metrics_worker
    sim.client.set_knobs(api_error_rate=1.0)
    lc = LifecycleClient(temporal_env.client, queue)
    ref = await lc.start_create(CreateClusterInput(spec_yaml=spec("parks"), workdir=str(tmp_path / "out" / "parks"), timeouts=FAIL_FAST))
    samples: list[tuple[str, dict[str, str], float]] = []
    deadline = time.monotonic() + 90
    while value(samples, metrics.OPERATIONS_PARKED, operation="create") != 1:
        assert time.monotonic() < deadline, "the parked create never showed in eksa_operations_parked"
        await asyncio.sleep(0.3)
        samples = scrape(port)
    assert (await lc.status(ref.workflow_id, with_progress=False)).state == "awaiting-operator"
    errors = value(samples, metrics.STEP_ATTEMPTS, outcome="error")
    assert errors is not None and errors >= FAIL_FAST.max_attempts  # each retried attempt counted
    sim.client.set_knobs(api_error_rate=0.0)
    await lc.abort(ref.workflow_id, "metrics test")
    with pytest.raises(LifecycleError, match="aborted by the operator"):
        await asyncio.wait_for(lc.wait(ref.workflow_id), 120)
    deadline = time.monotonic() + 60
    while value(samples, metrics.OPERATIONS_FINISHED, operation="create", outcome="failed") != 1 or value(
        samples, metrics.OPERATIONS_PARKED, operation="create"
    ):
        assert time.monotonic() < deadline, "the aborted create never counted as failed and unparked"
        await asyncio.sleep(0.3)
        samples = scrape(port)
    assert value(samples, metrics.OPERATIONS_FINISHED, outcome="completed") is None
    assert value(samples, f"{metrics.OPERATION_DURATION}_count", operation="create", outcome="failed") == 1


async def test_the_parked_gauge_counts_operations_awaiting_an_operator(temporal_env: WorkflowEnvironment) -> None:
    queue = f"parked-{uuid.uuid4()}"  # no worker polls it: the operation stays as started
    gauge = metrics.ParkedGauge(temporal_env.client, MetricMeter.noop, queue)
    assert await gauge.update() == {"create": 0, "delete": 0, "upgrade": 0}
    handle = await temporal_env.client.start_workflow(
        CreateClusterWorkflow.run,
        CreateClusterInput(spec_yaml=spec("parked"), workdir="/nonexistent/parked"),
        id=f"eksa/default/parked-{uuid.uuid4().hex[:8]}",
        task_queue=queue,
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(EKSA_CLUSTER, "parked"),
                SearchAttributePair(EKSA_OPERATION, "create"),
                SearchAttributePair(EKSA_PROVIDER, "sim"),
                SearchAttributePair(EKSA_PHASE, "awaiting-operator"),
            ]
        ),
    )
    try:
        deadline = time.monotonic() + 30
        while (counts := await gauge.update())["create"] != 1:
            assert time.monotonic() < deadline, counts
            await asyncio.sleep(0.3)
        assert counts == {"create": 1, "delete": 0, "upgrade": 0}
        # another queue's parked operation is not this worker's
        other = metrics.ParkedGauge(temporal_env.client, MetricMeter.noop, f"other-{uuid.uuid4()}")
        assert (await other.update())["create"] == 0
    finally:
        await handle.terminate("test over")


def test_a_taken_metrics_port_stops_the_worker_with_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = dict(os.environ, TEMPORAL_ADDRESS="127.0.0.1:1", EKSA_TEMPORAL_STATE_DIR=str(tmp_path))
        out = subprocess.run(
            [EKSA, "worker", "--metrics-bind", f"127.0.0.1:{port}"], capture_output=True, text=True, env=env, timeout=60
        )
    assert out.returncode == 1
    lines = [line for line in out.stderr.splitlines() if line.startswith("Error:")]
    assert lines == [lines[0]] and f"cannot serve metrics on 127.0.0.1:{port}" in lines[0], out.stderr
    assert "fix:" in lines[0]
    bad = subprocess.run([EKSA, "worker", "--metrics-bind", "nine-four-six-four"], capture_output=True, text=True, env=env, timeout=60)
    assert bad.returncode == 1 and "is not host:port" in bad.stderr, bad.stderr


def test_a_step_attempt_is_classified_by_what_its_error_means() -> None:
    assert metrics.step_outcome(None) == "completed"
    assert metrics.step_outcome(InvalidSpec("bad field")) == "permanent-error"
    assert metrics.step_outcome(ApplicationError("no", type="BadCredentials")) == "permanent-error"
    assert metrics.step_outcome(ApplicationError("gone", non_retryable=True)) == "permanent-error"
    assert metrics.step_outcome(ApplicationError("vCenter busy")) == "error"
    assert metrics.step_outcome(ConnectionResetError()) == "error"
    assert metrics.step_outcome(CancelledError("cancel")) == "cancelled"
    assert metrics.step_outcome(asyncio.CancelledError()) == "cancelled"
