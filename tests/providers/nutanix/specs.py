"""Nutanix cluster specs for the tests: ``generate clusterconfig -p nutanix`` pointed at a
Prism Central emulator (its address, port and per-run CA as ``additionalTrustBundle``),
then changed by a ``mutate(documents)`` callback."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from eksa_temporal.providers.registry import load_spec_plugins
from eksa_temporal.spec import check_spec_text, generate_cluster_config
from eksa_temporal.spec.clusterspec import ClusterSpec
from tests.providers.nutanix.emulator import PrismCentral

Docs = list[dict[str, Any]]
ENDPOINT = "127.0.14.200"


def spec_documents(
    pc: PrismCentral | None,
    name: str = "nx",
    *,
    version: str = "1.31",
    workers: int = 1,
    endpoint: str = ENDPOINT,
) -> Docs:
    load_spec_plugins()
    docs: Docs = list(yaml.safe_load_all(generate_cluster_config(name, "nutanix")))
    cluster = docs[0]["spec"]
    cluster["kubernetesVersion"] = version
    cluster["controlPlaneConfiguration"]["endpoint"]["host"] = endpoint
    cluster["workerNodeGroupConfigurations"][0]["count"] = workers
    if pc is not None:
        docs[1]["spec"].update(endpoint=pc.ip, port=pc.port, additionalTrustBundle=pc.ca_pem)
    for doc in docs[2:]:
        doc["spec"]["image"]["name"] = f"ubuntu-2204-kube-v{version.replace('.', '-')}"
    return docs


def spec_text(docs: Docs) -> str:
    return "---\n".join(yaml.safe_dump(d, sort_keys=False) for d in docs)


def nutanix_spec(
    pc: PrismCentral | None, mutate: Callable[[Docs], None] | None = None, **kw: Any
) -> ClusterSpec:
    docs = spec_documents(pc, **kw)
    if mutate is not None:
        mutate(docs)
    spec, findings = check_spec_text(spec_text(docs))
    assert spec is not None, findings
    return spec
