"""The bare-metal hardware inventory: EKS-A's hardware CSV parsed into ``Machine`` rows, the
static rules on them, the check that the cluster spec's hardware selectors are satisfied by
the inventory, and the Tinkerbell objects (``Hardware``, BMC ``Machine``, auth ``Secret``)
made from each row.

Columns follow EKS-A's ``hardware.Machine`` CSV tags: ``hostname``, ``mac``, ``ip_address``,
``netmask``, ``gateway``, ``nameservers`` (``|``-separated), ``labels``
(``key=value|key2=value2``) and ``disk`` are required headers; ``bmc_ip``, ``bmc_username``,
``bmc_password`` and ``vlan_id`` are optional (a row has a BMC when any BMC cell is set).
Unknown columns are ignored. Every finding names the CSV row (1-based, the header is row 1)
and the column.
"""

from __future__ import annotations

import csv
import hashlib
import io
import ipaddress
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, SecretStr

from eksa_temporal.spec.clusterspec import ClusterSpec, HardwareCsvRef
from eksa_temporal.spec.findings import Finding
from eksa_temporal.spec.tinkerbell import TinkerbellMachineConfig

NAMESPACE = "eksa-system"
REQUIRED_COLUMNS = (
    "hostname",
    "mac",
    "ip_address",
    "netmask",
    "gateway",
    "nameservers",
    "labels",
    "disk",
)
OPTIONAL_COLUMNS = ("bmc_ip", "bmc_username", "bmc_password", "vlan_id")
CHECK = "tinkerbell-hardware"

_MAC = re.compile(r"^[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(\1[0-9A-Fa-f]{2}){4}$")
_DISK = re.compile(r"^(/dev/[\w-]+)+$")
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


class Machine(BaseModel):
    """One CSV row. ``bmc_password`` is a ``SecretStr``: never shown by repr/str."""

    model_config = ConfigDict(frozen=True)

    row: int
    hostname: str
    mac: str
    ip_address: str
    netmask: str
    gateway: str
    nameservers: tuple[str, ...]
    labels: tuple[tuple[str, str], ...] = ()
    disk: str
    bmc_ip: str = ""
    bmc_username: str = ""
    bmc_password: SecretStr = SecretStr("")
    vlan_id: str = ""

    @property
    def label_map(self) -> dict[str, str]:
        return dict(self.labels)

    @property
    def has_bmc(self) -> bool:
        """EKS-A's ``HasBMC``: any BMC cell set."""
        return bool(self.bmc_ip or self.bmc_username or self.bmc_password.get_secret_value())

    @property
    def bmc_name(self) -> str:
        return f"bmc-{self.hostname}"

    @property
    def secret_name(self) -> str:
        return f"bmc-{self.hostname}-auth"


def _finding(row: int, column: str, message: str, remediation: str = "") -> Finding:
    return Finding(
        path=f"hardware.csv row {row}, column {column}",
        message=message,
        remediation=remediation,
        check=CHECK,
    )


def _is_ipv4(value: str) -> bool:
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return False
    return True


def _is_netmask(value: str) -> bool:
    if not _is_ipv4(value):
        return False
    bits = int(ipaddress.IPv4Address(value))
    inverted = ~bits & 0xFFFFFFFF
    return inverted & (inverted + 1) == 0  # ones then zeros


def _is_hostname(value: str) -> bool:
    """RFC 1123 subdomain (Kubernetes ``IsDNS1123Subdomain``)."""
    return len(value) <= 253 and all(_DNS1123_LABEL.match(part) for part in value.split("."))


def _label_key_problem(key: str) -> str:
    """Kubernetes ``IsQualifiedName``: ``[prefix/]name``."""
    prefix, _, name = key.rpartition("/")
    if "/" in key and (not prefix or not _is_hostname(prefix)):
        return f"label key {key!r}: the prefix must be a DNS-1123 subdomain"
    if not name or len(name) > 63 or not _QUALIFIED_NAME.match(name):
        return (
            f"label key {key!r}: the name must be 63 characters or less, start and end with "
            "an alphanumeric character, with '-', '_' or '.' between"
        )
    return ""


