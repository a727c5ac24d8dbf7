"""BMC checks over Redfish for bare-metal hosts: reachability, credentials, a ComputerSystem,
and an idempotent power-off (machines are powered off before provisioning).

Client: OpenStack's ``sushy`` (the Redfish library behind Ironic): maintained, typed resource
objects (systems, power states, reset actions) and one error class per HTTP failure
(``AccessError`` for 401, ``ConnectionError`` for transport errors). Basic auth is sent with
every request, so no Redfish session is left open on BMCs with a small session limit.

Every host is checked in parallel (bounded thread pool); problems come back as findings, each
naming the host and BMC address, never the password.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import sushy
from pydantic import SecretStr
from sushy import exceptions as sushy_exc
from sushy.auth import BasicAuth

from eksa_temporal.logs import get_logger
from eksa_temporal.spec.findings import Finding, Severity

log = get_logger(__name__)
DEFAULT_TIMEOUT = 10.0
DEFAULT_PARALLEL = 8


@dataclass(frozen=True)
class BmcTarget:
    """One host's BMC. ``address`` is an IP or ``host:port``, or a full ``http(s)://`` URL
    (``https://`` is assumed without a scheme). ``row`` is the hardware.csv data row (1-based),
    when the target comes from one."""

    hostname: str
    address: str
    username: str
    password: SecretStr
    row: int | None = None

    @property
    def url(self) -> str:
        return self.address if "://" in self.address else f"https://{self.address}"

    @property
    def path(self) -> str:
        if self.row is not None:
            return f"hardware.csv row {self.row} ({self.hostname})"
        return f"hardware[{self.hostname}].bmc_ip"


class BmcError(Exception):
    """A BMC operation failed; the message names host and BMC, never the password."""


def _scrub(text: str, target: BmcTarget) -> str:
    secret = target.password.get_secret_value()
    return text.replace(secret, "[redacted]") if secret else text


def _connect(target: BmcTarget, *, timeout: float, verify: bool) -> Any:
    return sushy.Sushy(
        target.url,
        auth=BasicAuth(username=target.username, password=target.password.get_secret_value()),
        verify=verify,
        read_timeout=timeout,
        connect_timeout=timeout,
        server_side_retries=1,
        server_side_retries_delay=1,
    )


def _first_system(root: Any) -> Any | None:
    members = root.get_system_collection().get_members()
    return members[0] if members else None


def _state(system: Any) -> str:
    state = system.power_state
    return str(getattr(state, "value", state))


def _is_tls_error(exc: Exception) -> bool:
    text = str(exc)
    return "CERTIFICATE_VERIFY_FAILED" in text or "SSLError" in text


def _finding(target: BmcTarget, message: str, remediation: str, check: str) -> Finding:
    return Finding(
        path=target.path,
        message=message,
        remediation=remediation,
        check=check,
        severity=Severity.ERROR,
    )


def check_bmc(
    target: BmcTarget, *, timeout: float = DEFAULT_TIMEOUT, verify: bool = True
) -> list[Finding]:
    """One host: the BMC answers, accepts the credentials and exposes a ComputerSystem."""
    bmc, host = target.address, target.hostname
    try:
        root = _connect(target, timeout=timeout, verify=verify)
        system = _first_system(root)
    except sushy_exc.AccessError:
        log.info("bmc check", host=host, bmc=bmc, result="unauthorized")
        return [
            _finding(
                target,
                f"BMC {bmc} of host {host} rejected the credentials of user "
                f"{target.username!r} (HTTP 401)",
                "correct the BMC username and password for this host",
                "tinkerbell-bmc-credentials",
            )
        ]
    except sushy_exc.ConnectionError as exc:
        if _is_tls_error(exc):
            log.info("bmc check", host=host, bmc=bmc, result="untrusted-certificate")
            return [
                _finding(
                    target,
                    f"BMC {bmc} of host {host} presented a TLS certificate that is not trusted",
                    "give the BMC a certificate signed by a trusted CA, or turn certificate "
                    "verification off explicitly for self-signed BMC certificates",
                    "tinkerbell-bmc-tls",
                )
            ]
        log.info("bmc check", host=host, bmc=bmc, result="unreachable")
        return [
            _finding(
                target,
                f"BMC {bmc} of host {host} is unreachable",
                "check the BMC address, that the BMC is powered and reachable from this "
                f"machine ({_scrub(type(exc).__name__, target)})",
                "tinkerbell-bmc-reachable",
            )
        ]
    except sushy_exc.SushyError as exc:
        log.info("bmc check", host=host, bmc=bmc, result="error")
        return [
            _finding(
                target,
                f"BMC {bmc} of host {host} answered with an error: {_scrub(str(exc), target)}",
                "check that the BMC speaks Redfish and that the user may read systems",
                "tinkerbell-bmc-redfish",
            )
        ]
    if system is None:
        log.info("bmc check", host=host, bmc=bmc, result="no-system")
        return [
            _finding(
                target,
                f"BMC {bmc} of host {host} exposes no ComputerSystem",
                "check that the address is the BMC of this host and that the BMC lists its system",
                "tinkerbell-bmc-system",
            )
        ]
    log.info("bmc check", host=host, bmc=bmc, result="ok", power=_state(system))
    return []


def check_bmcs(
    targets: Sequence[BmcTarget],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_parallel: int = DEFAULT_PARALLEL,
    verify: bool = True,
) -> list[Finding]:
    """Every host's BMC checked in parallel (at most ``max_parallel`` at once); the findings
    come back in the order of ``targets``. ``verify=False`` accepts self-signed certificates."""
    if not targets:
        return []
    workers = max(1, min(max_parallel, len(targets)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bmc-check") as pool:
        results = list(pool.map(lambda t: check_bmc(t, timeout=timeout, verify=verify), targets))
    return [finding for findings in results for finding in findings]


def power_off(target: BmcTarget, *, timeout: float = DEFAULT_TIMEOUT, verify: bool = True) -> bool:
    """Powers the host's system off (ForceOff); returns False, sending no reset, when it is
    already Off. Raises ``BmcError`` when the BMC cannot be reached or refuses."""
    bmc, host = target.address, target.hostname
    try:
        root = _connect(target, timeout=timeout, verify=verify)
        system = _first_system(root)
        if system is None:
            raise BmcError(f"BMC {bmc} of host {host} exposes no ComputerSystem")
        if system.power_state == sushy.POWER_STATE_OFF:
            log.info("bmc power off", host=host, bmc=bmc, result="already off")
            return False
        system.reset_system(sushy.RESET_FORCE_OFF)
    except sushy_exc.AccessError as exc:
        raise BmcError(f"BMC {bmc} of host {host} rejected the credentials (HTTP 401)") from exc
    except sushy_exc.SushyError as exc:
        raise BmcError(
            f"power off of host {host} through BMC {bmc} failed: {_scrub(str(exc), target)}"
        ) from exc
    log.info("bmc power off", host=host, bmc=bmc, result="requested")
    return True


def power_state(target: BmcTarget, *, timeout: float = DEFAULT_TIMEOUT, verify: bool = True) -> str:
    """The system's power state as Redfish names it (``On``, ``Off``, ...)."""
    try:
        system = _first_system(_connect(target, timeout=timeout, verify=verify))
    except sushy_exc.SushyError as exc:
        raise BmcError(
            f"BMC {target.address} of host {target.hostname}: {_scrub(str(exc), target)}"
        ) from exc
    if system is None:
        raise BmcError(f"BMC {target.address} of host {target.hostname} exposes no ComputerSystem")
    return _state(system)
