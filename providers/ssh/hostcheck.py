"""Facts about SSH hosts and the preflight checks on them.

``host_facts`` reads, in one command, what a host is (hostname, machine-id, OS release,
the address it answered SSH on, that interface's MAC) and what it has (CPUs, memory, swap,
free disk on ``/var/lib``, listening TCP ports, clock). ``check_hosts`` connects to every
host in parallel (one connection each), compares the facts with ``HostRequirements`` and
returns one ``Finding`` per problem, each naming the host; a host it cannot reach or log
in to gives one ``ssh-access`` finding. Nothing on the hosts is changed.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pydantic import BaseModel, ConfigDict

from eksa_temporal.errors import PermanentError
from eksa_temporal.logs import get_logger
from eksa_temporal.providers.ssh.hosts import HostUnreachable, RemoteCommandFailed, SSHHost
from eksa_temporal.providers.ssh.session import HostSession, connect
from eksa_temporal.spec.findings import Finding, Severity

log = get_logger(__name__)

CONTROL_PLANE_PORTS = (6443, 2379, 2380, 10250)
WORKER_PORTS = (10250,)
DEFAULT_PARALLEL = 16
_SECTION = "--eksa-section--"
_WILDCARD = {"0.0.0.0", "::"}

_FACTS_SCRIPT = r"""
echo "hostname=$(hostname)"
echo "machine_id=$(cat /etc/machine-id 2>/dev/null)"
if [ -r /etc/os-release ]; then . /etc/os-release; fi
echo "os_id=${ID:-}"; echo "os_version=${VERSION_ID:-}"; echo "os_pretty=${PRETTY_NAME:-}"
set -- ${SSH_CONNECTION:-}
addr="${3:-}"
echo "address=$addr"
iface=""
if [ -n "$addr" ] && command -v ip >/dev/null 2>&1; then
  iface=$(ip -o route get "$addr" 2>/dev/null | sed -n 's/.* dev \([^ ]*\).*/\1/p')