def _parse_labels(text: str) -> tuple[tuple[tuple[str, str], ...], list[str]]:
    """EKS-A's ``Labels.UnmarshalCSV``: ``k=v`` pairs separated by ``|``."""
    if not text:
        return (), []
    pairs: list[tuple[str, str]] = []
    problems: list[str] = []
    for item in text.split("|"):
        parts = item.split("=")
        if len(parts) != 2:
            problems.append(f"badly formatted label {item!r} (want key=value)")
            continue
        key, value = parts
        if problem := _label_key_problem(key):
            problems.append(problem)
        elif len(value) > 63 or not _LABEL_VALUE.match(value):
            problems.append(
                f"label value {value!r} of {key!r}: must be 63 characters or less, empty or "
                "start and end with an alphanumeric character"
            )
        else:
            pairs.append((key, value))
    return tuple(pairs), problems


def _row_findings(row: int, cells: Mapping[str, str]) -> list[Finding]:
    out: list[Finding] = []

    def bad(column: str, message: str, fix: str = "") -> None:
        out.append(_finding(row, column, message, fix))

    for column in ("ip_address", "gateway"):
        value = cells[column]
        if not value:
            bad(column, f"{column} is empty", "set an IPv4 address")
        elif not _is_ipv4(value):
            bad(column, f"{column} {value!r} is not a valid IPv4 address", "use e.g. 10.0.0.10")
    if not cells["netmask"]:
        bad("netmask", "netmask is empty", "set the netmask, e.g. 255.255.255.0")
    elif not _is_netmask(cells["netmask"]):
        bad(
            "netmask",
            f"netmask {cells['netmask']!r} is not a valid IPv4 netmask",
            "e.g. 255.255.255.0",
        )
    servers = cells["nameservers"].split("|") if cells["nameservers"] else []
    if not servers:
        bad("nameservers", "nameservers is empty", "list DNS servers separated by |")
    elif any(not s for s in servers):
        bad("nameservers", "nameservers contains an empty entry", "remove the empty entry")
    mac = cells["mac"]
    if not mac:
        bad("mac", "mac is empty", "set the MAC address of the boot interface")
    elif not _MAC.match(mac):
        bad("mac", f"mac {mac!r} is not a valid MAC address", "use e.g. 00:00:5e:00:53:01")
    hostname = cells["hostname"]
    if not hostname:
        bad("hostname", "hostname is empty", "set a hostname")
    elif not _is_hostname(hostname):
        bad(
            "hostname",
            f"invalid hostname: {hostname!r} is not an RFC 1123 name",
            "use lower-case letters, digits, '-' and '.'",
        )
    if not _DISK.match(cells["disk"]):
        bad(
            "disk",
            f"disk {cells['disk']!r} must be a valid linux path (^(/dev/[\\w-]+)+$)",
            "e.g. /dev/sda",
        )
    for problem in _parse_labels(cells["labels"])[1]:
        bad("labels", problem, "write labels as key=value|key2=value2")
    if cells["bmc_ip"] or cells["bmc_username"] or cells["bmc_password"]:
        if not cells["bmc_ip"]:
            bad("bmc_ip", "bmc_ip is empty (other BMC columns are set)", "set the BMC IP")
        elif not _is_ipv4(cells["bmc_ip"]):
            bad(
                "bmc_ip",
                f"bmc_ip {cells['bmc_ip']!r} is not a valid IPv4 address",
                "use e.g. 10.0.1.10",
            )
        if not cells["bmc_username"]:
            bad("bmc_username", "bmc_username is empty", "set the BMC user")
        if not cells["bmc_password"]:
            bad("bmc_password", "bmc_password is empty", "set the BMC password")
    vlan = cells["vlan_id"]
    if vlan:
        if not re.fullmatch(r"[+-]?\d+", vlan):
            bad("vlan_id", "VLANID: must be a string integer", "use a number from 1 to 4094")
        elif not 1 <= int(vlan) <= 4094:
            bad("vlan_id", "VLANID: must be between 1 and 4094", "use a number from 1 to 4094")
    return out


