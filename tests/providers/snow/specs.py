"""Snow cluster specs for tests: ``generate clusterconfig -p snow`` with the devices, AMI,
endpoint and options of a test."""

from __future__ import annotations

from typing import Any

import yaml

from eksa_temporal.providers.registry import load_spec_plugins
from eksa_temporal.spec import generate_cluster_config
from eksa_temporal.spec.clusterspec import ClusterSpec
from eksa_temporal.spec.load import check_spec_text


def snow_yaml(
    name: str,
    devices: list[str],
    ami: str,
    *,
    endpoint: str = "127.0.15.200",
    key_name: str = "",
    workers: int = 1,
    version: str = "1.31",
    ip_pool: tuple[str, str] | None = None,
    external_etcd: bool = False,
    os_family: str = "ubuntu",
) -> str:
    """The spec text; ``ip_pool`` (start, end) makes the workers draw static IPs from a
    SnowIPPool instead of DHCP."""
    load_spec_plugins()
    docs: list[dict[str, Any]] = list(yaml.safe_load_all(generate_cluster_config(name, "snow")))
    for doc in docs:
        if doc["kind"] == "Cluster":
            doc["spec"]["kubernetesVersion"] = version
            doc["spec"]["controlPlaneConfiguration"]["endpoint"]["host"] = endpoint
            doc["spec"]["workerNodeGroupConfigurations"][0]["count"] = workers
            if external_etcd:
                doc["spec"]["externalEtcdConfiguration"] = {
                    "count": 3,
                    "machineGroupRef": {"kind": "SnowMachineConfig", "name": f"{name}-cp"},
                }
        if doc["kind"] == "SnowMachineConfig":
            doc["spec"]["devices"] = list(devices)
            doc["spec"]["amiID"] = ami
            doc["spec"]["sshKeyName"] = key_name
            doc["spec"]["osFamily"] = os_family
            if ip_pool is not None and doc["metadata"]["name"].endswith("md-0"):
                doc["spec"]["network"]["directNetworkInterfaces"] = [
                    {"index": 1, "primary": True, "ipPoolRef": {"kind": "SnowIPPool", "name": f"{name}-pool"}}
                ]
    if ip_pool is not None:
        docs.append({
            "apiVersion": "anywhere.eks.amazonaws.com/v1alpha1",
            "kind": "SnowIPPool",
            "metadata": {"name": f"{name}-pool"},
            "spec": {"pools": [{"ipStart": ip_pool[0], "ipEnd": ip_pool[1], "subnet": "127.0.15.0/24", "gateway": "127.0.15.1"}]},
        })
    return yaml.safe_dump_all(docs, sort_keys=False)


def snow_spec(name: str, devices: list[str], ami: str, **options: Any) -> ClusterSpec:
    spec, findings = check_spec_text(snow_yaml(name, devices, ami, **options))
    assert spec is not None and not [f for f in findings if f.is_error], [f.line() for f in findings]
    return spec
