"""Rendering the CAPT objects: every object valid against the CRD schemas of the Cluster API
v1.10 components and CAPT v0.6.8, the hardware selectors as CAPT's hardware affinity, the
control-plane endpoint on the Cluster, TinkerbellCluster and kube-vip, template names that
change exactly when what they render from changes, and the provider's components."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest

from eksa_temporal.providers.base import RenderContext
from eksa_temporal.providers.capi.fetch import local_folder, parse_manifests
from eksa_temporal.providers.capi.release import DEFAULT_RELEASE
from eksa_temporal.providers.tinkerbell.provider import TinkerbellProvider
from tests.providers.tinkerbell.test_hardware import tinkerbell_spec
from tests.support.paths import shared_path
from tests.vsphere.crd_schema import problems

Obj = dict[str, Any]
CTX = RenderContext(namespace="eksa-system")
FILES = {
    "cluster.x-k8s.io": ("cluster-api", "v1.10.10", "core-components.yaml"),
    "controlplane.cluster.x-k8s.io": (
        "control-plane-kubeadm",
        "v1.10.10",
        "control-plane-components.yaml",
    ),
    "bootstrap.cluster.x-k8s.io": ("bootstrap-kubeadm", "v1.10.10", "bootstrap-components.yaml"),
    "infrastructure.cluster.x-k8s.io": (
        "infrastructure-tinkerbell",
        "v0.6.8",
        "infrastructure-components.yaml",
    ),
}


@functools.cache
def _crds(path: Path) -> dict[str, Obj]:
    docs = parse_manifests(path.read_text())
    return {d["spec"]["names"]["kind"]: d for d in docs if d.get("kind") == "CustomResourceDefinition"}


def schema(obj: Obj) -> Obj:
    group, _, version = obj["apiVersion"].partition("/")
    crd = _crds(shared_path("upstream-components", *FILES[group]))[obj["kind"]]
    for v in crd["spec"]["versions"]:
        if v["name"] == version:
            assert v.get("served"), f"{obj['kind']} {version} is not served"
            return dict(v["schema"]["openAPIV3Schema"])
    raise KeyError(f"{obj['kind']} {version}")


def render(spec: Any) -> list[Obj]:
    return TinkerbellProvider(env={}).render_capi_objects(spec, CTX)


def by_kind(objects: list[Obj], kind: str) -> list[Obj]:
    return [o for o in objects if o["kind"] == kind]


def two_groups(documents: list[Obj]) -> None:
    cluster = documents[0]["spec"]
    cluster["controlPlaneConfiguration"]["count"] = 3
    cluster["controlPlaneConfiguration"]["taints"] = [
        {"key": "dedicated", "value": "cp", "effect": "NoSchedule"}
    ]
    cluster["workerNodeGroupConfigurations"].append(
        {
            "name": "md-1",
            "count": 2,
            "labels": {"tier": "gpu"},
            "machineGroupRef": {"kind": "TinkerbellMachineConfig", "name": "demo-md-0"},
            "upgradeRolloutStrategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
            },
        }
    )
    cluster["proxyConfiguration"] = {
        "httpProxy": "http://proxy:3128",
        "httpsProxy": "http://proxy:3128",
        "noProxy": ["10.0.0.0/8"],
    }


def test_every_object_matches_its_crd_schema() -> None:
    objects = render(tinkerbell_spec(two_groups))
    assert [o["kind"] for o in objects] == [
        "Cluster",
        "TinkerbellCluster",
        "TinkerbellMachineTemplate",
        "KubeadmControlPlane",
        *["KubeadmConfigTemplate", "TinkerbellMachineTemplate", "MachineDeployment"] * 2,
    ]
    for obj in objects:
        assert obj["apiVersion"].endswith("/v1beta1"), obj["apiVersion"]
        assert obj["metadata"]["namespace"] == "eksa-system"
        assert problems(obj, schema(obj)) == [], (obj["kind"], obj["metadata"]["name"])


def test_hardware_selectors_become_the_templates_hardware_affinity() -> None:
    objects = render(tinkerbell_spec())
    templates = {t["metadata"]["name"]: t for t in by_kind(objects, "TinkerbellMachineTemplate")}
    kcp = by_kind(objects, "KubeadmControlPlane")[0]
    md = by_kind(objects, "MachineDeployment")[0]
    cp = templates[kcp["spec"]["machineTemplate"]["infrastructureRef"]["name"]]
    worker = templates[md["spec"]["template"]["spec"]["infrastructureRef"]["name"]]
    assert cp["spec"]["template"]["spec"]["hardwareAffinity"] == {
        "required": [{"labelSelector": {"matchLabels": {"type": "cp"}}}]
    }
    assert worker["spec"]["template"]["spec"]["hardwareAffinity"]["required"][0] == {
        "labelSelector": {"matchLabels": {"type": "worker"}}
    }
    assert md["spec"]["replicas"] == 1 and kcp["spec"]["replicas"] == 1
    assert kcp["spec"]["version"] == md["spec"]["template"]["spec"]["version"] == "v1.31.0"


def test_the_endpoint_is_on_the_cluster_and_held_by_kube_vip() -> None:
    objects = render(tinkerbell_spec())
    endpoint = {"host": "10.0.0.10", "port": 6443}
    assert by_kind(objects, "Cluster")[0]["spec"]["controlPlaneEndpoint"] == endpoint
    assert by_kind(objects, "TinkerbellCluster")[0]["spec"]["controlPlaneEndpoint"] == endpoint
    files = by_kind(objects, "KubeadmControlPlane")[0]["spec"]["kubeadmConfigSpec"]["files"]
    vip = next(f for f in files if f["path"] == "/etc/kubernetes/manifests/kube-vip.yaml")
    assert "10.0.0.10" in vip["content"]
    registration = by_kind(objects, "KubeadmControlPlane")[0]["spec"]["kubeadmConfigSpec"][
        "initConfiguration"
    ]["nodeRegistration"]
    assert registration["kubeletExtraArgs"]["provider-id"] == "PROVIDER_ID"


def test_template_names_change_exactly_when_the_selector_changes() -> None:
    def names(spec: Any) -> list[str]:
        return [t["metadata"]["name"] for t in by_kind(render(spec), "TinkerbellMachineTemplate")]

    def rack(documents: list[Obj]) -> None:
        documents[-1]["spec"]["hardwareSelector"] = {"rack": "r1"}

    same, again, changed = names(tinkerbell_spec()), names(tinkerbell_spec()), names(tinkerbell_spec(rack))
    assert same == again
    assert same[0] == changed[0] and same[1] != changed[1]


def test_components_are_capt_and_the_tinkerbell_stack(upstream_components: Path) -> None:
    provider = TinkerbellProvider(env={})
    refs = provider.components(None)
    assert [(r.name, r.version) for r in refs] == [("tinkerbell", "v0.6.8"), ("tinkerbell-stack", "v0.12.2")]
    plan = DEFAULT_RELEASE.plan("tinkerbell", [r.name for r in refs[1:]])
    assert [p.name for p in plan][-2:] == ["infrastructure-tinkerbell", "tinkerbell-stack"]
    assert "infrastructure-vsphere" not in [p.name for p in plan]
    assert "tinkerbell-stack" not in [p.name for p in DEFAULT_RELEASE.plan("vsphere")]
    stack = plan[-1]
    folder = local_folder(upstream_components, stack)
    assert folder is not None and folder.name == "tinkerbell-stack"
    for release in plan[-2:]:
        assert local_folder(upstream_components, release) is not None


def test_the_provider_can_create() -> None:
    provider = TinkerbellProvider(env={})
    assert provider.can_create
    assert "prepare_bootstrap_cluster" in provider.hooks()


pytestmark = pytest.mark.timeout(120)
