"""The Tinkerbell preflight against the real hosts: the hardware CSV of the operation
(``hardware.read_hardware``: missing, unreadable, changed or invalid), the spec's hardware
selectors against it (``hardware.check_inventory``), every host's BMC over Redfish in
parallel (``bmc.check_bmcs``), and the ``tinkerbellIP`` and control-plane endpoint not
already in use (a TCP connect to the ports a live host answers on, as EKS-A's IP-in-use
check). Every finding is returned together; nothing is changed.

Where each BMC is reached (``bmc_targets``): ``https://<bmc_ip>`` by default;
``EKSA_TINKERBELL_REDFISH_URL`` is a template with ``{ip}`` (e.g. ``http://{ip}:8000``)
for BMCs serving Redfish elsewhere, and ``EKSA_TINKERBELL_BMC_INSECURE_TLS=true`` accepts
self-signed BMC certificates (Rufio's ``insecureTLS``).
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor

from eksa_temporal.providers.tinkerbell.bmc import BmcTarget, check_bmcs
from eksa_temporal.providers.tinkerbell.hardware import Machine, check_inventory, read_hardware
from eksa_temporal.spec.clusterspec import ClusterSpec
from eksa_temporal.spec.findings import Finding
from eksa_temporal.spec.tinkerbell import TinkerbellDatacenterConfig

REDFISH_URL_ENV = "EKSA_TINKERBELL_REDFISH_URL"
INSECURE_TLS_ENV = "EKSA_TINKERBELL_BMC_INSECURE_TLS"
DEFAULT_REDFISH_URL = "https://{ip}"
# a live host answers on one of these (the API server, SSH, HTTPS; Tinkerbell's HTTP)
PROBE_PORTS = (6443, 22, 443, 80)


def redfish_url(ip: str, env: Mapping[str, str]) -> str:
    template = env.get(REDFISH_URL_ENV, "").strip() or DEFAULT_REDFISH_URL
    return template.replace("{ip}", ip)


def insecure_tls(env: Mapping[str, str]) -> bool:
    return env.get(INSECURE_TLS_ENV, "").strip().lower() in ("1", "true", "yes")


def bmc_targets(machines: Iterable[Machine], env: Mapping[str, str]) -> list[BmcTarget]:
    """The BMC of every host that has one (password kept a ``SecretStr``)."""
    return [
        BmcTarget(m.hostname, redfish_url(m.bmc_ip, env), m.bmc_username, m.bmc_password, row=m.row)
        for m in machines
        if m.has_bmc
    ]


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """True when a TCP connection to host:port succeeds within ``timeout``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def ip_in_use(host: str, ports: Iterable[int] = PROBE_PORTS, timeout: float = 0.5) -> int | None:
    """The first of ``ports`` on which ``host`` answers (probed in parallel), or None."""
    wanted = list(ports)
    with ThreadPoolExecutor(max_workers=len(wanted), thread_name_prefix="ip-probe") as pool:
        answers = list(pool.map(lambda p: port_open(host, p, timeout), wanted))
    return next((p for p, busy in zip(wanted, answers, strict=True) if busy), None)


def address_findings(
    spec: ClusterSpec, ports: Iterable[int] = PROBE_PORTS, timeout: float = 0.5
) -> list[Finding]:
    """``tinkerbellIP`` and the control-plane endpoint: set, and not answering yet."""
    wanted: list[tuple[str, str, str]] = []
    endpoint = spec.cluster.spec.control_plane_configuration.endpoint
    host = str(endpoint.host) if endpoint is not None and endpoint.host else ""
    wanted.append(
        (
            f"Cluster/{spec.name}: spec.controlPlaneConfiguration.endpoint.host",
            host,
            "control-plane endpoint",
        )
    )
    dc = spec.datacenter
    if isinstance(dc, TinkerbellDatacenterConfig):
        wanted.append(
            (
                f"TinkerbellDatacenterConfig/{dc.name}: spec.tinkerbellIP",
                str(dc.spec.tinkerbell_ip),
                "tinkerbellIP",
            )
        )
    findings: list[Finding] = []
    for path, address, what in wanted:
        if not address:
            continue  # a required field left empty is a spec rule's finding
        busy = ip_in_use(address, ports, timeout=timeout)
        if busy is not None:
            findings.append(
                Finding(
                    path=path,
                    message=f"the {what} {address} is already in use (answers on port {busy})",
                    remediation=f"choose an unused IP outside the DHCP range for the {what}",
                    check="tinkerbell-ip-in-use",
                )
            )
    return findings


def preflight(
    spec: ClusterSpec,
    env: Mapping[str, str],
    *,
    skip_ip_check: bool = False,
    bmc_timeout: float = 10.0,
    rolling_upgrade: bool = False,
    probe_ports: Iterable[int] = PROBE_PORTS,
) -> list[Finding]:
    """Every Tinkerbell preflight finding (see the module docstring)."""
    machines, findings = read_hardware(spec.hardware_csv)
    if machines:
        findings += check_inventory(spec, machines, rolling_upgrade=rolling_upgrade)
        targets = bmc_targets(machines, env)
        findings += check_bmcs(
            targets,
            timeout=bmc_timeout,
            max_parallel=max(1, min(len(targets), 32)),
            verify=not insecure_tls(env),
        )
    if not skip_ip_check:
        findings += address_findings(spec, probe_ports)
    return findings
