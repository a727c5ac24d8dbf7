"""SSH-hosts cluster specs for the tests: ``generate clusterconfig -p ssh`` with a given
host inventory and counts."""

from __future__ import annotations

from typing import Any

import yaml

from eksa_temporal.providers.registry import load_spec_plugins
from eksa_temporal.spec import check_spec_text, generate_cluster_config
from eksa_temporal.spec.clusterspec import ClusterSpec

load_spec_plugins()


def host(name: str, address: str, role: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "address": address, "labels": {"type": role}, **extra}


def spec_text(
    name: str = "hosts",
    *,
    hosts: list[dict[str, Any]] | None = None,
    control_plane: int = 1,
    workers: int = 1,
    key: str = "/keys/id_ed25519",
    known_hosts: str = "/keys/known_hosts",
    endpoint: str = "10.0.0.10",
) -> str:
    docs = list(yaml.safe_load_all(generate_cluster_config(name, "ssh")))
    docs[0]["spec"]["controlPlaneConfiguration"]["count"] = control_plane
    docs[0]["spec"]["controlPlaneConfiguration"]["endpoint"] = {"host": endpoint}
    docs[0]["spec"]["workerNodeGroupConfigurations"][0]["count"] = workers
    dc = docs[1]["spec"]
    dc["privateKeyFile"], dc["knownHostsFile"] = key, known_hosts
    if hosts is not None:
        dc["hosts"] = hosts
    return yaml.safe_dump_all(docs, sort_keys=False)


def spec(name: str = "hosts", **kwargs: Any) -> ClusterSpec:
    parsed, findings = check_spec_text(spec_text(name, **kwargs))
    assert parsed is not None and not [f for f in findings if f.is_error], [f.line() for f in findings]
    return parsed
