"""Every provider's bootstrap (kind) cluster gets the spec's registry mirror and proxy, as
EKS-A makes its kind clusters; the Docker provider adds the Docker socket mount."""

from __future__ import annotations

import yaml

from eksa_temporal.providers.registry import Registry
from eksa_temporal.spec import check_spec_text, generate_cluster_config

PROXY = {"httpProxy": "http://127.0.0.9:3128", "httpsProxy": "http://127.0.0.9:3128", "noProxy": ["127.0.0.1"]}
MIRROR = {"endpoint": "127.0.0.8", "port": "5000"}


def spec_with_proxy_and_mirror(name: str, provider: str) -> str:
    docs = list(yaml.safe_load_all(generate_cluster_config(name, provider)))
    docs[0]["spec"]["proxyConfiguration"] = PROXY
    docs[0]["spec"]["registryMirrorConfiguration"] = MIRROR
    return yaml.safe_dump_all(docs)


def test_every_provider_passes_mirror_and_proxy_and_docker_adds_its_socket() -> None:
    registry = Registry()
    for provider in ("vsphere", "docker"):
        spec, findings = check_spec_text(spec_with_proxy_and_mirror("boot", provider))
        assert spec is not None, findings
        options = registry.provider(provider).bootstrap_options(spec)
        assert options.registry_mirror == "127.0.0.8:5000"
        assert options.env["HTTP_PROXY"] == "http://127.0.0.9:3128"
        assert "127.0.0.1" in options.env["NO_PROXY"].split(",")
        mounts = [m["hostPath"] for m in options.extra_mounts]
        assert mounts == (["/var/run/docker.sock"] if provider == "docker" else [])
