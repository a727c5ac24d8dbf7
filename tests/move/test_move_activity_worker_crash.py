"""The ``capi-management-move`` activity under a real Temporal dev server: the worker
process running it is killed with SIGKILL in the middle of creating objects; a new worker
picks up the retried activity, which resumes from the journal in the target and
completes the move."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from temporalio.worker import Worker

from eksa_temporal.activities.move.models import MoveStepInput, MoveStepResult
from tests.move import support
from tests.move.support import Pair
from tests.move.temporal_harness import MoveTestWorkflow
from tests.support.histories import assert_no_secrets, decoded_history
from tests.support.paths import REPO
from tests.support.temporal import start_dev_server

CLUSTER = "demo"


def start_worker(
    address: str, task_queue: str, log: Path, crash_at: str | None
) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "EKSA_MOVE_CRASH_AT"}
    if crash_at:
        env["EKSA_MOVE_CRASH_AT"] = crash_at
    return subprocess.Popen(
        [sys.executable, "-m", "tests.move.temporal_harness", address, task_queue],
        cwd=REPO,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


async def wait_exit(proc: subprocess.Popen[bytes], timeout: float) -> int | None:
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    return proc.poll()


def test_move_activity_killed_mid_create_resumes_on_a_new_worker(
    pair: Pair, temporal_cli: Path, tmp_path: Path
) -> None:
    support.GraphBuilder(pair.src, pair.namespace).cluster(CLUSTER, machines=3, workers=2)
    before = support.snapshot(pair.src, pair.namespace)
    secrets = support.secret_values(
        pair.sim, pair.src, pair.namespace, pair.src_kubeconfig, pair.dst_kubeconfig
    )
    assert len(secrets) >= 2 * 10 + 3  # 10 Secrets (stored and decoded), 2 tokens, admin token
    inp = MoveStepInput(
        cluster_name=CLUSTER,
        workdir=str(tmp_path),
        capi_namespace=pair.namespace,
        from_kubeconfig=pair.src_kubeconfig,
        to_kubeconfig=pair.dst_kubeconfig,
    )

    async def scenario() -> tuple[MoveStepResult, int | None]:
        env = await start_dev_server(temporal_cli)
        workers: list[subprocess.Popen[bytes]] = []
        try:
            address = env.client.service_client.config.target_host
            queue = f"move-{uuid.uuid4().hex}"
            async with Worker(env.client, task_queue=queue, workflows=[MoveTestWorkflow]):
                workers.append(start_worker(address, queue, tmp_path / "worker1.log", "create:16"))
                handle = await env.client.start_workflow(
                    MoveTestWorkflow.run, inp, id=f"move-test-{uuid.uuid4().hex}", task_queue=queue
                )
                first_exit = await wait_exit(workers[0], 60)
                workers.append(start_worker(address, queue, tmp_path / "worker2.log", None))
                result = await asyncio.wait_for(handle.result(), 90)
                history = await decoded_history(env.client, handle.id)
                # inputs, results, heartbeat details and the killed attempt's failure hold
                # paths and counters only: no Secret data, no token
                assert_no_secrets(history, secrets)
                assert pair.src_kubeconfig in history.text  # the payloads were decoded
                return result, first_exit
        finally:
            for proc in workers:
                support.stop(proc)
            await env.shutdown()

    result, first_exit = asyncio.run(scenario())
    assert first_exit == -9, (tmp_path / "worker1.log").read_text()[-2000:]
    assert result.resumed_from == "creating"
    assert result.objects == len(before)
    assert support.snapshot(pair.dst, pair.namespace) == before
    assert support.snapshot(pair.src, pair.namespace) == {}
    assert support.owner_uids_resolve(pair.dst, pair.namespace) == []
