"""``generate clusterconfig -p docker`` comes from the docker plug-in's example module and
prints a spec the real ``eksa-temporal validate`` accepts: a DockerDatacenterConfig with an
empty spec, one control-plane node, no endpoint and no machine configs."""

from __future__ import annotations

import subprocess

import yaml

from eksa_temporal.spec import generate_cluster_config
from eksa_temporal.spec.plugins import plugin
from tests.support.paths import EKSA

from . import specs  # noqa: F401  (registers the providers' spec plug-ins)


def test_the_docker_example_is_the_plugins() -> None:
    contributed = plugin("docker")
    assert contributed is not None
    assert contributed.example_datacenter == {}
    assert contributed.example_control_plane_count == 1
    assert contributed.endpoint_required is False


def test_generated_spec_shape() -> None:
    docs = list(yaml.safe_load_all(generate_cluster_config("demo", "docker")))
    assert [d["kind"] for d in docs] == ["Cluster", "DockerDatacenterConfig"]
    cluster = docs[0]["spec"]
    assert cluster["datacenterRef"] == {"kind": "DockerDatacenterConfig", "name": "demo"}
    assert cluster["controlPlaneConfiguration"] == {"count": 1}
    assert cluster["workerNodeGroupConfigurations"] == [{"name": "md-0", "count": 1}]
    assert docs[1]["spec"] == {}


def test_cli_generate_output_validates() -> None:
    generated = subprocess.run(
        [str(EKSA), "generate", "clusterconfig", "demo", "-p", "docker"],
        capture_output=True, text=True, timeout=120, check=True,
    )
    assert "kind: DockerDatacenterConfig" in generated.stdout
    checked = subprocess.run(
        [str(EKSA), "validate", "-f", "-"],
        input=generated.stdout, capture_output=True, text=True, timeout=120,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.strip() == "✅ spec valid: cluster demo (docker)"
