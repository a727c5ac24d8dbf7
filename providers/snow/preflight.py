"""The Snow preflight against the devices, as EKS-A's ``pkg/providers/snow/validator.go``
runs it: the two credential files (``credentials.load_credentials``), a profile for every
device a machine config lists, then per device, all devices in parallel: reachable, TLS
verified with the CA bundle, the keys accepted, unlocked (``DescribeDevice``), device
software at least version 102 (``DescribeDeviceSoftware``), and, through its EC2 API, each
machine config's AMI present and each named key pair present (an empty ``sshKeyName`` gets
EKS-A's default key pair, imported by ``prepare_infrastructure``: nothing to check here).
The spec side adds the SnowIPPool capacity: a pool referenced by static-IP interfaces must
hold an address for every machine using it (plus one for a rolling upgrade's surge).

Every finding names the machine config field or the device and gives the fix; all are
returned together and nothing is changed.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from eksa_temporal.providers.snow.credentials import (
    CA_BUNDLES_ENV,
    CREDENTIALS_ENV,
    SnowCredentials,
    load_credentials,
)
from eksa_temporal.providers.snow.devices import DeviceClient, DeviceError
from eksa_temporal.spec.clusterspec import ClusterSpec
from eksa_temporal.spec.findings import Finding
from eksa_temporal.spec.snow import SnowIPPool, SnowMachineConfig

MIN_SOFTWARE_VERSION = 102
REMEDY = {
    "unreachable": "check the device is powered on, unlocked and reachable from this host on ports 8243 and 9092",
    "tls": f"put the device's certificate (snowballEdge get-certificate) in the file {CA_BUNDLES_ENV} names",
    "auth": f"fix the device's profile in the file {CREDENTIALS_ENV} names (snowballEdge list-access-keys / get-secret-access-key)",
    "api": "check the device's state with the Snowball Edge client",
}


@dataclass
class DeviceNeeds:
    """What the spec needs from one device: AMIs and key pairs, each with the machine
    config paths that name it."""

    amis: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    keys: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    users: list[str] = field(default_factory=list)


def machine_configs(spec: ClusterSpec) -> list[SnowMachineConfig]:
    return spec.machine_configs_of(SnowMachineConfig)


def device_needs(spec: ClusterSpec) -> dict[str, DeviceNeeds]:
    needs: dict[str, DeviceNeeds] = defaultdict(DeviceNeeds)
    for mc in machine_configs(spec):
        for i, ip in enumerate(mc.spec.devices or []):
            need = needs[str(ip)]
            need.users.append(f"SnowMachineConfig/{mc.name}.spec.devices[{i}]")
            if mc.spec.ami_id:
                need.amis[str(mc.spec.ami_id)].append(f"SnowMachineConfig/{mc.name}.spec.amiID")
            if mc.spec.ssh_key_name:
                need.keys[str(mc.spec.ssh_key_name)].append(f"SnowMachineConfig/{mc.name}.spec.sshKeyName")
    return dict(needs)


def _device_error(ip: str, path: str, exc: DeviceError) -> Finding:
    return Finding(path=path, message=f"device [{ip}]: {exc.message}", remediation=REMEDY[exc.kind], check=f"snow-device-{exc.kind}")


def check_device(client: DeviceClient, need: DeviceNeeds) -> list[Finding]:
    """Every check of one device (see the module docstring); stops at the first refused call."""
    ip, where = client.ip, need.users[0]
    found: list[Finding] = []
    try:
        if not client.unlocked():
            return [Finding(path=where, message=f"device [{ip}] is not unlocked", remediation="unlock the device (snowballEdge unlock-device) before you proceed", check="snow-device-unlocked")]
        version = client.software_version()
        if not version.isdigit() or int(version) < MIN_SOFTWARE_VERSION:
            found.append(Finding(path=where, message=f"the software version installed [{version}] on device [{ip}] is below the minimum supported version [{MIN_SOFTWARE_VERSION}]", remediation="update the device software (snowballEdge download-updates / install-updates)", check="snow-device-software"))
        for ami, paths in sorted(need.amis.items()):
            if not client.image_exists(ami):
                found.append(Finding(path=paths[0], message=f"aws image [{ami}] does not exist on snow device [{ip}]", remediation="import the EKS-A node AMI onto the device or set amiID to an image the device lists (aws ec2 describe-images --endpoint https://<device-ip>:8243)", check="snow-ami"))
        for key, paths in sorted(need.keys.items()):
            if not client.key_pair_exists(key):
                found.append(Finding(path=paths[0], message=f"aws key pair [{key}] does not exist on snow device [deviceIP={ip}]", remediation="import the key pair on the device, or leave sshKeyName empty to have a default key pair created", check="snow-key-pair"))
    except DeviceError as exc:
        found.append(_device_error(ip, where, exc))
    return found


def _pool_size(pool: SnowIPPool) -> int:
    total = 0
    for entry in pool.spec.pools or []:
        try:
            total += int(ipaddress.ip_address(entry.ip_end)) - int(ipaddress.ip_address(entry.ip_start)) + 1
        except ValueError:
            continue  # the static rules report unreadable pools
    return max(total, 0)


def pool_findings(spec: ClusterSpec) -> list[Finding]:
    """A SnowIPPool must hold an address per machine whose interfaces draw from it, plus
    one per group for a rolling upgrade's extra machine."""
    counts: dict[str, int] = {}
    machines: dict[str, int] = {}
    conf = spec.cluster.spec.control_plane_configuration
    groups: list[tuple[str | None, int]] = [(conf.machine_group_ref.name if conf.machine_group_ref else None, int(conf.count or 1))]
    etcd = spec.cluster.spec.external_etcd_configuration
    if etcd is not None:
        groups.append((etcd.machine_group_ref.name if etcd.machine_group_ref else None, int(etcd.count or 3)))
    for g in spec.cluster.workers:
        groups.append((g.machine_group_ref.name if g.machine_group_ref else None, int(g.count if g.count is not None else 1)))
    for name, count in groups:
        mc = spec.machine_configs.get(name or "")
        if not isinstance(mc, SnowMachineConfig) or mc.spec.network is None:
            continue
        for dni in mc.spec.network.direct_network_interfaces or []:
            if dni.ip_pool_ref is not None and dni.ip_pool_ref.name:
                counts[dni.ip_pool_ref.name] = counts.get(dni.ip_pool_ref.name, 0) + count + 1
                machines[dni.ip_pool_ref.name] = machines.get(dni.ip_pool_ref.name, 0) + count
    out: list[Finding] = []
    for name, needed in sorted(counts.items()):
        pool = spec.snow_ip_pools.get(name)
        if pool is None:
            continue  # the static rules report a missing pool
        size = _pool_size(pool)
        if size < needed:
            out.append(Finding(path=f"SnowIPPool/{name}.spec.pools", message=f"SnowIPPool {name} has {size} addresses; {machines[name]} machines use it and a rolling upgrade needs {needed}", remediation="widen ipStart..ipEnd or add a pool range", check="snow-ip-pool-capacity"))
    return out


def preflight(spec: ClusterSpec, env: Mapping[str, str], timeout: float = 10.0) -> list[Finding]:
    """Every Snow check (see the module docstring), all findings together."""
    creds, findings = load_credentials(env)
    findings = list(findings) + pool_findings(spec)
    if creds is None:
        return findings
    needs = device_needs(spec)
    findings += missing_profiles(creds, needs)
    clients = [
        (DeviceClient(ip, keys, creds.ca_bundles_file, timeout), needs[ip])
        for ip in sorted(needs)
        if (keys := creds.keys_for(ip)) is not None
    ]
    if clients:
        with ThreadPoolExecutor(max_workers=min(8, len(clients)), thread_name_prefix="snow-preflight") as pool:
            for result in pool.map(lambda pair: check_device(*pair), clients):
                findings += result
    return findings


def missing_profiles(creds: SnowCredentials, needs: Mapping[str, DeviceNeeds]) -> list[Finding]:
    return [
        Finding(path=need.users[0], message=f"credentials not found for device [{ip}]", remediation=f"add a [{ip}] profile to the file {CREDENTIALS_ENV} names", check="snow-credentials")
        for ip, need in sorted(needs.items())
        if creds.keys_for(ip) is None
    ]
