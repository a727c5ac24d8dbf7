"""The ``vsphere`` stand-in component (CAPV played by the sim) and how install-CAPI picks
it: from the component source chosen by configuration (the sim's clusterctl local
repository), at CAPV's version; the embedded default keeps the published CAPV."""

from __future__ import annotations

from pathlib import Path

import yaml

from eksa_temporal.providers.capi.fetch import provider_manifests
from eksa_temporal.providers.capi.release import DEFAULT_RELEASE
from eksa_temporal.providers.capi.source import SOURCE_ENV, ComponentSource, configured_source
from eksa_temporal.simulator import components
from eksa_temporal.simulator.api import components_repository
from tests.support.paths import shared_path
from tests.vsphere_e2e import capv

CAPV_DIR = "cluster-api-provider-vsphere-v1.13.1"


def _crds() -> dict[str, dict[str, object]]:
    return {d["metadata"]["name"]: d for d in components.manifests("vsphere") if d["kind"] == "CustomResourceDefinition"}


def test_the_standin_serves_every_kind_the_vsphere_renderer_produces() -> None:
    kinds = {d["spec"]["names"]["kind"] for d in _crds().values()}  # type: ignore[index]
    rendered = {d["kind"] for d in capv.rendered() if d["apiVersion"] == capv.INFRA_V}
    assert rendered == {"VSphereCluster", "VSphereMachineTemplate"}
    assert rendered | {"VSphereMachine"} <= kinds
    for crd in _crds().values():
        labels = crd["metadata"]["labels"]  # type: ignore[index]
        assert labels["cluster.x-k8s.io/provider"] == "infrastructure-vsphere"
        assert "clusterctl.cluster.x-k8s.io" in labels  # so a clusterctl-style move finds them


def test_the_standin_crds_are_named_and_scoped_like_the_published_capv_crds() -> None:
    published = {}
    for path in sorted(shared_path("capi-crds", CAPV_DIR).glob("*.yaml")):
        crd = yaml.safe_load(path.read_text())
        published[crd["metadata"]["name"]] = crd["spec"]["scope"]
    ours = {name: crd["spec"]["scope"] for name, crd in _crds().items()}  # type: ignore[index]
    assert ours == published


def test_the_standin_runs_capv_controller_manager_in_capv_system() -> None:
    comp = components.provider("vsphere")
    assert (comp.namespace, comp.deployment, comp.inventory_name) == (
        "capv-system", "capv-controller-manager", "infrastructure-vsphere")
    deps = [d for d in components.manifests("vsphere") if d["kind"] == "Deployment"]
    assert [(d["metadata"]["namespace"], d["metadata"]["name"]) for d in deps] == [("capv-system", "capv-controller-manager")]
    assert components.KIND_PROVIDER["VSphereMachine"] == components.KIND_PROVIDER["VSphereCluster"] == "vsphere"
    assert "vsphere" not in components.versions()  # not part of the sim's own set


def test_the_sims_repository_serves_the_standin_in_place_of_the_published_capv(tmp_path: Path) -> None:
    plan = DEFAULT_RELEASE.plan("vsphere")
    published = next(p for p in plan if p.name == "infrastructure-vsphere")
    assert published.files[0].url.startswith("https://github.com/")
    assert published.version == "v1.13.1" and published.namespace == "capv-system"
    repo = components.write_repository(components_repository(tmp_path / "sim"))
    assert repo == tmp_path / "sim" / "components"
    assert (repo / "infrastructure-vsphere" / "v1.13.1" / "infrastructure-components.yaml").is_file()
    source = configured_source({SOURCE_ENV: str(repo)})
    assert source == ComponentSource(repo) and source.folder(None) == str(repo)
    fetched = provider_manifests(published, cache_dir=tmp_path / "cache", components_dir=source.folder(None))
    assert fetched.origin == str(repo / "infrastructure-vsphere" / "v1.13.1")
    assert fetched.docs == components.manifests("vsphere")
    for core in (p for p in plan if p.type != "InfrastructureProvider"):  # not in the repository
        found = provider_manifests(core, cache_dir=tmp_path / "cache", components_dir=str(repo), embedded=True)
        assert found.origin == "embedded"


def test_the_component_source_is_auto_unless_configured(tmp_path: Path) -> None:
    assert configured_source({}) == configured_source({SOURCE_ENV: "auto"}) == ComponentSource()
    assert ComponentSource().folder(None) is None and ComponentSource().name == "auto"
    # auto: the embedded stand-ins for the simulated infrastructure only, downloads otherwise
    assert ComponentSource().embedded_for("sim") and not ComponentSource().embedded_for("docker")
    assert configured_source({SOURCE_ENV: "embedded"}).embedded_for("vsphere")
    assert not configured_source({SOURCE_ENV: "release"}).embedded_for("sim")
    own = str(tmp_path / "operation")
    assert ComponentSource(tmp_path).folder(own) == own  # an operation's folder comes first
