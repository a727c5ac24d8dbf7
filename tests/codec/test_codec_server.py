"""The codec server (Temporal's remote codec protocol): ``/decode`` and ``/encode`` with the
workers' keys, the bearer-token check (401 and nothing decrypted without it), CORS for the
UI's origin only, and the ``eksa-temporal codec-server`` command as a real process."""

from __future__ import annotations

import base64
import json
import os
import secrets
import signal
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import requests
from aiohttp.test_utils import TestServer
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from eksa_temporal.codec import AesGcmCodec, Keyring, data_converter, new_key_line, parse_keys_file
from eksa_temporal.codec_server import create_app, parse_bind
from eksa_temporal.devserver import free_port
from tests.support.paths import EKSA
from tests.support.temporal import TEMPORAL_CLI

pytestmark = pytest.mark.anyio
UI = "http://127.0.0.1:8233"


def to_json(payloads: list[Payload]) -> dict[str, Any]:
    return {"payloads": json_format.MessageToDict(Payloads(payloads=payloads)).get("payloads", [])}


def from_json(body: dict[str, Any]) -> list[Payload]:
    out = Payloads()
    json_format.ParseDict(body, out)
    return list(out.payloads)


def plain(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=f'"{text}"'.encode())


@pytest.fixture
def keyring() -> Keyring:
    return parse_keys_file(new_key_line("k1"))


@pytest.fixture
def token() -> str:
    return secrets.token_hex(16)


@pytest.fixture
async def server(keyring: Keyring, token: str) -> AsyncIterator[TestServer]:
    srv = TestServer(create_app(keyring, cors_origins=[UI], token=token), host="127.0.0.1", port=free_port())
    await srv.start_server()
    try:
        yield srv
    finally:
        await srv.close()


async def post(srv: TestServer, path: str, body: Any, headers: dict[str, str]) -> tuple[int, dict[str, Any], Any]:
    async with aiohttp.ClientSession() as session, session.post(str(srv.make_url(path)), json=body, headers=headers) as resp:
        return resp.status, dict(resp.headers), await resp.json()


async def test_decode_with_the_token_returns_the_original_payloads(server: TestServer, keyring: Keyring, token: str) -> None:
    secret = secrets.token_hex(8)
    sealed = await AesGcmCodec(keyring).encode([plain(secret), plain("second")])
    status, _, body = await post(server, "/decode", to_json(sealed), {"Authorization": f"Bearer {token}", "X-Namespace": "default"})
    assert status == 200
    assert from_json(body) == [plain(secret), plain("second")]


async def test_without_the_token_nothing_is_decrypted(server: TestServer, keyring: Keyring, token: str) -> None:
    secret = secrets.token_hex(8)
    sealed = to_json(await AesGcmCodec(keyring).encode([plain(secret)]))
    for headers in ({}, {"Authorization": f"Bearer {secrets.token_hex(16)}"}, {"Authorization": f"Basic {token}"}):
        status, _, body = await post(server, "/decode", sealed, {"X-Namespace": "default", **headers})
        assert status == 401
        assert secret not in str(body) and "payloads" not in body
    status, _, _ = await post(server, "/encode", to_json([plain(secret)]), {})
    assert status == 401


async def test_encode_uses_the_active_key(server: TestServer, keyring: Keyring, token: str) -> None:
    secret = secrets.token_hex(8)
    status, _, body = await post(server, "/encode", to_json([plain(secret)]), {"Authorization": f"Bearer {token}"})
    assert status == 200
    (sealed,) = from_json(body)
    assert sealed.metadata["encryption-key-id"] == b"k1" and secret.encode() not in sealed.data
    assert await AesGcmCodec(keyring).decode([sealed]) == [plain(secret)]