fi
echo "interface=$iface"
echo "mac=$(cat /sys/class/net/"$iface"/address 2>/dev/null)"
echo "cpus=$(nproc 2>/dev/null)"
echo "memory_kib=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo 2>/dev/null)"
echo "swap_devices=$(tail -n +2 /proc/swaps 2>/dev/null | wc -l)"
echo "disk_free_kib=$(df -Pk /var/lib 2>/dev/null | awk 'NR==2 {print $4}')"
echo "clock=$(date +%s.%N)"
echo __SECTION__
cat /proc/net/tcp /proc/net/tcp6 2>/dev/null
""".replace("__SECTION__", _SECTION)


class HostRequirements(BaseModel):
    """What a host needs (from its machine config): ``memory_mib`` allows 5% below (the
    kernel's reserve), ``disk_gib`` is free space on ``/var/lib``; control-plane hosts need
    ``CONTROL_PLANE_PORTS`` free, workers ``WORKER_PORTS``."""

    model_config = ConfigDict(frozen=True)

    cpus: int = 2
    memory_mib: int = 2048
    disk_gib: float = 10.0
    control_plane: bool = False
    max_clock_skew_seconds: float = 2.0
    os_ids: tuple[str, ...] = (
        "ubuntu", "debian", "rhel", "rocky", "centos", "almalinux", "amzn", "sles", "flatcar",
    )

    @property
    def ports(self) -> tuple[int, ...]:
        return CONTROL_PLANE_PORTS if self.control_plane else WORKER_PORTS


def host_facts(session: HostSession) -> dict[str, Any]:
    """What the session's host is and has (one command; nothing changed)."""
    before = time.time()
    res = session.run(_FACTS_SCRIPT, check=True, log_output=False)
    after = time.time()
    head, _, tcp = res.text.partition(f"{_SECTION}\n")
    raw = dict(line.split("=", 1) for line in head.splitlines() if "=" in line)
    remote_clock = _float(raw.get("clock", ""))
    return {
        "hostname": raw.get("hostname", ""),
        "machine_id": raw.get("machine_id", ""),
        "os_id": raw.get("os_id", ""),
        "os_version": raw.get("os_version", ""),
        "os_pretty": raw.get("os_pretty", ""),
        "address": raw.get("address", "") or session.host.address,
        "interface": raw.get("interface", ""),
        "mac": raw.get("mac", ""),
        "cpus": int(_float(raw.get("cpus", "")) or 0),
        "memory_mib": int((_float(raw.get("memory_kib", "")) or 0) // 1024),
        "swap_on": int(_float(raw.get("swap_devices", "")) or 0) > 0,
        "disk_free_gib": round((_float(raw.get("disk_free_kib", "")) or 0) / 1024 / 1024, 2),
        "listening": sorted(set(_listening(tcp))),
        "clock_skew_seconds": (
            round(remote_clock - (before + after) / 2, 3) if remote_clock is not None else None
        ),
        "clock_uncertainty_seconds": round((after - before) / 2, 3),
    }


def _float(text: str) -> float | None:
    try:
        return float(text.strip())
    except ValueError:
        return None


def _listening(proc_net_tcp: str) -> list[str]:
    """``address:port`` of each listening socket in ``/proc/net/tcp{,6}`` text."""
    out: list[str] = []
    for line in proc_net_tcp.splitlines():
        fields = line.split()
        if len(fields) < 4 or fields[3] != "0A" or ":" not in fields[1]:
            continue
        hex_addr, hex_port = fields[1].split(":")
        try:
            raw = bytes.fromhex(hex_addr)
            port = int(hex_port, 16)
        except ValueError:
            continue
        # the kernel prints each 32-bit word in host (little-endian) order
        words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
        addr: ipaddress.IPv4Address | ipaddress.IPv6Address
        if len(words) == 4:
            addr = ipaddress.IPv4Address(words)
        elif len(words) == 16:
            addr = ipaddress.IPv6Address(words)
            if addr.ipv4_mapped is not None:
                addr = addr.ipv4_mapped
        else:
            continue
        out.append(f"{addr}:{port}")
    return out


def evaluate(host: SSHHost, facts: Mapping[str, Any], req: HostRequirements) -> list[Finding]:
    """The findings for one host's facts against its requirements."""
    findings: list[Finding] = []

    def add(check: str, message: str, remediation: str) -> None:
        findings.append(_finding(host, check, message, remediation))

    os_id = str(facts.get("os_id", ""))
    if os_id not in req.os_ids:
        add("ssh-os", f"OS {facts.get('os_pretty') or os_id or 'unknown'} is not supported",
            f"use a host running one of: {', '.join(req.os_ids)}")
    cpus = int(facts.get("cpus", 0))
    if cpus < req.cpus:
        add("ssh-cpu", f"has {cpus} CPUs, the machine config needs {req.cpus}",
            "use a larger host or lower numCPUs in the machine config")
    memory = int(facts.get("memory_mib", 0))
    if memory < req.memory_mib * 0.95:
        add("ssh-memory", f"has {memory} MiB memory, the machine config needs {req.memory_mib} MiB",
            "use a larger host or lower memoryMiB in the machine config")
    if facts.get("swap_on"):
        add("ssh-swap", "swap is on (the kubelet refuses to start with swap)",
            "turn swap off (`swapoff -a` and remove it from /etc/fstab)")
    disk = float(facts.get("disk_free_gib", 0.0))
    if disk < req.disk_gib:
        add("ssh-disk", f"has {disk} GiB free on /var/lib, needs {req.disk_gib} GiB",
            "free space on /var/lib or use a host with a larger disk")
    own = {str(facts.get("address", "")), *_WILDCARD}
    listening = [str(x) for x in facts.get("listening", [])]
    for port in req.ports:
        users = sorted(x for x in listening if x.rsplit(":", 1)[1] == str(port) and x.rsplit(":", 1)[0] in own)
        if users:
            add("ssh-ports", f"port {port} is in use ({', '.join(users)})",
                f"stop what listens on port {port}; Kubernetes needs it on this host")
    skew = facts.get("clock_skew_seconds")
    slack = float(facts.get("clock_uncertainty_seconds", 0.0))
    if skew is None:
        add("ssh-clock", "the host's clock could not be read", "check `date` works on the host")
    elif abs(float(skew)) - slack > req.max_clock_skew_seconds:
        add("ssh-clock", f"clock differs from the worker's by {float(skew):+.1f} s "
            f"(at most {req.max_clock_skew_seconds} s allowed)",
            "synchronise the host's clock (NTP / chrony)")
    return findings


def _finding(host: SSHHost, check: str, message: str, remediation: str) -> Finding:
    return Finding(
        path=f"SSHHost/{host.name}",
        message=f"host {host.target}: {message}",
        remediation=remediation,
        check=check,
        severity=Severity.ERROR,
    )


def check_hosts(
    hosts: Sequence[SSHHost],
    requirements: HostRequirements | Mapping[str, HostRequirements],
    *,
    timeout: float = 10.0,
    max_workers: int = DEFAULT_PARALLEL,
) -> list[Finding]:
    """Preflight every host in parallel; ``requirements`` for all hosts, or by host name."""

    def one(host: SSHHost) -> list[Finding]:
        req = requirements if isinstance(requirements, HostRequirements) else requirements.get(host.name)
        if req is None:
            req = HostRequirements()
        return _check_one(host, req, timeout)

    if not hosts:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(hosts)))) as pool:
        per_host = list(pool.map(one, hosts))
    findings = [f for fs in per_host for f in fs]
    log.info("ssh host checks", hosts=len(hosts), findings=len(findings))
    return findings


def _check_one(host: SSHHost, req: HostRequirements, timeout: float) -> list[Finding]:
    try:
        with connect(host, timeout=timeout) as session:
            facts = host_facts(session)
    except PermanentError as exc:
        message, _, fix = exc.message.partition(" (fix: ")
        return [Finding(path=f"SSHHost/{host.name}", message=message, remediation=fix.removesuffix(")"),
                        check="ssh-access")]
    except (HostUnreachable, RemoteCommandFailed) as exc:
        return [Finding(path=f"SSHHost/{host.name}", message=str(exc),
                        remediation="check the host is up and sshd listens on its address and port",
                        check="ssh-access")]
    return evaluate(host, facts, req)
