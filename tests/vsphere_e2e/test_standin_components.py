"""The ``vsphere`` stand-in component (CAPV played by the sim) and how install-CAPI picks
it: only for targets that are virtual clusters of the sim, at CAPV's version."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from eksa_temporal.providers.capi.fetch import provider_manifests
from eksa_temporal.providers.capi.release import DEFAULT_RELEASE, sim_standins
from eksa_temporal.providers.sim import components
from eksa_temporal.providers.sim.kubeconfig import build_kubeconfig, served_by_sim, write_kubeconfig
from tests.conftest import shared_path
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


def test_a_sim_target_gets_the_standin_in_place_of_the_published_capv(tmp_path: Path) -> None:
    plan = DEFAULT_RELEASE.plan("vsphere")
    swapped = sim_standins(plan)
    assert [p.name for p in swapped] == [p.name for p in plan]
    infra = next(p for p in swapped if p.name == "infrastructure-vsphere")
    published = next(p for p in plan if p.name == "infrastructure-vsphere")
    assert published.files[0].url.startswith("https://github.com/")
    assert infra.version == published.version == "v1.13.1" and infra.namespace == "capv-system"
    assert [f.url for f in infra.files] == ["package://providers.sim.components/vsphere.yaml"]
    assert [p for p in swapped if p.name != infra.name] == [p for p in plan if p.name != infra.name]
    docs, origin = provider_manifests(infra, cache_dir=tmp_path / "cache")
    assert origin == "release" and any(d["metadata"]["name"] == "capv-controller-manager" for d in docs)
    assert sim_standins(DEFAULT_RELEASE.plan("sim")) == DEFAULT_RELEASE.plan("sim")


def test_only_kubeconfigs_of_the_sims_own_virtual_clusters_count_as_sim_targets(tmp_path: Path) -> None:
    state = tmp_path / "sim"
    state.mkdir()
    (state / "server.json").write_text(json.dumps({"url": "https://127.0.0.1:6480", "pid": 1}))
    ours = write_kubeconfig(tmp_path / "ours", build_kubeconfig("https://127.0.0.1:6480", "mgmt", "t" * 20))
    other = write_kubeconfig(tmp_path / "other", build_kubeconfig("https://127.0.0.1:7000", "mgmt", "t" * 20))
    assert served_by_sim(ours, state)
    assert not served_by_sim(other, state)
    assert not served_by_sim(tmp_path / "missing", state)
    assert not served_by_sim(ours, tmp_path / "no-sim-here")
