"""The sim provider's renderer (EKS-A-shaped CAPI objects, hashed template names) and its
CAPI components (manifests per clusterctl provider, names the controllers rely on)."""

from __future__ import annotations

import yaml

from eksa_temporal.providers.base import RenderContext
from eksa_temporal.providers.sim.provider import SimProvider
from eksa_temporal.providers.sim.render import capi_version
from eksa_temporal.simulator import components
from eksa_temporal.spec.generate import generate_cluster_config
from eksa_temporal.spec.load import load_spec


def _spec(edit: dict[str, object] | None = None, *, version: str = "1.31") -> object:
    docs = list(yaml.safe_load_all(generate_cluster_config("c1", "sim")))
    docs[0]["spec"]["kubernetesVersion"] = version
    for doc in docs:
        if doc["kind"] == "SimMachineConfig" and doc["metadata"]["name"] == "c1-md-0" and edit:
            doc["spec"].update(edit)
    loaded = load_spec(yaml.safe_dump_all(docs))
    assert loaded.spec is not None, loaded.findings
    return loaded.spec


def _render(spec: object) -> dict[str, dict[str, object]]:
    docs = SimProvider().render_capi_objects(spec, RenderContext(namespace="ns1"))
    return {f"{d['kind']}/{d['metadata']['name']}": d for d in docs}


def test_the_renderer_produces_the_capi_objects_of_a_cluster() -> None:
    docs = _render(_spec())
    kinds = sorted(k.split("/")[0] for k in docs)
    assert kinds == sorted(["Cluster", "SimCluster", "SimMachineTemplate", "KubeadmControlPlane",
                            "KubeadmConfigTemplate", "SimMachineTemplate", "MachineDeployment"])
    assert all(d["metadata"]["namespace"] == "ns1" for d in docs.values())  # type: ignore[index]
    cluster = docs["Cluster/c1"]["spec"]
    assert cluster["infrastructureRef"]["kind"] == "SimCluster"  # type: ignore[index]
    kcp = docs["KubeadmControlPlane/c1"]["spec"]
    assert kcp["version"] == "v1.31.6" and kcp["replicas"] == 1  # type: ignore[index]
    md = docs["MachineDeployment/c1-md-0"]["spec"]
    tmpl = md["template"]["spec"]  # type: ignore[index]
    assert f"SimMachineTemplate/{tmpl['infrastructureRef']['name']}" in docs
    assert f"KubeadmConfigTemplate/{tmpl['bootstrap']['configRef']['name']}" in docs
    assert docs["Cluster/c1"]["apiVersion"] == "cluster.x-k8s.io/v1beta1"


def test_a_changed_machine_config_renames_only_its_template() -> None:
    before, after = _render(_spec()), _render(_spec({"cpus": 8}))
    assert before == _render(_spec())  # deterministic
    changed = set(before) ^ set(after)
    assert len(changed) == 2 and all(k.startswith("SimMachineTemplate/c1-md-0-") for k in changed)
    assert before["KubeadmControlPlane/c1"] == after["KubeadmControlPlane/c1"]


def test_an_upgrade_changes_versions_not_template_names() -> None:
    before, after = _render(_spec()), _render(_spec(version="1.32"))
    assert set(before) == set(after)
    assert after["KubeadmControlPlane/c1"]["spec"]["version"] == "v1.32.2"  # type: ignore[index]
    assert capi_version("1.40") == "v1.40.0" and capi_version("v1.29.3") == "v1.29.3"


def test_each_clusterctl_provider_lists_its_manifests_with_a_version() -> None:
    assert list(components.versions()) == ["cert-manager", "cluster-api", "kubeadm-bootstrap", "kubeadm-control-plane", "sim"]
    sim = components.manifests("sim")
    crds = [d for d in sim if d["kind"] == "CustomResourceDefinition" and d["spec"]["group"] != "anywhere.eks.amazonaws.com"]
    assert {d["spec"]["names"]["kind"] for d in crds} == {"SimCluster", "SimMachine", "SimMachineTemplate"}
    # the EKS-A kinds of a sim spec, for its objects on the management cluster; not moved
    eksa = [d for d in sim if d["kind"] == "CustomResourceDefinition" and d not in crds]
    assert {d["spec"]["names"]["kind"] for d in eksa} == {"SimDatacenterConfig", "SimMachineConfig"}
    assert all("clusterctl.cluster.x-k8s.io" not in d["metadata"]["labels"] for d in eksa)
    for crd in crds:
        labels = crd["metadata"]["labels"]
        assert labels["cluster.x-k8s.io/provider"] == "infrastructure-sim" and "clusterctl.cluster.x-k8s.io" in labels
        version = crd["spec"]["versions"][0]
        assert version["name"] == "v1beta1" and version["subresources"] == {"status": {}}
    [dep] = [d for d in sim if d["kind"] == "Deployment"]
    assert (dep["metadata"]["namespace"], dep["metadata"]["name"]) == ("capsim-system", "capsim-controller-manager")
    assert not [d for d in components.manifests("cluster-api", crds=False) if d["kind"] == "CustomResourceDefinition"]
    assert components.inventory_crd()["metadata"]["name"] == "providers.clusterctl.cluster.x-k8s.io"
    core = {d["spec"]["names"]["kind"] for d in components.all_crds()}
    assert {"Cluster", "Machine", "MachineSet", "MachineDeployment", "KubeadmControlPlane",
            "KubeadmConfig", "KubeadmConfigTemplate", "Provider"} <= core
    assert SimProvider().infrastructure_component().version == components.SIM_VERSION
