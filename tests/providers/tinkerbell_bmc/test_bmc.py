"""BMC checks against real sushy-emulator processes (fake driver, basic auth)."""

from __future__ import annotations

import logging
import secrets
import time
import warnings
from collections.abc import Iterator

import pytest
from pydantic import SecretStr
from structlog.testing import capture_logs

from eksa_temporal.providers.tinkerbell.bmc import BmcTarget, check_bmcs, power_off, power_state
from tests.providers.tinkerbell_bmc.emulator import (
    SUSHY_EMULATOR,
    Emulator,
    emulators,
    fake_system,
    free_port,
    write_htpasswd,
)

pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.skipif(not SUSHY_EMULATOR.exists(), reason="sushy-tools not installed"),
]

USER = "root"
PASSWORD = secrets.token_urlsafe(12)  # fresh per run
WRONG = secrets.token_urlsafe(12)
TIMEOUT = 5.0


@pytest.fixture(scope="module")
def bmcs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Emulator]]:
    work = tmp_path_factory.mktemp("bmc")
    htpasswd = work / "htpasswd"
    write_htpasswd(htpasswd, USER, PASSWORD)
    systems = [
        [fake_system("00000000-0000-0000-0000-000000000001", "node-1")],
        [fake_system("00000000-0000-0000-0000-000000000002", "node-2")],
        [fake_system("00000000-0000-0000-0000-000000000003", "node-3")],
        [],  # a BMC that lists no system
        [fake_system("00000000-0000-0000-0000-000000000005", "node-5", "On")],
        [fake_system("00000000-0000-0000-0000-000000000006", "node-6")],  # HTTPS, self-signed
    ]
    with emulators(work, systems, htpasswd, tls=frozenset({5})) as started:
        yield started


def target(em: Emulator, host: str, password: str = PASSWORD, row: int | None = None) -> BmcTarget:
    return BmcTarget(host, em.address, USER, SecretStr(password), row=row)


def test_good_credentials_pass_in_parallel(bmcs: list[Emulator]) -> None:
    targets = [target(em, f"node-{i + 1}", row=i + 1) for i, em in enumerate(bmcs[:3])]
    started = time.monotonic()
    assert check_bmcs(targets, timeout=TIMEOUT, max_parallel=3) == []
    assert time.monotonic() - started < 30


def test_wrong_password_names_the_host(bmcs: list[Emulator]) -> None:
    targets = [target(bmcs[0], "node-1"), target(bmcs[1], "node-2", password=WRONG)]
    findings = check_bmcs(targets, timeout=TIMEOUT, max_parallel=2)
    assert len(findings) == 1
    (f,) = findings
    assert f.path == "hardware[node-2].bmc_ip"
    assert "node-2" in f.message and "401" in f.message
    assert WRONG not in f.line()
    assert f.check == "tinkerbell-bmc-credentials"


def test_unreachable_bmc(bmcs: list[Emulator]) -> None:
    ip = "127.0.0.20"
    dead = BmcTarget("node-9", f"http://{ip}:{free_port(ip)}", USER, SecretStr(PASSWORD), row=9)
    findings = check_bmcs([target(bmcs[0], "node-1"), dead], timeout=TIMEOUT, max_parallel=2)
    assert len(findings) == 1
    assert findings[0].path == "hardware.csv row 9 (node-9)"
    assert (
        findings[0].message
        == f"BMC http://{ip}:{dead.address.rsplit(':', 1)[1]} of host node-9 is unreachable"
    )


def test_bmc_without_system(bmcs: list[Emulator]) -> None:
    findings = check_bmcs([target(bmcs[3], "node-4")], timeout=TIMEOUT, max_parallel=1)
    assert len(findings) == 1
    assert "node-4" in findings[0].message and "ComputerSystem" in findings[0].message
    assert findings[0].check == "tinkerbell-bmc-system"


def _reset_requests(em: Emulator) -> int:
    return em.log_path.read_text().count("ComputerSystem.Reset")


def test_power_off_is_idempotent(bmcs: list[Emulator]) -> None:
    em = bmcs[4]
    t = target(em, "node-5")
    assert power_state(t, timeout=TIMEOUT) == "On"
    assert power_off(t, timeout=TIMEOUT) is True
    assert _reset_requests(em) == 1
    deadline = time.monotonic() + 30  # the fake driver applies power changes after 1-11 s
    while power_state(t, timeout=TIMEOUT) != "Off":
        assert time.monotonic() < deadline, "system never reached Off"
        time.sleep(0.5)
    assert power_off(t, timeout=TIMEOUT) is False
    assert _reset_requests(em) == 1


def test_password_in_no_log_line(bmcs: list[Emulator], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    targets = [
        target(bmcs[0], "node-1"),
        target(bmcs[1], "node-2", password="Wrong-" + PASSWORD),
        target(bmcs[3], "node-4"),
    ]
    with capture_logs() as logs:
        findings = check_bmcs(targets, timeout=TIMEOUT, max_parallel=3)
        power_off(target(bmcs[2], "node-3"), timeout=TIMEOUT)
    assert len(findings) == 2
    assert logs, "the checks log one line per host"
    for entry in logs:
        assert PASSWORD not in repr(entry)
    for record in caplog.records:
        assert PASSWORD not in record.getMessage()
    for f in findings:
        assert PASSWORD not in f.line()


def test_self_signed_https_needs_explicit_opt_out(bmcs: list[Emulator]) -> None:
    t = target(bmcs[5], "node-6")
    assert t.address.startswith("https://")
    findings = check_bmcs([t], timeout=TIMEOUT, max_parallel=1)
    assert [f.check for f in findings] == ["tinkerbell-bmc-tls"]
    assert "node-6" in findings[0].message
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # urllib3 warns about unverified HTTPS
        assert check_bmcs([t], timeout=TIMEOUT, max_parallel=1, verify=False) == []
