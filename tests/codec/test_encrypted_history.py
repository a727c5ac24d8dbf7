"""Encryption on, end to end: a management create against the sim with the real activities,
the worker and the client connected by ``eksa_temporal.client.connect`` with
``EKSA_CODEC_KEYS_FILE`` set. The history the dev server stores, fetched raw (no codec),
holds no plaintext of the spec nor any path; the codec server decodes it only with the
token; after a rotation (a new key on top of the file) the delete is encrypted with the new
key and the create's history still decodes."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from eksa_temporal.client import LifecycleClient, connect
from eksa_temporal.codec import Keyring, new_key_line, parse_keys_file
from eksa_temporal.codec_server import create_app
from eksa_temporal.devserver import free_port
from eksa_temporal.spec import generate_cluster_config
from eksa_temporal.worker import build_worker, default_activities
from eksa_temporal.workflows.models import (
    CreateClusterInput,
    CreateClusterResult,
    DeleteClusterInput,
    Timeouts,
)
from tests.codec.raw_history import key_ids, raw_history
from tests.support.histories import decoded_history
from tests.support.sim import SimServer, running_sim

pytestmark = pytest.mark.anyio
E2E = Timeouts(step_seconds=60, long_step_seconds=120, heartbeat_seconds=15, initial_retry_seconds=0.2, max_retry_seconds=1, max_attempts=3)


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimServer]:
    with running_sim(tmp_path / "sim", ("--boot-seconds", "0.2", "--seed", "7")) as server:
        yield server


async def decode_via_server(keyring: Keyring, token: str, payloads: list[Payload], headers: dict[str, str]) -> tuple[int, Any]:
    srv = TestServer(create_app(keyring, token=token), host="127.0.0.1", port=free_port())
    await srv.start_server()
    try:
        body = {"payloads": json_format.MessageToDict(Payloads(payloads=payloads))["payloads"]}
        async with aiohttp.ClientSession() as session, session.post(str(srv.make_url("/decode")), json=body, headers={"X-Namespace": "default", **headers}) as resp:
            return resp.status, await resp.json()
    finally:
        await srv.close()


@pytest.fixture
async def encrypted(temporal_env: WorkflowEnvironment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Path]:
    """Connection settings of the session's dev server, and a keys file (key k1)."""
    keys_file = tmp_path / "codec-keys"
    keys_file.write_text(new_key_line("k1") + "\n")
    monkeypatch.setenv("TEMPORAL_ADDRESS", temporal_env.client.service_client.config.target_host)
    monkeypatch.setenv("TEMPORAL_NAMESPACE", temporal_env.client.namespace)
    monkeypatch.setenv("EKSA_CODEC_KEYS_FILE", str(keys_file))
    monkeypatch.delenv("EKSA_CODEC_KEY", raising=False)
    monkeypatch.delenv("TEMPORAL_PROFILE", raising=False)
    yield keys_file


async def run(client: Client, sim: SimServer, queue: str, start: Any) -> Any:
    """Run ``start(lc)`` with a worker on ``client`` (real activities) until it completes."""
    with ThreadPoolExecutor(max_workers=16) as pool:
        async with build_worker(client, task_queue=queue, activities=default_activities(sim.state_dir), executor=pool, max_concurrent_activities=16):
            lc = LifecycleClient(client, task_queue=queue)
            return await lc.wait((await start(lc)).workflow_id)


async def test_an_encrypted_create_stores_no_plaintext_and_decodes_only_with_the_keys_and_token(
    encrypted: Path, sim: SimServer, tmp_path: Path, temporal_env: WorkflowEnvironment
) -> None:
    name = f"enc-{secrets.token_hex(3)}"
    spec = generate_cluster_config(name, "sim")
    workdir = str(tmp_path / "out" / name)
    queue = f"codec-{uuid.uuid4()}"
    client = await connect()
    assert client.data_converter.payload_codec is not None  # on by configuration

    created = await run(client, sim, queue, lambda lc: lc.start_create(CreateClusterInput(spec_yaml=spec, workdir=workdir, timeouts=E2E)))
    assert isinstance(created, CreateClusterResult) and created.kubeconfig_path is not None
    kubeconfig = created.kubeconfig_path
    assert kubeconfig.startswith(workdir)
    wf_id = f"eksa/default/{name}"

    stored, payloads, started_input = await raw_history(temporal_env.client, wf_id)
    lines = [line.strip() for line in spec.splitlines() if len(line.strip()) >= 16]
    needles = [spec, str(tmp_path), workdir, kubeconfig, *lines]
    leaks = [n for n in needles if n.encode() in stored]
    assert leaks == [], f"plaintext in the stored history: {leaks}"
    assert len(payloads) > 20 and key_ids(payloads) == {"k1"}  # every payload but the indexed search attributes

    # the needles are there to be found once decoded with the keys (the check above can fail)
    decoded = await decoded_history(client, wf_id)
    assert decoded.where(workdir) and decoded.where(kubeconfig) and decoded.where(lines[0])

    keyring = parse_keys_file(encrypted.read_text())
    token = secrets.token_hex(16)
    status, body = await decode_via_server(keyring, token, started_input, {})
    assert status == 401 and workdir not in str(body)
    status, body = await decode_via_server(keyring, token, started_input, {"Authorization": f"Bearer {token}"})
    assert status == 200
    (plain,) = json_format.ParseDict(body, Payloads()).payloads
    assert plain.metadata["encoding"] == b"json/plain"
    assert workdir.encode() in plain.data and f"name: {name}".encode() in plain.data

    # rotation: k2 on top of the file, k1 kept for the histories it encrypted
    create_run = (await client.get_workflow_handle(wf_id).describe()).run_id
    encrypted.write_text(f"{new_key_line('k2')}\n{encrypted.read_text()}")
    rotated = await connect()
    await run(rotated, sim, queue, lambda lc: lc.start_delete(DeleteClusterInput(spec_yaml=spec, workdir=workdir, timeouts=E2E)))
    delete_run = (await rotated.get_workflow_handle(wf_id).describe()).run_id
    assert delete_run != create_run
    stored, payloads, _ = await raw_history(temporal_env.client, wf_id, delete_run)
    assert key_ids(payloads) == {"k2"} and workdir.encode() not in stored
    _, payloads, _ = await raw_history(temporal_env.client, wf_id, create_run)
    assert key_ids(payloads) == {"k1"}
    for run_id in (create_run, delete_run):  # both runs decode with the rotated keys
        dump = await decoded_history(rotated, wf_id, run_id, describe=False)
        assert dump.where(workdir)
