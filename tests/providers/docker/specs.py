"""Docker cluster specs for the tests: ``generate clusterconfig -p docker`` plus edits."""

from __future__ import annotations

from typing import Any

import yaml

from eksa_temporal.providers.registry import load_spec_plugins
from eksa_temporal.spec import generate_cluster_config, load_spec
from eksa_temporal.spec.clusterspec import ClusterSpec

load_spec_plugins()


def node_image(version: str) -> str:
    """A fixed kind node image per Kubernetes version (``"1.31"`` -> ``...:v1.31.9``)."""
    return f"kindest/node:v{version.removeprefix('v')}.9@sha256:{'ab' * 32}"


def spec(name: str = "dock", **cluster_spec: Any) -> ClusterSpec:
    """A docker spec named ``name`` whose Cluster ``spec`` is updated with ``cluster_spec``
    (top-level keys replaced)."""
    docs = list(yaml.safe_load_all(generate_cluster_config(name, "docker")))
    docs[0]["spec"].update(cluster_spec)
    result = load_spec(yaml.safe_dump_all(docs))
    assert result.spec is not None, [f.line() for f in result.findings]
    return result.spec
