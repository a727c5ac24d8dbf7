"""Rendering the CAPD objects: every object valid against the CRD schemas of the Cluster
API v1.10 components (core, kubeadm control plane and bootstrap, CAPD), EKS-A's template
content (Docker socket mounts, node image, load balancer, taints, mirror, proxy), and the
template names that change exactly when what they render from changes."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest

from eksa_temporal.providers.base import RenderContext
from eksa_temporal.providers.capi.fetch import parse_manifests
from eksa_temporal.providers.docker import DockerProvider
from eksa_temporal.providers.docker.render import image_version, load_balancer
from tests.support.paths import shared_path
from tests.vsphere.crd_schema import problems

from .specs import node_image, spec

Obj = dict[str, Any]
CTX = RenderContext(namespace="eksa-system")
COMPONENTS = {
    "Cluster": ("cluster-api", "core-components.yaml"),
    "MachineDeployment": ("cluster-api", "core-components.yaml"),
    "KubeadmControlPlane": ("control-plane-kubeadm", "control-plane-components.yaml"),
    "KubeadmConfigTemplate": ("bootstrap-kubeadm", "bootstrap-components.yaml"),
    "DockerCluster": ("infrastructure-docker", "infrastructure-components-development.yaml"),
    "DockerMachineTemplate": ("infrastructure-docker", "infrastructure-components-development.yaml"),
}


@functools.cache
def _crds(path: Path) -> dict[str, Obj]:
    docs = parse_manifests(path.read_text())
    return {d["spec"]["names"]["kind"]: d for d in docs if d and d.get("kind") == "CustomResourceDefinition"}


def schema(kind: str, version: str = "v1beta1") -> Obj:
    folder, file = COMPONENTS[kind]
    crd = _crds(shared_path("upstream-components", folder, "v1.10.10", file))[kind]
    for v in crd["spec"]["versions"]:
        if v["name"] == version:
            return dict(v["schema"]["openAPIV3Schema"])
    raise KeyError(f"{kind} {version}")


def render(s: Any) -> list[Obj]:
    return DockerProvider(node_image=node_image).render_capi_objects(s, CTX)


def by_kind(objects: list[Obj], kind: str) -> list[Obj]:
    return [o for o in objects if o["kind"] == kind]


FULL = spec(
    "full",
    controlPlaneConfiguration={
        "count": 3,
        "taints": [{"key": "dedicated", "value": "cp", "effect": "NoSchedule"}],
        "labels": {"tier": "cp"},
        "certSans": ["api.example.com"],
        "apiServerExtraArgs": {"audit-log-maxage": "30"},
        "upgradeRolloutStrategy": {"rollingUpdate": {"maxSurge": 2}},
    },
    workerNodeGroupConfigurations=[
        {"name": "md-0", "count": 2, "labels": {"a": "b"}, "taints": [{"key": "k", "effect": "NoExecute"}]},
        {
            "name": "md-1",
            "autoscalingConfiguration": {"minCount": 1, "maxCount": 3},
            "upgradeRolloutStrategy": {"rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
        },
    ],
    registryMirrorConfiguration={"endpoint": "mirror.local", "port": "5000", "caCertContent": "CERT"},
    proxyConfiguration={"httpProxy": "http://proxy:3128", "httpsProxy": "http://proxy:3128", "noProxy": ["10.0.0.0/8"]},
)


@pytest.mark.parametrize("kind", sorted(COMPONENTS))
@pytest.mark.parametrize("which", ["minimal", "full"])
def test_objects_match_the_crd_schemas(kind: str, which: str) -> None:
    objects = render(spec() if which == "minimal" else FULL)
    rendered = by_kind(objects, kind)
    assert rendered
    for obj in rendered:
        assert obj["apiVersion"].endswith("/v1beta1")
        assert obj["metadata"]["namespace"] == "eksa-system"
        assert problems(obj, schema(kind)) == []


def test_schema_check_catches_a_misplaced_field() -> None:
    template = by_kind(render(spec()), "DockerMachineTemplate")[0]
    template["spec"]["template"]["spec"]["extraMount"] = template["spec"]["template"]["spec"].pop("extraMounts")
    assert ".spec.template.spec.extraMount: unknown field" in problems(template, schema("DockerMachineTemplate"))


def test_objects_in_order_and_referenced_by_name() -> None:
    objects = render(spec("dock"))
    assert [o["kind"] for o in objects] == [
        "Cluster", "DockerCluster", "DockerMachineTemplate", "KubeadmControlPlane",
        "KubeadmConfigTemplate", "DockerMachineTemplate", "MachineDeployment",
    ]
    names = {(o["kind"], o["metadata"]["name"]) for o in objects}
    cluster = objects[0]
    assert cluster["metadata"]["labels"] == {"cluster.x-k8s.io/cluster-name": "dock"}
    for r in (cluster["spec"]["controlPlaneRef"], cluster["spec"]["infrastructureRef"]):
        assert (r["kind"], r["name"]) in names
    kcp = objects[3]
    assert ("DockerMachineTemplate", kcp["spec"]["machineTemplate"]["infrastructureRef"]["name"]) in names
    md = objects[6]
    tmpl = md["spec"]["template"]["spec"]
    assert ("DockerMachineTemplate", tmpl["infrastructureRef"]["name"]) in names
    assert ("KubeadmConfigTemplate", tmpl["bootstrap"]["configRef"]["name"]) in names
    assert md["metadata"]["name"] == "dock-md-0"
    assert objects[2]["metadata"]["name"].startswith("dock-control-plane-")
    assert objects[5]["metadata"]["name"].startswith("dock-md-0-")
    assert objects[4]["metadata"]["name"].startswith("dock-md-0-template-")


def test_machine_templates_mount_the_docker_socket_and_use_the_bundle_image() -> None:
    for template in by_kind(render(spec()), "DockerMachineTemplate"):
        tspec = template["spec"]["template"]["spec"]
        assert tspec["extraMounts"] == [{"containerPath": "/var/run/docker.sock", "hostPath": "/var/run/docker.sock"}]
        assert tspec["customImage"] == node_image("1.31")


def test_versions_are_the_node_image_tag() -> None:
    objects = render(spec())
    assert by_kind(objects, "KubeadmControlPlane")[0]["spec"]["version"] == "v1.31.9"
    assert by_kind(objects, "MachineDeployment")[0]["spec"]["template"]["spec"]["version"] == "v1.31.9"
    assert image_version("kindest/node:v1.33.1") == "v1.33.1"
    assert image_version("reg:5000/kind/node:v1.32.5@sha256:00") == "v1.32.5"
    with pytest.raises(ValueError):
        image_version("kindest/node")


def test_a_worker_group_version_selects_its_own_image() -> None:
    s = spec(kubernetesVersion="1.32", workerNodeGroupConfigurations=[{"name": "md-0", "count": 1, "kubernetesVersion": "1.31"}])
    objects = render(s)
    md = by_kind(objects, "MachineDeployment")[0]
    assert md["spec"]["template"]["spec"]["version"] == "v1.31.9"
    images = {t["metadata"]["name"]: t["spec"]["template"]["spec"]["customImage"] for t in by_kind(objects, "DockerMachineTemplate")}
    assert images[md["spec"]["template"]["spec"]["infrastructureRef"]["name"]] == node_image("1.31")
    assert by_kind(objects, "KubeadmControlPlane")[0]["spec"]["version"] == "v1.32.9"


def test_load_balancer_image_split_as_eksa_does() -> None:
    dc = by_kind(render(spec()), "DockerCluster")[0]
    assert dc["spec"]["loadBalancer"] == {"imageRepository": "kindest", "imageTag": "v20230606-42a2262b"}
    assert load_balancer("public.ecr.aws/eks-anywhere/kubernetes-sigs/kind/haproxy:v0.26.0-eks-a-1") == {
        "imageRepository": "public.ecr.aws/eks-anywhere/kubernetes-sigs/kind",
        "imageTag": "v0.26.0-eks-a-1",
    }


def test_control_plane_taints_as_eksa() -> None:
    def cp_taints(s: Any) -> Any:
        reg = by_kind(render(s), "KubeadmControlPlane")[0]["spec"]["kubeadmConfigSpec"]["initConfiguration"]["nodeRegistration"]
        return reg.get("taints", "kubeadm default")

    assert cp_taints(spec()) == "kubeadm default"
    assert cp_taints(spec(workerNodeGroupConfigurations=[])) == []
    assert cp_taints(FULL) == [{"key": "dedicated", "value": "cp", "effect": "NoSchedule"}]


def test_full_spec_content() -> None:
    objects = render(FULL)
    kcp = by_kind(objects, "KubeadmControlPlane")[0]["spec"]
    assert kcp["replicas"] == 3
    assert kcp["rolloutStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 2}}
    kubeadm = kcp["kubeadmConfigSpec"]
    assert "api.example.com" in kubeadm["clusterConfiguration"]["apiServer"]["certSANs"]
    assert kubeadm["clusterConfiguration"]["apiServer"]["extraArgs"]["audit-log-maxage"] == "30"
    assert kubeadm["initConfiguration"]["nodeRegistration"]["kubeletExtraArgs"]["node-labels"] == "tier=cp"
    paths = [f["path"] for f in kubeadm["files"]]
    assert "/etc/containerd/certs.d/mirror.local:5000/ca.crt" in paths
    assert "/etc/containerd/certs.d/mirror.local:5000/hosts.toml" in paths
    assert "/etc/containerd/certs.d/public.ecr.aws/hosts.toml" in paths
    assert "/etc/systemd/system/containerd.service.d/http-proxy.conf" in paths
    assert kubeadm["preKubeadmCommands"][0] == "cat /etc/containerd/config_append.toml >> /etc/containerd/config.toml"
    mds = {md["metadata"]["name"]: md for md in by_kind(objects, "MachineDeployment")}
    assert mds["full-md-0"]["spec"]["replicas"] == 2
    assert mds["full-md-1"]["spec"]["replicas"] == 1
    assert mds["full-md-1"]["metadata"]["annotations"]["cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size"] == "3"
    assert mds["full-md-1"]["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": 0}
    kcts = {k["metadata"]["name"]: k for k in by_kind(objects, "KubeadmConfigTemplate")}
    md0 = kcts[mds["full-md-0"]["spec"]["template"]["spec"]["bootstrap"]["configRef"]["name"]]["spec"]["template"]["spec"]
    reg = md0["joinConfiguration"]["nodeRegistration"]
    assert reg["taints"] == [{"key": "k", "effect": "NoExecute"}]
    assert reg["kubeletExtraArgs"]["node-labels"] == "a=b"


def test_external_etcd_gets_its_own_template_and_etcdadm_cluster() -> None:
    objects = render(spec(externalEtcdConfiguration={"count": 3}))
    etcd = by_kind(objects, "EtcdadmCluster")[0]
    assert etcd["spec"]["replicas"] == 3
    templates = {t["metadata"]["name"] for t in by_kind(objects, "DockerMachineTemplate")}
    assert etcd["spec"]["infrastructureTemplate"]["name"] in templates
    assert etcd["spec"]["infrastructureTemplate"]["name"].startswith("dock-etcd-")
    cluster = by_kind(objects, "Cluster")[0]
    assert cluster["spec"]["managedExternalEtcdRef"]["name"] == "dock-etcd"
    kcp = by_kind(objects, "KubeadmControlPlane")[0]
    assert "external" in kcp["spec"]["kubeadmConfigSpec"]["clusterConfiguration"]["etcd"]


def test_unchanged_input_renders_identical_objects_and_a_new_version_new_templates() -> None:
    assert render(spec()) == render(spec())
    old = {o["metadata"]["name"] for o in by_kind(render(spec()), "DockerMachineTemplate")}
    new = {o["metadata"]["name"] for o in by_kind(render(spec(kubernetesVersion="1.32")), "DockerMachineTemplate")}
    assert old.isdisjoint(new)
    # a worker count change keeps every template
    scaled = spec(workerNodeGroupConfigurations=[{"name": "md-0", "count": 5}])
    names = {(o["kind"], o["metadata"]["name"]) for o in render(scaled) if o["kind"] != "MachineDeployment"}
    assert names == {(o["kind"], o["metadata"]["name"]) for o in render(spec()) if o["kind"] != "MachineDeployment"}


def test_default_node_image_comes_from_the_bundle() -> None:
    bundle = pytest.importorskip("eksa_temporal.bundle")
    objects = DockerProvider().render_capi_objects(spec(kubernetesVersion="1.33"), CTX)
    image = by_kind(objects, "DockerMachineTemplate")[0]["spec"]["template"]["spec"]["customImage"]
    assert image == bundle.load_bundle().kind_node_image("v1.33")
