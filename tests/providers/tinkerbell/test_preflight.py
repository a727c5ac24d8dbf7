"""The Tinkerbell preflight against real sushy-emulator BMCs: a good inventory passes; a
missing hardware CSV, a wrong BMC password, an unreachable BMC, too few hosts and an
address already in use each give a clear finding, all reported together; no password in
any finding or log line."""

from __future__ import annotations

import secrets
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from eksa_temporal.providers.base import PreflightOptions
from eksa_temporal.providers.tinkerbell.provider import TinkerbellProvider
from tests.providers.tinkerbell.bmc_hosts import BmcHosts, bmc_hosts, spec_with
from tests.providers.tinkerbell_bmc.emulator import SUSHY_EMULATOR, free_port

pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.skipif(not SUSHY_EMULATOR.exists(), reason="sushy-tools not installed"),
]
SKIP_IP = PreflightOptions(skip_ip_check=True)
LABELS = ["type=cp", "type=worker", "type=worker"]


@pytest.fixture(scope="module")
def hosts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BmcHosts]:
    with bmc_hosts(tmp_path_factory.mktemp("bmcs"), 3) as running:
        yield running


def provider(hosts: BmcHosts, **kw: Any) -> TinkerbellProvider:
    return TinkerbellProvider(env=hosts.env, bmc_timeout=5.0, **kw)


def test_a_good_inventory_passes(hosts: BmcHosts) -> None:
    spec = spec_with(hosts.csv(hosts.rows(LABELS)))
    with capture_logs() as logs:
        assert provider(hosts).preflight(spec, SKIP_IP) == []
    assert hosts.password not in repr(logs)


def test_no_hardware_csv_names_the_option(hosts: BmcHosts) -> None:
    findings = provider(hosts).preflight(spec_with(None), SKIP_IP)
    assert len(findings) == 1
    assert "-z/--hardware-csv" in findings[0].line()


def test_every_problem_is_reported_together(hosts: BmcHosts) -> None:
    wrong = secrets.token_urlsafe(12)
    rows = hosts.rows(LABELS)
    rows[1] = hosts.rows(LABELS, password=wrong)[1]
    dead_ip = "127.0.0.40"  # nothing listens there
    rows[2] = rows[2].replace(f",{hosts.bmcs[2].ip},", f",{dead_ip},")

    def two_workers_per_group(documents: list[dict[str, Any]]) -> None:
        documents[0]["spec"]["workerNodeGroupConfigurations"][0]["count"] = 3

    spec = spec_with(hosts.csv(rows, "problems.csv"), two_workers_per_group)
    findings = provider(hosts).preflight(spec, SKIP_IP)
    shown = [f.line() for f in findings]
    assert len(findings) == 3, shown
    inventory, credentials, unreachable = findings
    assert "needs 3 hosts, the hardware CSV has 2" in inventory.message
    assert credentials.path == "hardware.csv row 3 (host-1)" and "401" in credentials.message
    assert credentials.check == "tinkerbell-bmc-credentials"
    assert unreachable.path == "hardware.csv row 4 (host-2)" and "unreachable" in unreachable.message
    assert not any(wrong in line or hosts.password in line for line in shown)


def test_an_address_in_use_is_refused_unless_skipped(hosts: BmcHosts) -> None:
    ip = "127.0.0.41"
    port = free_port(ip)

    def endpoint_here(documents: list[dict[str, Any]]) -> None:
        documents[0]["spec"]["controlPlaneConfiguration"]["endpoint"]["host"] = ip
        documents[1]["spec"]["tinkerbellIP"] = "127.0.0.42"

    spec = spec_with(hosts.csv(hosts.rows(LABELS), "ip.csv"), endpoint_here)
    checker = provider(hosts, probe_ports=(port,))
    with socket.socket() as listener:
        listener.bind((ip, port))
        listener.listen()
        findings = checker.preflight(spec, PreflightOptions())
        assert checker.preflight(spec, SKIP_IP) == []
    assert [f.check for f in findings] == ["tinkerbell-ip-in-use"]
    assert ip in findings[0].message and "endpoint" in findings[0].path
    assert checker.preflight(spec, PreflightOptions()) == []


def test_hardware_csv_path_is_the_one_reference(tmp_path: Path, hosts: BmcHosts) -> None:
    ref = hosts.csv(hosts.rows(LABELS), "changed.csv")
    Path(ref.path).write_text(Path(ref.path).read_text().replace("host-0", "host-9"))
    findings = provider(hosts).preflight(spec_with(ref), SKIP_IP)
    assert len(findings) == 1 and "changed since the operation started" in findings[0].message
