"""Helpers of the CloudStack tests: a spec pointing at an emulator, and the credentials
variable for it (keys generated per run by the emulator's inventory)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from eksa_temporal.providers.cloudstack.credentials import SECRET_ENV, encode_profiles
from eksa_temporal.providers.registry import load_spec_plugins
from eksa_temporal.spec import generate_cluster_config
from eksa_temporal.spec.clusterspec import ClusterSpec
from eksa_temporal.spec.load import check_spec_text
from tests.providers.cloudstack.emulator import CloudStackServer

Docs = list[dict[str, Any]]
ENDPOINT = "127.0.13.200"


def spec_docs(name: str, url: str, endpoint: str = ENDPOINT) -> Docs:
    load_spec_plugins()
    docs: Docs = list(yaml.safe_load_all(generate_cluster_config(name, "cloudstack")))
    docs[0]["spec"]["controlPlaneConfiguration"]["endpoint"]["host"] = endpoint
    docs[1]["spec"]["availabilityZones"][0]["managementApiEndpoint"] = url
    return docs


def spec_text(docs: Docs) -> str:
    return "---\n".join(yaml.safe_dump(d, sort_keys=False) for d in docs)


def cloudstack_spec(url: str, mutate: Callable[[Docs], None] | None = None, name: str = "cs1") -> ClusterSpec:
    docs = spec_docs(name, url)
    if mutate is not None:
        mutate(docs)
    spec, findings = check_spec_text(spec_text(docs))
    assert spec is not None, findings
    return spec


def profile_values(server: CloudStackServer, **override: str) -> dict[str, str]:
    """One INI section's values for a new user of ``server``."""
    key, secret = server.inventory.user()
    return {"api-key": key, "secret-key": secret, "api-url": server.url, "verify-ssl": "false", **override}


def credentials_env(server: CloudStackServer, profile: str = "global", **override: str) -> dict[str, str]:
    """``EKSA_CLOUDSTACK_B64ENCODED_SECRET`` for a new user of ``server``."""
    return {SECRET_ENV: encode_profiles({profile: profile_values(server, **override)})}
