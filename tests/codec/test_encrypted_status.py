"""``LifecycleClient.status`` and ``last_operation`` with encryption on: the running step's
last failure and heartbeat and the memo are stored encrypted (the server's description
holds none of them in clear), and the client shows them decoded, as without encryption."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from eksa_temporal.client import LifecycleClient
from eksa_temporal.codec import data_converter, is_encrypted, new_key_line, parse_keys_file
from eksa_temporal.spec.digest import spec_text_digest
from eksa_temporal.worker import build_worker
from eksa_temporal.workflows.models import CreateClusterInput, Timeouts
from tests.workflows.fakes import FakeInfra, spec_yaml

pytestmark = pytest.mark.anyio
FAST = Timeouts(initial_retry_seconds=0.1, max_retry_seconds=0.2, heartbeat_seconds=10)


async def test_status_decodes_the_pending_steps_failure_and_heartbeat(temporal_env: WorkflowEnvironment, tmp_path: Path) -> None:
    converter = data_converter(parse_keys_file(new_key_line("k1")))
    client = Client(temporal_env.client.service_client, namespace=temporal_env.client.namespace, data_converter=converter)
    infra = FakeInfra(transient={"workload-cluster-init": 1})
    release = infra.block("workload-cluster-init")
    queue = f"codec-status-{uuid.uuid4()}"
    name = f"st-{uuid.uuid4().hex[:6]}"
    async with build_worker(client, task_queue=queue, activities=infra.activities()):
        lc = LifecycleClient(client, task_queue=queue)
        ref = await lc.start_create(CreateClusterInput(spec_yaml=spec_yaml(name), workdir=str(tmp_path / name), timeouts=FAST))
        await infra.started["workload-cluster-init"].wait()  # the second attempt, heartbeating
        pending: dict[str, object] = {}
        for _ in range(100):  # bounded: 10 s
            st = await lc.status(ref.workflow_id, with_progress=False)
            pending = st.pending[0] if st.pending else {}
            if pending.get("heartbeat") is not None:
                break
            await asyncio.sleep(0.1)
        described = await client.get_workflow_handle(ref.workflow_id).describe()
        raw = described.raw_description.pending_activities[0]
        last = await lc.last_operation(name)
        release.set()
        await lc.wait(ref.workflow_id)
    # the memo (the spec digest a controller compares) is encrypted too, and decodes
    assert described.raw_description.workflow_execution_info.memo.fields
    assert all(is_encrypted(p) for p in described.raw_description.workflow_execution_info.memo.fields.values())
    assert last is not None and last.spec_digest == spec_text_digest(spec_yaml(name)) and last.current_step == "workload-cluster-init"
    assert raw.last_failure.message == "Encoded failure"  # the real message is encrypted
    assert all(is_encrypted(p) for p in raw.heartbeat_details.payloads) and raw.heartbeat_details.payloads
    assert pending["step"] == "workload-cluster-init" and pending["attempt"] == 2
    assert pending["last_failure"] == "workload-cluster-init: connection refused"
    assert pending["heartbeat"] == {"machines_ready": 0, "machines_total": 2}
