"""The Web UI with encryption on, in a real browser (Debian chromium driven by Playwright):
``temporal server start-dev --ui-codec-endpoint`` points the UI at our codec server. With
the bearer token the workflow page shows the decoded Summary and live Current Details;
without it the codec server answers 401 and the page shows none of them."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from temporalio.client import Client

from eksa_temporal.client import LifecycleClient
from eksa_temporal.codec import Keyring, data_converter, new_key_line, parse_keys_file
from eksa_temporal.codec_server import Handler, create_app
from eksa_temporal.devserver import TemporalDevServer, free_port
from eksa_temporal.worker import build_worker
from eksa_temporal.workflows.models import CreateClusterInput
from tests.e2e.test_web_ui import CHROMIUM, CHROMIUM_ARGS
from tests.workflows.fakes import FakeInfra, spec_yaml

pytestmark = pytest.mark.anyio
SUMMARY = "create management cluster default/uicodec (sim)"


@dataclass
class CodecUIServer(TemporalDevServer):
    codec_endpoint: str = ""

    def command(self) -> list[str]:
        return [*super().command(), "--ui-codec-endpoint", self.codec_endpoint]


@dataclass
class Codec:
    url: str
    token: str
    keyring: Keyring
    statuses: list[int]


@pytest.fixture
async def codec(tmp_path: Path) -> AsyncIterator[tuple[Codec, int]]:
    ui_port = free_port()
    keyring = parse_keys_file(new_key_line("ui-1"))
    token = secrets.token_hex(16)
    statuses: list[int] = []
    app = create_app(keyring, cors_origins=[f"http://127.0.0.1:{ui_port}"], token=token)

    @web.middleware
    async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        if request.method == "POST":
            statuses.append(response.status)
        return response

    app.middlewares.insert(0, record)
    srv = TestServer(app, host="127.0.0.1", port=free_port())
    await srv.start_server()
    try:
        yield Codec(str(srv.make_url("")).rstrip("/"), token, keyring, statuses), ui_port
    finally:
        await srv.close()


@pytest.fixture
def ui_server(tmp_path: Path, codec: tuple[Codec, int]) -> Iterator[TemporalDevServer]:
    server = CodecUIServer(tmp_path / "temporal", port=free_port(), ui_port=codec[1], codec_endpoint=codec[0].url)
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def page_text(browser: object, url: str, headers: dict[str, str], shot: Path) -> str:
    """The text of the workflow page and its User Metadata panels, once they rendered."""
    from playwright.async_api import Browser

    assert isinstance(browser, Browser)
    context = await browser.new_context(viewport={"width": 1400, "height": 1800}, extra_http_headers=headers)
    try:
        page = await context.new_page()
        await page.goto(url)
        await page.get_by_text("User Metadata").first.wait_for(timeout=20_000)
        await page.get_by_text("User Metadata").first.click()
        text = ""
        for _ in range(40):  # payloads are decoded (or not) a moment after the page
            await page.wait_for_timeout(250)
            text = "\n".join([await f.inner_text("body") for f in page.frames])
            if "▶ running" in text:
                break
        await page.screenshot(path=str(shot), full_page=True)
        return text
    finally:
        await context.close()


async def test_the_web_ui_shows_decoded_details_with_the_token_only(
    ui_server: TemporalDevServer, codec: tuple[Codec, int], tmp_path: Path
) -> None:
    assert CHROMIUM.exists(), "apt-get install chromium (see .ci/)"
    from playwright.async_api import async_playwright

    server = codec[0]
    client = await Client.connect(ui_server.address, data_converter=data_converter(server.keyring))
    infra = FakeInfra()
    release = infra.block("workload-cluster-init")
    queue = f"ui-codec-{uuid.uuid4()}"
    url = f"http://127.0.0.1:{ui_server.ui_port}/namespaces/default/workflows/eksa%2Fdefault%2Fuicodec"
    async with build_worker(client, task_queue=queue, activities=infra.activities()):
        lc = LifecycleClient(client, task_queue=queue)
        ref = await lc.start_create(CreateClusterInput(spec_yaml=spec_yaml("uicodec"), workdir=str(tmp_path / "uicodec")))
        await infra.started["workload-cluster-init"].wait()
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                refused = await page_text(browser, url, {}, tmp_path / "without-token.png")
                refused_statuses = list(server.statuses)
                decoded = await page_text(browser, url, {"Authorization": f"Bearer {server.token}"}, tmp_path / "with-token.png")
            finally:
                await browser.close()
        release.set()
        await lc.wait(ref.workflow_id)
    assert refused_statuses and set(refused_statuses) == {401}  # the UI asked, and was refused
    workdir = str(tmp_path / "uicodec")
    assert SUMMARY not in refused and "▶ running" not in refused and workdir not in refused
    assert "Codec Server could not connect" in refused
    assert 200 in server.statuses[len(refused_statuses):]
    assert SUMMARY in decoded and workdir in decoded  # static summary and details, decrypted
    assert "Current Details" in decoded and "▶ running" in decoded  # live details, decrypted
