"""The vCenter password never leaves the provider: not in structlog or stdlib logs (at
DEBUG, pyvmomi's included), not in findings, errors or results of any phase."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from eksa_temporal.logs import configure
from eksa_temporal.ownership import owner_id
from eksa_temporal.providers.base import Ownership, PreflightOptions, RenderContext
from eksa_temporal.providers.vsphere import VSphereProvider
from eksa_temporal.providers.vsphere.credentials import PASSWORD_ENV
from eksa_temporal.providers.vsphere.errors import VSphereError

from .ova_fixture import write_ova
from .specs import SimInfo, spec


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """Everything structlog and the stdlib loggers write, at DEBUG."""
    sink = io.StringIO()
    configure(verbose=True, json_output=True)
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=sink))
    handler = logging.StreamHandler(sink)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield sink
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        structlog.reset_defaults()


def test_password_is_never_logged_or_returned(
    inventory: SimInfo,
    vsphere_env: SimInfo,
    captured: io.StringIO,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    template = "/DC0/vm/Imported/secrets-check"
    provider = VSphereProvider(template_ovas={template: str(write_ova(tmp_path / "s.ova"))})
    cluster = spec(vsphere_env, "secrets", cp={"template": template}, md={"template": template})
    outputs: list[object] = [
        provider.validate_credentials(cluster),
        provider.preflight(cluster, PreflightOptions()),
        provider.prepare_infrastructure(cluster),
        provider.render_capi_objects(cluster, RenderContext()),
        provider.cleanup(cluster, Ownership(owner=owner_id("eksa/default/secrets", "run"))),
    ]
    wrong = "Wrong-Pa55-for-logs"
    monkeypatch.setenv(PASSWORD_ENV, wrong)
    outputs.append(provider.validate_credentials(cluster))
    try:
        provider.prepare_infrastructure(cluster)
    except VSphereError as exc:
        outputs.append(str(exc))
    logs = captured.getvalue()
    assert "vsphere-preflight-done" in logs, "the capture must see the provider's logs"
    for secret in (vsphere_env.password, wrong):
        assert secret not in logs
        assert secret not in repr(outputs)