async def test_cors_answers_the_ui_origin_only(server: TestServer, token: str) -> None:
    async with aiohttp.ClientSession() as session:
        preflight = {"Origin": UI, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,x-namespace,content-type"}
        async with session.options(str(server.make_url("/decode")), headers=preflight) as resp:
            assert resp.status == 204  # a preflight carries no token
            assert resp.headers["Access-Control-Allow-Origin"] == UI
            assert resp.headers["Access-Control-Allow-Credentials"] == "true"
            assert {"authorization", "x-namespace", "content-type"} <= {h.strip().lower() for h in resp.headers["Access-Control-Allow-Headers"].split(",")}
        other = {**preflight, "Origin": "http://127.0.0.9:8233"}
        async with session.options(str(server.make_url("/decode")), headers=other) as resp:
            assert "Access-Control-Allow-Origin" not in resp.headers
    status, headers, _ = await post(server, "/decode", {"payloads": []}, {"Origin": UI})
    assert status == 401 and headers["Access-Control-Allow-Origin"] == UI  # the UI can read the refusal


async def test_a_payload_of_an_unknown_key_or_a_bad_body_is_a_clear_400(server: TestServer, token: str) -> None:
    (foreign,) = await AesGcmCodec(parse_keys_file(new_key_line("other"))).encode([plain("x")])
    auth = {"Authorization": f"Bearer {token}"}
    status, _, body = await post(server, "/decode", to_json([foreign]), auth)
    assert status == 400 and "key id other, which is not among the configured keys k1" in body["error"]
    status, _, body = await post(server, "/decode", {"payloads": [{"data": 5}]}, auth)
    assert status == 400 and "protobuf JSON" in body["error"]


def test_bind_addresses() -> None:
    assert parse_bind("127.0.0.1:8081") == ("127.0.0.1", 8081)
    assert parse_bind("[::1]:8081") == ("::1", 8081)
    for bad in ("8081", "127.0.0.1", "127.0.0.1:http", "127.0.0.1:70000"):
        with pytest.raises(ValueError, match="is not host:port"):
            parse_bind(bad)


@pytest.fixture
def codec_process(tmp_path: Path, keyring: Keyring) -> Iterator[tuple[str, str, Path]]:
    keys_file = tmp_path / "keys"
    key = base64.b64encode(keyring.keys["k1"]).decode()
    keys_file.write_text(f"k1 {key}\n")
    token = secrets.token_hex(16)
    (tmp_path / "token").write_text(token + "\n")
    host = "127.0.0.23"
    url = f"http://{host}:{free_port()}"
    env = {**os.environ, "EKSA_CODEC_KEYS_FILE": str(keys_file), "EKSA_CODEC_TOKEN_FILE": str(tmp_path / "token")}
    env.pop("EKSA_CODEC_KEY", None)
    log = tmp_path / "codec.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(EKSA), "codec-server", "--bind", url.removeprefix("http://"), "--cors-origin", UI],  # the token file from the environment
            stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                if requests.get(f"{url}/healthz", timeout=1).text == "ok":
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield url, token, log
        os.killpg(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=10) == 0  # SIGTERM is a clean stop
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


async def test_the_codec_server_command_decodes_with_the_token_only(codec_process: tuple[str, str, Path], keyring: Keyring) -> None:
    url, token, log = codec_process
    secret = secrets.token_hex(8)
    sealed = to_json(await AesGcmCodec(keyring).encode([plain(secret)]))
    refused = requests.post(f"{url}/decode", json=sealed, headers={"X-Namespace": "default"}, timeout=10)
    assert refused.status_code == 401 and secret not in refused.text
    decoded = requests.post(f"{url}/decode", json=sealed, headers={"X-Namespace": "default", "Authorization": f"Bearer {token}"}, timeout=10)
    assert decoded.status_code == 200 and from_json(decoded.json()) == [plain(secret)]
    text = log.read_text()
    assert "codec server on" in text and token not in text and secret not in text


def test_the_codec_server_command_refuses_to_start_without_keys(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EKSA_CODEC_")}
    out = subprocess.run([str(EKSA), "codec-server", "--bind", f"127.0.0.23:{free_port()}"], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert out.stderr.strip().splitlines() == ["Error: no keys configured (fix: set EKSA_CODEC_KEYS_FILE to a keys file, or EKSA_CODEC_KEY with EKSA_CODEC_KEY_ID)"]


async def test_the_temporal_cli_shows_decoded_input_through_the_codec_server(
    codec_process: tuple[str, str, Path], keyring: Keyring, temporal_env: WorkflowEnvironment
) -> None:
    url, token, log = codec_process
    client = Client(temporal_env.client.service_client, namespace=temporal_env.client.namespace, data_converter=data_converter(keyring))
    secret = f"/srv/clusters/{secrets.token_hex(8)}"
    wf_id = f"codec-cli-{uuid.uuid4()}"
    handle = await client.start_workflow("CreateClusterWorkflow", {"workdir": secret}, id=wf_id, task_queue=f"nobody-{uuid.uuid4()}")
    try:
        show = [str(TEMPORAL_CLI), "workflow", "show", "-w", wf_id, "--address", temporal_env.client.service_client.config.target_host, "--output", "json"]
        plain_run = subprocess.run(show, capture_output=True, text=True, timeout=60)
        decoded = subprocess.run([*show, "--codec-endpoint", url, "--codec-auth", f"Bearer {token}"], capture_output=True, text=True, timeout=60)
        refused = subprocess.run([*show, "--codec-endpoint", url, "--command-timeout", "3s"], capture_output=True, text=True, timeout=60)
    finally:
        await handle.terminate()
    # payloads stay base64 in the JSON output: compare what they decode to
    stored = base64_decoded(plain_run.stdout)
    assert plain_run.returncode == 0 and "binary/encrypted" in stored and secret not in stored
    assert decoded.returncode == 0 and secret in base64_decoded(decoded.stdout), decoded.stderr
    assert refused.returncode != 0 and secret not in base64_decoded(refused.stdout + refused.stderr)
    assert "codec request refused" in log.read_text()  # it asked without the token: 401

def base64_decoded(text: str) -> str:
    """``text`` with each base64 run that decodes to text replaced by what it decodes to."""
    out = []
    for word in text.replace('"', " ").split():
        try:
            out.append(base64.b64decode(word, validate=True).decode())
        except (ValueError, UnicodeDecodeError):
            out.append(word)
    return " ".join(out)


async def test_a_workflow_started_by_the_temporal_cli_through_the_codec_server_is_stored_encrypted(
    codec_process: tuple[str, str, Path], keyring: Keyring, temporal_env: WorkflowEnvironment
) -> None:
    url, token, _ = codec_process
    secret = f"/srv/clusters/{secrets.token_hex(8)}"
    wf_id = f"codec-start-{uuid.uuid4()}"
    start = [
        str(TEMPORAL_CLI), "workflow", "start", "--address", temporal_env.client.service_client.config.target_host,
        "--type", "CreateClusterWorkflow", "--task-queue", f"nobody-{uuid.uuid4()}", "--workflow-id", wf_id,
        "--input", json.dumps({"workdir": secret}), "--codec-endpoint", url, "--codec-auth", f"Bearer {token}",
    ]  # fmt: skip
    started = subprocess.run(start, capture_output=True, text=True, timeout=60)
    handle = temporal_env.client.get_workflow_handle(wf_id)
    try:
        assert started.returncode == 0, started.stderr
        history = await handle.fetch_history()
    finally:
        await handle.terminate()
    (payload,) = history.events[0].workflow_execution_started_event_attributes.input.payloads
    assert payload.metadata["encryption-key-id"] == b"k1" and secret.encode() not in payload.data
    (plain_payload,) = await AesGcmCodec(keyring).decode([payload])
    assert json.loads(plain_payload.data) == {"workdir": secret}
