"""EKS-A's network rules for a ``Cluster``: CNI (exactly one plugin, Cilium options), pod
and service CIDRs (valid, one block each, not overlapping, node mask), the control-plane
endpoint against those ranges, proxy and registry mirror settings. Called by
``eksa_temporal.spec.validate_cluster.validate_cluster``.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from eksa_temporal.spec.cluster import Cluster, ClusterNetwork
from eksa_temporal.spec.rules_util import (
    Collector,
    is_domain,
    is_ip,
    is_port,
    parse_cidr,
    split_host_port,
)

CURATED_PACKAGES_REGISTRY = re.compile(r"^.*\.dkr\.ecr\..*\.amazonaws\.com$")
NET = "spec.clusterNetwork"
CP = "spec.controlPlaneConfiguration"


def _cni(c: Collector, network: ClusterNetwork, datacenter_kind: str) -> None:
    kindnetd = network.cni == "kindnetd" or (
        network.cni_config is not None and network.cni_config.kindnetd is not None
    )
    if kindnetd and datacenter_kind != "DockerDatacenterConfig":
        c.error(
            f"{NET}.cniConfig",
            "kindnetd is only supported on Docker provider for development and testing. For all other providers please use Cilium CNI",
            "use cniConfig: {cilium: {}}",
        )
    if network.cni:
        if network.cni_config is not None:
            c.error(
                f"{NET}.cni",
                "invalid format for cni plugin: both old and new formats used, use only the CNIConfig field",
                "keep only cniConfig",
            )
        else:
            c.error(
                f"{NET}.cni",
                f"cni {network.cni} not supported",
                "use cniConfig with cilium or kindnetd",
            )
        return
    config = network.cni_config
    plugins = (
        [] if config is None else [p for p in (config.cilium, config.kindnetd) if p is not None]
    )
    if not plugins:
        c.error(
            f"{NET}.cniConfig",
            "validating cniConfig: no cni plugin specified",
            "set clusterNetwork.cniConfig.cilium: {}",
        )
    elif len(plugins) > 1:
        c.error(
            f"{NET}.cniConfig",
            "cannot specify more than one CNI plugin",
            "keep exactly one of cilium, kindnetd",
        )
    cilium = config.cilium if config else None
    if cilium is None:
        return
    path = f"{NET}.cniConfig.cilium"
    if cilium.skip_upgrade and cilium.policy_enforcement_mode:
        c.error(
            f"{path}.policyEnforcementMode",
            "when using skipUpgrades for cilium all other fields must be empty",
            "remove policyEnforcementMode or skipUpgrade",
        )
    if cilium.policy_enforcement_mode not in (None, "", "default", "always", "never"):
        c.error(
            f"{path}.policyEnforcementMode",
            f"cilium policyEnforcementMode {cilium.policy_enforcement_mode} not supported",
            "use default, always or never",
        )
    if cilium.routing_mode == "direct" and not cilium.ipv4_native_routing_cidr:
        c.error(
            f"{path}.ipv4NativeRoutingCIDR",
            "direct routing mode requires IPv4NativeRoutingCIDR to be set",
            "set ipv4NativeRoutingCIDR (e.g. the pod CIDR)",
        )
    if cilium.routing_mode not in (None, "", "overlay", "direct"):
        c.error(
            f"{path}.routingMode",
            f"cilium routingMode {cilium.routing_mode} not supported",
            "use overlay or direct",
        )
    for key, value in (
        ("ipv4NativeRoutingCIDR", cilium.ipv4_native_routing_cidr),
        ("ipv6NativeRoutingCIDR", cilium.ipv6_native_routing_cidr),
    ):
        if value:
            if cilium.routing_mode != "direct":
                c.error(
                    f"{path}.{key}",
                    f"{key} can only be set with routingMode direct",
                    "set routingMode: direct or remove it",
                )
            if parse_cidr(value) is None:
                c.error(f"{path}.{key}", f"{value} is not a valid CIDR", "e.g. 10.0.0.0/8")


def network_rules(c: Collector, cluster: Cluster) -> None:
    network = cluster.spec.cluster_network
    _cni(c, network, cluster.spec.datacenter_ref.kind)
    nets: dict[str, ipaddress.IPv4Network | ipaddress.IPv6Network] = {}
    for key, blocks in (("pods", network.pods), ("services", network.services)):
        cidrs = (blocks.cidr_blocks if blocks else None) or []
        path = f"{NET}.{key}.cidrBlocks"
        if not cidrs:
            c.error(
                path,
                f"{key} CIDR block not specified or empty",
                f"set clusterNetwork.{key}.cidrBlocks",
            )
            continue
        if len(cidrs) > 1:
            c.error(
                path, f"multiple CIDR blocks for {key} are not yet supported", "keep one CIDR block"
            )
        parsed = parse_cidr(cidrs[0])
        if parsed is None:
            c.error(
                f"{path}[0]",
                f"invalid CIDR block format for {key}: {cidrs[0]}"
                if cidrs[0]
                else f"the {key} CIDR block is empty",
                "use a CIDR such as 192.168.0.0/16",
            )
            continue
        nets[key] = parsed
    pods, services = nets.get("pods"), nets.get("services")
    same_family = pods is not None and services is not None and pods.version == services.version
    if same_family and pods.overlaps(services):  # type: ignore[arg-type,union-attr]
        c.error(
            f"{NET}.services.cidrBlocks[0]",
            f"pods CIDR {pods} and services CIDR {services} overlap",
            "choose non-overlapping ranges",
        )
    if pods is not None:
        node_mask = 24 if pods.version == 4 else 64
        if network.nodes is not None and network.nodes.cidr_mask_size is not None:
            node_mask = network.nodes.cidr_mask_size
        if pods.prefixlen >= node_mask:
            c.error(
                f"{NET}.pods.cidrBlocks[0]",
                f"the size of pod subnet with mask {pods.prefixlen} is smaller than or equal to the size of node subnet with mask {node_mask}",
                "use a larger pod subnet or a smaller node mask",
            )
        elif node_mask - pods.prefixlen > 16:
            c.error(
                f"{NET}.pods.cidrBlocks[0]",
                f"pod subnet mask ({pods.prefixlen}) and node-mask ({node_mask}) difference is greater than 16",
                "use a smaller pod subnet",
            )
    _endpoint_in_ranges(c, cluster, nets)


def _endpoint_in_ranges(
    c: Collector,
    cluster: Cluster,
    nets: dict[str, ipaddress.IPv4Network | ipaddress.IPv6Network],
) -> None:
    """Snow (EKS-A): the endpoint must be an IP outside pods/services (an error); other
    providers: the same overlap is only a warning (our addition)."""
    endpoint = cluster.spec.control_plane_configuration.endpoint
    host = endpoint.host if endpoint else ""
    snow = cluster.spec.datacenter_ref.kind == "SnowDatacenterConfig"
    if snow and host and not is_ip(host):
        c.error(
            f"{CP}.endpoint.host",
            f"control plane endpoint {host} is invalid",
            "use the control plane's IP address",
        )
        return
    if not host or not is_ip(host.split(":")[0]):
        return
    address = ipaddress.ip_address(host.split(":")[0])
    for key, net in nets.items():
        if address.version == net.version and address in net:
            report = c.error if snow else c.warn
            report(
                f"{CP}.endpoint.host",
                f"control plane endpoint {host} conflicts with {key} CIDR block {net}",
                "use an address outside the pod and service ranges",
            )


def is_resolvable_name(host: str) -> bool:
    """Static stand-in for EKS-A's DNS lookup of a proxy host: an IP, or a DNS name whose
    top-level label is not all digits (``0.0.0.1234`` is neither an IP nor a name)."""
    if is_ip(host):
        return True
    name = host.rstrip(".")
    return is_domain(name) and not name.rsplit(".", 1)[-1].isdigit()


def _proxy_address(c: Collector, path: str, value: str) -> None:
    """EKS-A's ``validateProxyData``: ``host:port`` or an ``http(s)://host:port`` URL, the
    host an IP or a resolvable name (checked statically here), the port 1-65535."""
    host_port = value
    if value.startswith("http"):
        try:
            parts = urlsplit(value)
        except ValueError:
            parts = None
        if parts is None or not parts.scheme or not value.split(":", 1)[-1].startswith("//"):
            c.error(
                path,
                f"proxy {value} is invalid, please provide a valid URI",
                "use http://host:port",
            )
            return
        host_port = parts.netloc.rsplit("@", 1)[-1]
    split = split_host_port(host_port)
    if split is None or not split[0]:
        c.error(
            path,
            f"proxy endpoint {value} is invalid, please provide a valid proxy address",
            "use host:port or http://host:port",
        )
    elif not is_resolvable_name(split[0]):
        c.error(
            path,
            f"proxy endpoint {split[0]} is invalid, please provide a valid proxy domain name or ip",
            "use the proxy's IP address or DNS name",
        )
    elif not split[1]:
        c.error(
            path,
            f"proxy endpoint {value} has no port, please provide a valid proxy port",
            "add the port, e.g. :3128",
        )
    elif not is_port(split[1]):
        c.error(
            path,
            f"proxy port {split[1]} is invalid, please provide a valid proxy port",
            "use a port between 1 and 65535",
        )


def proxy_rules(c: Collector, cluster: Cluster) -> None:
    proxy = cluster.spec.proxy_configuration
    if proxy is None:
        return
    path = "spec.proxyConfiguration"
    if not proxy.http_proxy:
        c.error(
            f"{path}.httpProxy",
            "no value set for httpProxy",
            "set proxyConfiguration.httpProxy to host:port",
        )
    else:
        _proxy_address(c, f"{path}.httpProxy", proxy.http_proxy)
    if not proxy.https_proxy:
        c.error(
            f"{path}.httpsProxy",
            "no value set for httpsProxy",
            "set proxyConfiguration.httpsProxy to host:port",
        )
    else:
        _proxy_address(c, f"{path}.httpsProxy", proxy.https_proxy)


def registry_mirror_rules(c: Collector, cluster: Cluster) -> None:
    mirror = cluster.spec.registry_mirror_configuration
    if mirror is None:
        return
    path = "spec.registryMirrorConfiguration"
    if not mirror.endpoint:
        c.error(
            f"{path}.endpoint",
            "no value set for RegistryMirrorConfiguration.Endpoint",
            "set the mirror's host or IP",
        )
    if not is_port((mirror.port or "443").lstrip("+")):
        c.error(
            f"{path}.port",
            f"registry mirror port {mirror.port} is invalid, please provide a valid port",
            "use a port between 1 and 65535",
        )
    if mirror.ca_cert_content and "-----BEGIN CERTIFICATE-----" not in mirror.ca_cert_content:
        c.error(
            f"{path}.caCertContent",
            "caCertContent is not a PEM certificate",
            "paste the registry's CA certificate (-----BEGIN CERTIFICATE----- ...)",
        )
    ecr = 0
    for i, ns in enumerate(mirror.oci_namespaces or []):
        if not ns.registry:
            c.error(
                f"{path}.ociNamespaces[{i}].registry",
                "registry can't be set to empty in OCINamespaces",
                "name the upstream registry, e.g. public.ecr.aws",
            )
        if CURATED_PACKAGES_REGISTRY.match(ns.registry):
            ecr += 1
    if ecr > 1:
        c.error(
            f"{path}.ociNamespaces",
            "only one registry mirror for curated packages is suppported",
            "keep one",
        )