def _unique(rows: Sequence[tuple[int, Mapping[str, str]]], column: str, what: str) -> list[Finding]:
    seen: dict[str, list[int]] = defaultdict(list)
    for row, cells in rows:
        value = cells[column]
        if value:
            seen[value.lower() if column == "mac" else value].append(row)
    out: list[Finding] = []
    for value, where in seen.items():
        if len(where) > 1:
            listed = ", ".join(str(r) for r in where)
            for row in where:
                out.append(
                    _finding(
                        row,
                        column,
                        f"duplicate {what}: {value} (rows {listed})",
                        f"give each host its own {what}",
                    )
                )
    return out


def parse_csv(text: str) -> tuple[list[Machine], list[Finding]]:
    """The machines of a hardware CSV and the findings of EKS-A's static rules (an empty
    machine list when there are findings)."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        return [], [_finding(1, "header", "the CSV is empty", "add the header row")]
    except csv.Error as exc:
        return [], [_finding(1, "header", f"cannot parse the CSV: {exc}")]
    columns = [h.strip() for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        return [], [
            _finding(1, c, f"required column {c} is missing", "add the column to the header")
            for c in missing
        ]
    rows: list[tuple[int, dict[str, str]]] = []
    findings: list[Finding] = []
    try:
        for number, record in enumerate(reader, start=2):
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != len(columns):
                findings.append(
                    _finding(
                        number,
                        "*",
                        f"the row has {len(record)} cells, the header {len(columns)}",
                        "give every row one cell per column",
                    )
                )
                continue
            cells = dict.fromkeys(OPTIONAL_COLUMNS, "")
            cells.update({c: v.strip() for c, v in zip(columns, record, strict=True)})
            rows.append((number, cells))
    except csv.Error as exc:
        findings.append(_finding(reader.line_num, "*", f"cannot parse the CSV: {exc}"))
    for row, cells in rows:
        findings += _row_findings(row, cells)
    for column, what in (
        ("hostname", "hostname"),
        ("ip_address", "IP address"),
        ("mac", "MAC address"),
        ("bmc_ip", "BMC IP address"),
    ):
        findings += _unique(rows, column, what)
    if findings:
        findings.sort(key=lambda f: (int(f.path.split()[2].rstrip(",")), f.path))
        return [], findings
    machines = [
        Machine(
            row=row,
            hostname=c["hostname"],
            mac=c["mac"],
            ip_address=c["ip_address"],
            netmask=c["netmask"],
            gateway=c["gateway"],
            nameservers=tuple(c["nameservers"].split("|")),
            labels=_parse_labels(c["labels"])[0],
            disk=c["disk"],
            bmc_ip=c["bmc_ip"],
            bmc_username=c["bmc_username"],
            bmc_password=SecretStr(c["bmc_password"]),
            vlan_id=c["vlan_id"],
        )
        for row, c in rows
    ]
    return machines, []


def csv_sha256(path: str | Path) -> str:
    """The sha256 of a hardware CSV file (what an operation records when it starts)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read_hardware(ref: HardwareCsvRef | None) -> tuple[list[Machine], list[Finding]]:
    """The machines of the operation's hardware CSV, or one finding when no CSV was given,
    the file cannot be read, or it changed since the operation started (its sha256)."""
    where = "hardware CSV (-z/--hardware-csv)"
    if ref is None:
        return [], [
            Finding(
                path=where,
                message="the Tinkerbell provider needs the hardware CSV describing the machines and their BMCs",
                remediation="pass -z/--hardware-csv hardware.csv",
                check=CHECK,
            )
        ]
    try:
        data = Path(ref.path).read_bytes()
    except OSError as exc:
        return [], [
            Finding(
                path=where,
                message=f"cannot read {ref.path}: {exc.strerror or exc}",
                remediation="pass the path of a readable hardware CSV",
                check=CHECK,
            )
        ]
    if ref.sha256 and hashlib.sha256(data).hexdigest() != ref.sha256:
        return [], [
            Finding(
                path=where,
                message=f"{ref.path} changed since the operation started",
                remediation="restore the file, or start a new operation with the changed CSV",
                check=CHECK,
            )
        ]
    return parse_csv(data.decode("utf-8-sig", errors="replace"))


