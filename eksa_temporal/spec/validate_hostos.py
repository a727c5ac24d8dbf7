"""EKS-A's ``hostOSConfiguration`` rules (``validateHostOSConfig``), shared by the vSphere,
Tinkerbell and Snow machine configs: NTP servers, certificate bundles and Bottlerocket
settings (the last two only with osFamily bottlerocket). The block is kept as free YAML in
the models, so these rules read plain mappings. Called by the provider rule modules.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from eksa_temporal.spec.rules_util import Collector, is_ip

PATH = "spec.hostOSConfiguration"
PEM_CERT = "-----BEGIN CERTIFICATE-----"


def _ntp_server_ok(server: str) -> bool:
    if "://" in server:
        url = server
    elif is_ip(server) and ":" in server:
        url = f"udp://[{server}]"
    else:
        url = f"udp://{server}"
    try:
        parts = urlsplit(url)
        return bool(parts.scheme and parts.netloc and parts.hostname)
    except ValueError:
        return False


def _ntp(c: Collector, ntp: Any) -> None:
    if not isinstance(ntp, dict):
        return
    servers = ntp.get("servers") or []
    if not servers:
        c.error(
            f"{PATH}.ntpConfiguration.servers",
            "NTPConfiguration.Servers can not be empty",
            "list at least one NTP server",
        )
        return
    bad = [str(s) for s in servers if not isinstance(s, str) or not _ntp_server_ok(s)]
    if bad:
        c.error(
            f"{PATH}.ntpConfiguration.servers",
            f"ntp servers [{', '.join(bad)}] is not valid",
            "use host names, IPs or URLs such as time.example.com",
        )


def _cert_bundles(c: Collector, bundles: Any, family: str) -> None:
    for i, bundle in enumerate(bundles if isinstance(bundles, list) else []):
        path = f"{PATH}.certBundles[{i}]"
        if family != "bottlerocket":
            c.error(
                path,
                'CertBundles can only be used with osFamily: "bottlerocket"',
                "remove certBundles or use osFamily bottlerocket",
            )
            return
        if not isinstance(bundle, dict):
            continue
        if not bundle.get("name"):
            c.error(f"{path}.name", "certBundles name cannot be empty", "name the bundle")
        data = bundle.get("data")
        if not isinstance(data, str) or PEM_CERT not in data:
            c.error(
                f"{path}.data", "failed to parse certificate PEM", "paste PEM-encoded certificates"
            )


def _bottlerocket(c: Collector, config: Any, family: str) -> None:
    if not isinstance(config, dict):
        return
    path = f"{PATH}.bottlerocketConfiguration"
    if family != "bottlerocket":
        c.error(
            path,
            'BottlerocketConfiguration can only be used with osFamily: "bottlerocket"',
            "remove it or use osFamily bottlerocket",
        )
        return
    kube = config.get("kubernetes")
    if isinstance(kube, dict):
        if any(v == "" for v in kube.get("allowedUnsafeSysctls") or []):
            c.error(
                f"{path}.kubernetes.allowedUnsafeSysctls",
                'BottlerocketConfiguration.Kubernetes.AllowedUnsafeSysctls can not have an empty string ("")',
                "remove the empty entry",
            )
        for ip in kube.get("clusterDNSIPs") or []:
            if not (isinstance(ip, str) and is_ip(ip)):
                c.error(
                    f"{path}.kubernetes.clusterDNSIPs",
                    f"IP address [{ip}] in BottlerocketConfiguration.Kubernetes.ClusterDNSIPs is not a valid IP",
                    "use IP addresses",
                )
        max_pods = kube.get("maxPods")
        if isinstance(max_pods, int) and max_pods < 0:
            c.error(
                f"{path}.kubernetes.maxPods",
                "BottlerocketConfiguration.Kubernetes.MaxPods can not be negative",
                "use 0 or more",
            )
    for section, key, message in (
        ("kernel", "sysctlSettings", "sysctlSettings key cannot be empty"),
        ("boot", "bootKernelParameters", "bootKernelParameters key cannot be empty"),
    ):
        block = config.get(section)
        values = block.get(key) if isinstance(block, dict) else None
        if isinstance(values, dict) and "" in values:
            c.error(f"{path}.{section}.{key}", message, "remove the empty key")


def host_os_rules(c: Collector, config: dict[str, Any] | None, family: str | None) -> None:
    if not config:
        return
    _ntp(c, config.get("ntpConfiguration"))
    _cert_bundles(c, config.get("certBundles"), family or "")
    _bottlerocket(c, config.get("bottlerocketConfiguration"), family or "")
