"""Before anything is made, the spec is checked against the CRDs of the Cluster API
components the install step will use: a Bottlerocket machine config renders KubeadmConfig
``format: bottlerocket``, which upstream Cluster API v1.10 (``../shared/upstream-components``)
refuses and EKS Anywhere's own Cluster API build accepts. One finding per machine config,
naming the provider release and what its CRDs allow; nothing read for Ubuntu."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from eksa_temporal.providers.capi.compat import format_findings
from eksa_temporal.providers.capi.release import DEFAULT_RELEASE
from eksa_temporal.providers.capi.source import SOURCE_ENV, ComponentSource
from eksa_temporal.providers.registry import Registry
from eksa_temporal.spec.clusterspec import ClusterSpec
from eksa_temporal.spec.tinkerbell import TinkerbellMachineConfig
from tests.support.components import upstream_components as upstream_components  # fixture
from tests.vsphere.specs import SimInfo, documents, load

SIM = SimInfo(server="127.0.0.9:8989", thumbprint="AA:" * 19 + "AA", user="u", password="p")
BR = {"osFamily": "bottlerocket", "users": [{"name": "ec2-user", "sshAuthorizedKeys": ["ssh-ed25519 AAAAC3Nza test@example"]}]}
FIX = "use osFamily ubuntu, or install EKS Anywhere's Cluster API build (EKSA_COMPONENTS_SOURCE or --components-dir)"


def spec(os_family: str) -> ClusterSpec:
    machine = BR if os_family == "bottlerocket" else {}
    return load(documents(SIM, "br", cp=machine, md=machine))


def findings(spec: ClusterSpec, repository: Path, tmp_path: Path) -> list[Any]:
    return format_findings(
        spec,
        Registry(tmp_path / "sim").provider("vsphere"),
        release=DEFAULT_RELEASE,
        source=ComponentSource(repository=repository),
        cache_dir=tmp_path / "cache",
    )


def test_upstream_cluster_api_refuses_bottlerocket_naming_each_machine_config(
    upstream_components: Path, tmp_path: Path
) -> None:
    found = findings(spec("bottlerocket"), upstream_components, tmp_path)
    assert [f.line() for f in found] == [
        f"VSphereMachineConfig/{name}: spec.osFamily: bottlerocket renders KubeadmConfig format "
        f"'bottlerocket', which bootstrap-kubeadm v1.10.10 ({upstream_components}/bootstrap-kubeadm/v1.10.10) "
        f"does not accept (its CRDs allow: cloud-config, ignition) (fix: {FIX})"
        for name in ("br-cp", "br-md")
    ]
    assert all(f.is_error for f in found)


def test_ubuntu_needs_nothing_read(tmp_path: Path) -> None:
    assert findings(spec("ubuntu"), tmp_path / "no-such-repository", tmp_path) == []


def _accepting_bottlerocket(node: Any) -> Any:
    if isinstance(node, dict):
        if "cloud-config" in (node.get("enum") or []):
            node["enum"] = [*node["enum"], "bottlerocket"]
        for value in node.values():
            _accepting_bottlerocket(value)
    elif isinstance(node, list):
        for value in node:
            _accepting_bottlerocket(value)
    return node


def _eksa_build(upstream: Path, base: Path) -> Path:
    """A local repository whose bootstrap and control-plane CRDs also accept bottlerocket
    (as EKS Anywhere's Cluster API build does), the rest linked from ``upstream``."""
    patched = {"bootstrap-kubeadm": "bootstrap-components.yaml",
               "control-plane-kubeadm": "control-plane-components.yaml"}
    base.mkdir()
    for provider in upstream.iterdir():
        if provider.name not in patched:
            (base / provider.name).symlink_to(provider.resolve(), target_is_directory=True)
    for name, file in patched.items():
        folder = base / name / "v1.10.10"
        folder.mkdir(parents=True)
        docs = list(yaml.safe_load_all((upstream / name / "v1.10.10" / file).read_text()))
        (folder / file).write_text(yaml.safe_dump_all([_accepting_bottlerocket(d) for d in docs]))
    return base


def test_a_build_whose_crds_accept_bottlerocket_passes(upstream_components: Path, tmp_path: Path) -> None:
    repo = _eksa_build(upstream_components, tmp_path / "eksa-build")
    assert findings(spec("bottlerocket"), repo, tmp_path) == []


def test_unreadable_components_give_a_warning_not_a_refusal(upstream_components: Path, tmp_path: Path) -> None:
    repo = tmp_path / "broken"
    (repo / "bootstrap-kubeadm" / "v1.10.10").mkdir(parents=True)
    (repo / "bootstrap-kubeadm" / "v1.10.10" / "bootstrap-components.yaml").write_text(
        yaml.safe_dump({"kind": "Namespace", "metadata": {"name": "${NO_SUCH_VARIABLE}"}})
    )
    (found,) = findings(spec("bottlerocket"), repo, tmp_path)
    assert not found.is_error and found.path == "components"
    assert "NO_SUCH_VARIABLE" in found.message


def test_the_preflight_command_prints_the_refusal(upstream_components: Path, tmp_path: Path) -> None:
    path = tmp_path / "br.yaml"
    path.write_text(yaml.safe_dump_all(documents(SIM, "br", cp=BR, md=BR)))
    env = {**os.environ, SOURCE_ENV: str(upstream_components), "EKSA_TEMPORAL_STATE_DIR": str(tmp_path / "state")}
    run = subprocess.run(
        [sys.executable, "-m", "eksa_temporal.cli.main", "preflight", "-f", str(path)],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "✖ VSphereMachineConfig/br-cp: spec.osFamily: bottlerocket renders KubeadmConfig format" in run.stderr
    assert "✖ VSphereMachineConfig/br-md: spec.osFamily:" in run.stderr


@pytest.mark.parametrize("os_family", ["bottlerocket", "ubuntu"])
def test_snow_reports_its_machine_configs_too(os_family: str, upstream_components: Path, tmp_path: Path) -> None:
    from tests.providers.snow.specs import snow_spec

    snow = snow_spec("sn", ["127.0.15.2"], "ami-0a1b2c3d4e5f60718", os_family=os_family)
    found = format_findings(
        snow, Registry(tmp_path / "sim").provider("snow"), release=DEFAULT_RELEASE,
        source=ComponentSource(repository=upstream_components), cache_dir=tmp_path / "cache",
    )
    paths = [f.path for f in found]
    if os_family == "ubuntu":
        assert paths == []
    else:
        assert paths and all(p.startswith("SnowMachineConfig/") and p.endswith(": spec.osFamily") for p in paths)


def test_tinkerbell_bottlerocket_renders_its_format_and_is_refused_on_upstream(
    upstream_components: Path, tmp_path: Path
) -> None:
    from eksa_temporal.providers.base import RenderContext
    from tests.providers.tinkerbell.test_hardware import tinkerbell_spec

    def bottlerocket(documents: list[dict[str, Any]]) -> None:
        for doc in documents:
            if doc["kind"] == "TinkerbellMachineConfig":
                doc["spec"]["osFamily"] = "bottlerocket"

    spec = tinkerbell_spec(bottlerocket)
    provider = Registry(tmp_path / "sim").provider("tinkerbell")
    objects = provider.render_capi_objects(spec, RenderContext(namespace="eksa-system"))
    kcp = next(o for o in objects if o["kind"] == "KubeadmControlPlane")
    templates = [o for o in objects if o["kind"] == "KubeadmConfigTemplate"]
    assert kcp["spec"]["kubeadmConfigSpec"]["format"] == "bottlerocket"
    assert templates and all(t["spec"]["template"]["spec"]["format"] == "bottlerocket" for t in templates)
    found = format_findings(spec, provider, release=DEFAULT_RELEASE,
                            source=ComponentSource(repository=upstream_components), cache_dir=tmp_path / "cache")
    configs = spec.machine_configs_of(TinkerbellMachineConfig)
    assert len(configs) == 2
    assert sorted(f.path for f in found) == sorted(f"TinkerbellMachineConfig/{mc.name}: spec.osFamily" for mc in configs)

