"""The Temporal Web UI, in a real browser (Debian chromium driven by Playwright): while a
worker runs a create, the workflow page labels each step on the timeline with its name,
and User Metadata shows the static summary/details and the live Current Details table."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from eksa_temporal.client import LifecycleClient
from eksa_temporal.devserver import TemporalDevServer, free_port
from eksa_temporal.worker import build_worker
from eksa_temporal.workflows.models import CreateClusterInput
from tests.workflows.fakes import FakeInfra, spec_yaml

pytestmark = pytest.mark.anyio
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def ui_server(tmp_path: Path) -> Iterator[TemporalDevServer]:
    server = TemporalDevServer(tmp_path / "temporal", port=free_port(), ui_port=free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def test_workflow_page_shows_step_names_and_live_details(ui_server: TemporalDevServer, tmp_path: Path) -> None:
    assert CHROMIUM.exists(), "apt-get install chromium (see .ci/)"
    from playwright.async_api import async_playwright

    client = await Client.connect(ui_server.address, data_converter=pydantic_data_converter)
    infra = FakeInfra()
    release = infra.block("workload-cluster-init")
    queue = f"ui-{uuid.uuid4()}"
    async with build_worker(client, task_queue=queue, activities=infra.activities()):
        lc = LifecycleClient(client, task_queue=queue)
        ref = await lc.start_create(CreateClusterInput(spec_yaml=spec_yaml("uidemo"), workdir=str(tmp_path / "uidemo")))
        await infra.started["workload-cluster-init"].wait()
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = await browser.new_page(viewport={"width": 1400, "height": 1800})
                await page.goto(f"http://127.0.0.1:{ui_server.ui_port}/namespaces/default/workflows/eksa%2Fdefault%2Fuidemo")
                await page.get_by_text("setup-validate • setup-validate").wait_for(timeout=20_000)
                timeline = await page.inner_text("body")
                await page.screenshot(path=str(tmp_path / "timeline.png"), full_page=True)
                await page.get_by_text("User Metadata").first.click()
                await page.get_by_text("Current Details").first.wait_for(timeout=20_000)
                metadata = ""
                for _ in range(40):  # markdown panels render in frames, a moment after the tab
                    await page.wait_for_timeout(250)
                    metadata = "\n".join([await f.inner_text("body") for f in page.frames])
                    if "▶ running" in metadata:
                        break
                await page.screenshot(path=str(tmp_path / "metadata.png"), full_page=True)
            finally:
                await browser.close()
        release.set()
        await lc.wait(ref.workflow_id)
    for step in ("setup-validate", "bootstrap-cluster-init", "install-capi-components-bootstrap"):
        assert f"{step} • {step}" in timeline
    assert "workload-cluster-init • workload-cluster-init" in timeline
    assert "create management cluster default/uidemo (sim)" in metadata  # static summary
    assert "Current Details" in metadata
    assert "phase running" in metadata.replace("*", "")
    assert "▶ running" in metadata  # the live row of the step in progress
    assert (tmp_path / "metadata.png").stat().st_size > 10_000
