"""``eksa-temporal dev`` with encryption configured: it starts the codec server on 127.0.0.1,
the Web UI's settings name it as the codec endpoint, it decodes for the UI's origin what the
environment's key encrypts, and SIGTERM to ``dev`` stops it with the rest. Without
encryption no codec server starts."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

from eksa_temporal.codec import KEY_ENV, KEY_ID_ENV
from eksa_temporal.devserver import free_port, port_open
from tests.e2e.test_dev_quickstart import children_pids, start_dev, stop_dev


def start(tmp_path: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], Path, dict[str, int]]:
    ports = {"port": free_port(), "ui": free_port(), "codec": free_port()}
    log = tmp_path / "dev.log"
    proc = start_dev(tmp_path / "state", ports["port"], ports["ui"], log, "--no-worker", "--codec-port", str(ports["codec"]), env=env)
    return proc, log, ports


def post(url: str, body: dict[str, Any], origin: str) -> tuple[dict[str, Any], str]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json", "Origin": origin})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read()), str(resp.headers.get("Access-Control-Allow-Origin"))


def test_dev_with_a_key_serves_the_codec_to_its_web_ui(tmp_path: Path) -> None:
    env = dict(os.environ, **{KEY_ENV: base64.b64encode(secrets.token_bytes(32)).decode(), KEY_ID_ENV: "dev1"})
    proc, log, ports = start(tmp_path, env)
    ui = f"http://127.0.0.1:{ports['ui']}"
    codec = f"http://127.0.0.1:{ports['codec']}"
    try:
        with urllib.request.urlopen(f"{ui}/api/v1/settings", timeout=10) as resp:
            settings = json.loads(resp.read())
        assert settings["Codec"]["Endpoint"] == codec, settings.get("Codec")
        plain = {"metadata": {"encoding": base64.b64encode(b"json/plain").decode()},
                 "data": base64.b64encode(b'"spec of demo"').decode()}
        sealed, allowed = post(f"{codec}/encode", {"payloads": [plain]}, ui)
        assert allowed == ui
        assert base64.b64decode(sealed["payloads"][0]["data"]) != b'"spec of demo"'
        opened, _ = post(f"{codec}/decode", sealed, ui)
        assert base64.b64decode(opened["payloads"][0]["data"]) == b'"spec of demo"'
        pids = children_pids(log)
        assert len(pids) == 3, log.read_text()  # codec server, temporal, sim
    finally:
        stop_dev(proc)
    assert not port_open(ports["codec"]) and not port_open(ports["port"])
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()


def test_dev_without_a_key_starts_no_codec_server(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in (KEY_ENV, KEY_ID_ENV, "EKSA_CODEC_KEYS_FILE")}
    proc, log, ports = start(tmp_path, env)
    try:
        assert "codec server" not in log.read_text()
        assert not port_open(ports["codec"])
        with urllib.request.urlopen(f"http://127.0.0.1:{ports['ui']}/api/v1/settings", timeout=10) as resp:
            assert not (json.loads(resp.read()).get("Codec") or {}).get("Endpoint")
    finally:
        stop_dev(proc)
