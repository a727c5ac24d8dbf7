"""Rendering the CAPI/CAPV objects: shapes valid against the CAPV v1.13.1 CRDs, the
EKS-A template's content (endpoint, kube-vip, per-group templates), and no password in
anything but the credentials Secret."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import yaml

from eksa_temporal.providers.base import RenderContext
from eksa_temporal.providers.vsphere import VSphereProvider
from tests.support.paths import shared_path

from .crd_schema import crd_schema, problems
from .specs import SimInfo, spec

Obj = dict[str, Any]
SIM = SimInfo(server="vc.example.com:8443", thumbprint="2c:11:ed:d7", user="u", password="p")
CTX = RenderContext(namespace="eksa-system", credentials_secret="alpha-vsphere-credentials")


def by_kind(objects: list[Obj], kind: str) -> list[Obj]:
    return [o for o in objects if o["kind"] == kind]


@pytest.fixture
def objects() -> list[Obj]:
    return VSphereProvider().render_capi_objects(spec(SIM, etcd={}), CTX)


@pytest.mark.parametrize(
    ("kind", "crd"),
    [
        ("VSphereCluster", "infrastructure.cluster.x-k8s.io_vsphereclusters.yaml"),
        ("VSphereMachineTemplate", "infrastructure.cluster.x-k8s.io_vspheremachinetemplates.yaml"),
    ],
)
def test_capv_objects_match_the_crd_schema(objects: list[Obj], kind: str, crd: str) -> None:
    schema = crd_schema(
        shared_path("capi-crds", "cluster-api-provider-vsphere-v1.13.1", crd), "v1beta1"
    )
    rendered = by_kind(objects, kind)
    assert rendered
    for obj in rendered:
        assert obj["apiVersion"] == "infrastructure.cluster.x-k8s.io/v1beta1"
        assert problems(obj, schema) == []


def test_schema_check_catches_a_misplaced_field(objects: list[Obj]) -> None:
    schema = crd_schema(
        shared_path(
            "capi-crds",
            "cluster-api-provider-vsphere-v1.13.1",
            "infrastructure.cluster.x-k8s.io_vspheremachinetemplates.yaml",
        ),
        "v1beta1",
    )
    broken = json.loads(json.dumps(by_kind(objects, "VSphereMachineTemplate")[0]))
    spec_ = broken["spec"]["template"]["spec"]
    spec_["numCpus"] = spec_.pop("numCPUs")
    del spec_["template"]
    found = problems(broken, schema)
    assert ".spec.template.spec.numCpus: unknown field" in found
    assert "spec.template.spec.template: Required value" in found  # in kube-apiserver's words


def test_vsphere_cluster_carries_server_thumbprint_endpoint_and_identity(
    objects: list[Obj],
) -> None:
    (vc,) = by_kind(objects, "VSphereCluster")
    assert vc["spec"] == {
        "controlPlaneEndpoint": {"host": "127.0.0.201", "port": 6443},
        "identityRef": {"kind": "Secret", "name": "alpha-vsphere-credentials"},
        "server": "vc.example.com:8443",
        "thumbprint": "2C:11:ED:D7",
    }


def test_one_machine_template_per_role_with_the_machine_config_fields(objects: list[Obj]) -> None:
    templates = by_kind(objects, "VSphereMachineTemplate")
    names = [t["metadata"]["name"] for t in templates]
    assert [n.rsplit("-", 1)[0] for n in names] == [
        "alpha-control-plane",
        "alpha-etcd",
        "alpha-md-0",
    ]
    spec_ = templates[0]["spec"]["template"]["spec"]
    assert spec_["template"] == "/DC0/vm/Templates/ubuntu-1-28"
    assert spec_["datastore"] == "/DC0/datastore/LocalDS_0"
    assert (
        spec_["folder"] == "/DC0/vm/eksa" and spec_["resourcePool"] == "/DC0/host/DC0_C0/Resources"
    )
    assert (spec_["numCPUs"], spec_["memoryMiB"], spec_["diskGiB"]) == (2, 4096, 20)
    assert spec_["network"] == {
        "devices": [{"dhcp4": True, "networkName": "/DC0/network/VM Network"}]
    }
    assert spec_["cloneMode"] == "fullClone"


def names(objs: list[Obj]) -> list[str]:
    return [o["metadata"]["name"] for o in by_kind(objs, "VSphereMachineTemplate")]


def test_machine_template_name_changes_with_its_spec() -> None:
    a = VSphereProvider().render_capi_objects(spec(SIM), CTX)
    b = VSphereProvider().render_capi_objects(spec(SIM, md={"numCPUs": 8}), CTX)
    assert names(a)[0] == names(b)[0] and names(a)[1] != names(b)[1]


def test_control_plane_runs_kube_vip_for_the_endpoint(objects: list[Obj]) -> None:
    (kcp,) = by_kind(objects, "KubeadmControlPlane")
    files = kcp["spec"]["kubeadmConfigSpec"]["files"]
    (vip,) = [f for f in files if f["path"] == "/etc/kubernetes/manifests/kube-vip.yaml"]
    pod = yaml.safe_load(vip["content"])
    env = {e["name"]: e["value"] for e in pod["spec"]["containers"][0]["env"]}
    assert env["address"] == "127.0.0.201" and env["port"] == "6443"
    infra = kcp["spec"]["machineTemplate"]["infrastructureRef"]
    assert infra["name"] == by_kind(objects, "VSphereMachineTemplate")[0]["metadata"]["name"]
    assert kcp["spec"]["replicas"] == 1 and kcp["spec"]["version"] == "v1.28.0"
    assert "external" in kcp["spec"]["kubeadmConfigSpec"]["clusterConfiguration"]["etcd"]


def test_every_worker_group_gets_a_machine_deployment_and_bootstrap_template(
    objects: list[Obj],
) -> None:
    (md,) = by_kind(objects, "MachineDeployment")
    (kct,) = by_kind(objects, "KubeadmConfigTemplate")
    tmpl = md["spec"]["template"]["spec"]
    assert md["metadata"]["name"] == "alpha-md-0" and md["spec"]["replicas"] == 2
    assert tmpl["bootstrap"]["configRef"]["name"] == kct["metadata"]["name"]
    assert tmpl["infrastructureRef"]["name"].startswith("alpha-md-0-")
    assert kct["spec"]["template"]["spec"]["users"][0]["sshAuthorizedKeys"] == [
        "ssh-ed25519 AAAAC3Nza test@example"
    ]


def test_cluster_references_its_infrastructure_control_plane_and_etcd(objects: list[Obj]) -> None:
    (cluster,) = by_kind(objects, "Cluster")
    assert cluster["spec"]["infrastructureRef"]["kind"] == "VSphereCluster"
    assert cluster["spec"]["controlPlaneRef"]["kind"] == "KubeadmControlPlane"
    assert cluster["spec"]["managedExternalEtcdRef"]["kind"] == "EtcdadmCluster"
    assert by_kind(objects, "EtcdadmCluster")[0]["spec"]["replicas"] == 3


def test_password_appears_only_in_the_credentials_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    password = "Render-Secret-7731"
    monkeypatch.setenv("EKSA_VSPHERE_USERNAME", "render-user")
    monkeypatch.setenv("EKSA_VSPHERE_PASSWORD", password)
    provider = VSphereProvider()
    objects = provider.render_capi_objects(spec(SIM), CTX)
    text = json.dumps(objects)
    encoded = base64.b64encode(password.encode()).decode()
    assert password not in text and encoded not in text
    assert "Secret" not in {o["kind"] for o in objects}
    secret = provider.credentials_secret(spec(SIM), CTX)
    assert secret["metadata"]["name"] == "alpha-vsphere-credentials"
    assert base64.b64decode(secret["data"]["password"]).decode() == password