# -- the spec against the inventory ------------------------------------------------------------


def _matches(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    """EKS-A's ``LabelsMatchSelector``: every selector pair is among the labels."""
    return all(labels.get(k) == v for k, v in selector.items())


def _surge(strategy: Any) -> int:
    """The extra hosts a rolling upgrade of a group needs: its ``maxSurge`` (1 by default),
    none for an in-place upgrade."""
    if strategy is None:
        return 1
    if strategy.type == "InPlace":
        return 0
    rolling = strategy.rolling_update
    return rolling.max_surge if rolling is not None and rolling.max_surge > 0 else 1


def hardware_requirements(
    spec: ClusterSpec, rolling_upgrade: bool = False
) -> list[tuple[str, dict[str, str], int]]:
    """(where, selector, hosts needed) for the control plane, each worker group and etcd
    (EKS-A's ``MinimumHardwareAvailableAssertionForCreate``); with ``rolling_upgrade`` each
    group needs its surge too (``ExtraHardwareAvailableAssertionForRollingUpgrade``)."""
    out: list[tuple[str, dict[str, str], int]] = []
    cp = spec.cluster.spec.control_plane_configuration
    mc = spec.control_plane_machine_config
    if isinstance(mc, TinkerbellMachineConfig) and mc.spec.hardware_selector:
        extra = _surge(cp.upgrade_rollout_strategy) if rolling_upgrade else 0
        out.append(
            (
                f"TinkerbellMachineConfig/{mc.name}",
                dict(mc.spec.hardware_selector),
                cp.count + extra,
            )
        )
    for group, wmc in spec.worker_groups:
        if isinstance(wmc, TinkerbellMachineConfig) and wmc.spec.hardware_selector:
            extra = _surge(group.upgrade_rollout_strategy) if rolling_upgrade else 0
            count = group.count if group.count is not None else 1
            out.append(
                (
                    f"TinkerbellMachineConfig/{wmc.name}",
                    dict(wmc.spec.hardware_selector),
                    count + extra,
                )
            )
    etcd = spec.cluster.spec.external_etcd_configuration
    emc = spec.etcd_machine_config
    if etcd is not None and isinstance(emc, TinkerbellMachineConfig) and emc.spec.hardware_selector:
        extra = 1 if rolling_upgrade else 0
        out.append(
            (
                f"TinkerbellMachineConfig/{emc.name}",
                dict(emc.spec.hardware_selector),
                etcd.count + extra,
            )
        )
    return out


def check_inventory(
    spec: ClusterSpec, machines: Iterable[Machine], rolling_upgrade: bool = False
) -> list[Finding]:
    """Each host matches at most one selector (EKS-A's ``ValidateHardwareSatisfiesOnlyOneSelector``)
    and each selector is matched by enough hosts for its count (summed over the groups
    sharing it), counting the rolling-upgrade surge when ``rolling_upgrade``."""
    hosts = list(machines)
    requirements = hardware_requirements(spec, rolling_upgrade)
    needed: dict[tuple[tuple[str, str], ...], tuple[list[str], int]] = {}
    for where, selector, count in requirements:
        key = tuple(sorted(selector.items()))
        names, total = needed.get(key, ([], 0))
        needed[key] = ([*names, where], total + count)
    findings: list[Finding] = []
    for host in hosts:
        labels = host.label_map
        hit = [dict(k) for k in needed if _matches(dict(k), labels)]
        if len(hit) > 1:
            findings.append(
                _finding(
                    host.row,
                    "labels",
                    f"host {host.hostname} matches more than one hardware selector: "
                    + ", ".join(_shown(s) for s in hit),
                    "label each host for one machine config only",
                )
            )
    for key, (names, total) in needed.items():
        selector = dict(key)
        have = sum(1 for h in hosts if _matches(selector, h.label_map))
        if have < total:
            surge = (
                " (including the spare hosts a rolling upgrade needs)" if rolling_upgrade else ""
            )
            findings.append(
                Finding(
                    path=f"{', '.join(names)}.spec.hardwareSelector",
                    message=f"hardware selector {_shown(selector)} needs {total} hosts{surge}, "
                    f"the hardware CSV has {have}",
                    remediation=f"add {total - have} host(s) labelled {_shown(selector)}",
                    check=CHECK,
                )
            )
    return findings


def _shown(selector: Mapping[str, str]) -> str:
    return "{" + ", ".join(f"{k}={v}" for k, v in sorted(selector.items())) + "}"


# -- Tinkerbell objects -----------------------------------------------------------------------


def hardware_object(m: Machine) -> dict[str, Any]:
    """The ``tinkerbell.org/v1alpha1`` ``Hardware`` of a row (EKS-A's ``hardwareFromMachine``)."""
    dhcp: dict[str, Any] = {
        "arch": "x86_64",
        "hostname": m.hostname,
        "ip": {"address": m.ip_address, "family": 4, "gateway": m.gateway, "netmask": m.netmask},
        "lease_time": 2**32 - 2,
        "mac": m.mac,
        "name_servers": list(m.nameservers),
        "uefi": True,
    }
    if m.vlan_id:
        dhcp["vlan_id"] = m.vlan_id
    spec: dict[str, Any] = {
        "disks": [{"device": m.disk}],
        "interfaces": [{"dhcp": dhcp, "netboot": {"allowPXE": True, "allowWorkflow": True}}],
        "metadata": {
            "facility": {"facility_code": "onprem", "plan_slug": "c2.medium.x86"},
            "instance": {
                "allow_pxe": True,
                "always_pxe": True,
                "hostname": m.hostname,
                "id": m.mac,
                "ips": [
                    {
                        "address": m.ip_address,
                        "family": 4,
                        "gateway": m.gateway,
                        "netmask": m.netmask,
                        "public": True,
                    }
                ],
                "operating_system": {},
            },
        },
    }
    if m.has_bmc:
        spec["bmcRef"] = {"apiGroup": "bmc.tinkerbell.org", "kind": "Machine", "name": m.bmc_name}
    metadata: dict[str, Any] = {"name": m.hostname, "namespace": NAMESPACE}
    if m.labels:
        metadata["labels"] = m.label_map
    return {
        "apiVersion": "tinkerbell.org/v1alpha1",
        "kind": "Hardware",
        "metadata": metadata,
        "spec": spec,
    }


def bmc_machine_object(m: Machine) -> dict[str, Any]:
    """The ``bmc.tinkerbell.org/v1alpha1`` ``Machine`` of a row's BMC."""
    return {
        "apiVersion": "bmc.tinkerbell.org/v1alpha1",
        "kind": "Machine",
        "metadata": {"name": m.bmc_name, "namespace": NAMESPACE},
        "spec": {
            "connection": {
                "authSecretRef": {"name": m.secret_name, "namespace": NAMESPACE},
                "host": m.bmc_ip,
                "insecureTLS": True,
                "port": 623,
            }
        },
    }


def bmc_secret_object(m: Machine) -> dict[str, Any]:
    """The BMC auth ``Secret`` of a row WITHOUT the password: only the username is set here;
    the password is filled in by the activity that applies the objects, so it never lands
    in generated files or logs."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": m.secret_name,
            "namespace": NAMESPACE,
            "labels": {"clusterctl.cluster.x-k8s.io/move": "true"},
        },
        "type": "kubernetes.io/basic-auth",
        "stringData": {"username": m.bmc_username},
    }


def catalogue_objects(machines: Iterable[Machine]) -> list[dict[str, Any]]:
    """Every row's ``Hardware``, then the BMC ``Machine`` and ``Secret`` of rows with a BMC."""
    hosts = list(machines)
    objects = [hardware_object(m) for m in hosts]
    for m in hosts:
        if m.has_bmc:
            objects += [bmc_machine_object(m), bmc_secret_object(m)]
    return objects
