"""Rendering the CAPAS objects: every object valid against the CRD schemas of the Cluster API
v1.10 components and of the CAPAS stand-in (written from the CAPAS API types), the shapes
EKS-A's apibuilder gives them (region ``snow``, the identity Secret, CAPAS's providerID
argument, stacked etcd listening everywhere, Ubuntu's bootstrap script, static-IP pools),
the credentials Secret holding both files, template names that change exactly when what
they render from changes, and the upgrade limits of a Snow cluster."""

from __future__ import annotations

import base64
import functools
import secrets
from pathlib import Path
from typing import Any

from eksa_temporal.providers.base import RenderContext
from eksa_temporal.providers.capi.fetch import parse_manifests
from eksa_temporal.providers.snow.provider import SnowProvider
from eksa_temporal.providers.snow.render import PROVIDER_ID, default_key_name
from eksa_temporal.simulator.components import manifests
from tests.providers.snow.specs import snow_spec
from tests.support.paths import shared_path
from tests.vsphere.crd_schema import problems

Obj = dict[str, Any]
CTX = RenderContext(namespace="eksa-system")
DEVICES = ["127.0.15.2", "127.0.15.3"]
AMI = "ami-0a1b2c3d4e5f60718"
CAPI = {
    "cluster.x-k8s.io": ("cluster-api", "v1.10.10", "core-components.yaml"),
    "controlplane.cluster.x-k8s.io": ("control-plane-kubeadm", "v1.10.10", "control-plane-components.yaml"),
    "bootstrap.cluster.x-k8s.io": ("bootstrap-kubeadm", "v1.10.10", "bootstrap-components.yaml"),
}


@functools.cache
def _crds(path: Path | None) -> dict[str, Obj]:
    docs = manifests("snow") if path is None else parse_manifests(path.read_text())
    return {d["spec"]["names"]["kind"]: d for d in docs if d.get("kind") == "CustomResourceDefinition"}


def schema(obj: Obj) -> Obj:
    group, _, version = obj["apiVersion"].partition("/")
    path = None if group == "infrastructure.cluster.x-k8s.io" else shared_path("upstream-components", *CAPI[group])
    crd = _crds(path)[obj["kind"]]
    for v in crd["spec"]["versions"]:
        if v["name"] == version:
            assert v.get("served"), f"{obj['kind']} {version} is not served"
            return dict(v["schema"]["openAPIV3Schema"])
    raise KeyError(f"{obj['kind']} {version}")


def render(spec: Any) -> list[Obj]:
    return SnowProvider(env={}).render_capi_objects(spec, CTX)


def by_kind(objects: list[Obj], kind: str) -> list[Obj]:
    return [o for o in objects if o["kind"] == kind]


def test_every_object_matches_its_crd_schema() -> None:
    objects = render(snow_spec("demo", DEVICES, AMI, workers=2, ip_pool=("127.0.15.10", "127.0.15.20")))
    assert [o["kind"] for o in objects] == [
        "Cluster", "AWSSnowCluster", "AWSSnowIPPool", "AWSSnowMachineTemplate", "KubeadmControlPlane",
        "KubeadmConfigTemplate", "AWSSnowMachineTemplate", "MachineDeployment",
    ]
    for obj in objects:
        assert obj["metadata"]["namespace"] == "eksa-system"
        assert problems(obj, schema(obj)) == [], (obj["kind"], obj["metadata"]["name"])


def test_the_objects_have_the_shapes_eksa_builds() -> None:
    objects = render(snow_spec("demo", DEVICES, AMI, workers=2, ip_pool=("127.0.15.10", "127.0.15.20"), version="1.30"))
    snow_cluster = by_kind(objects, "AWSSnowCluster")[0]["spec"]
    assert snow_cluster == {
        "region": "snow",
        "controlPlaneEndpoint": {"host": "127.0.15.200", "port": 6443},
        "identityRef": {"kind": "Secret", "name": "demo-snow-credentials"},
    }
    cp_template, worker_template = (t["spec"]["template"]["spec"] for t in by_kind(objects, "AWSSnowMachineTemplate"))
    assert cp_template["devices"] == DEVICES and cp_template["ami"] == {"id": AMI}
    assert cp_template["sshKeyName"] == default_key_name("demo")
    assert cp_template["network"] == {"directNetworkInterfaces": [{"index": 1, "dhcp": True, "primary": True}]}
    assert worker_template["network"]["directNetworkInterfaces"] == [
        {"index": 1, "primary": True, "ipPool": {"kind": "AWSSnowIPPool", "name": "demo-pool"}}
    ]
    assert by_kind(objects, "AWSSnowIPPool")[0]["spec"]["pools"] == [
        {"ipStart": "127.0.15.10", "ipEnd": "127.0.15.20", "gateway": "127.0.15.1", "subnet": "127.0.15.0/24"}
    ]
    kcp = by_kind(objects, "KubeadmControlPlane")[0]["spec"]
    kubeadm = kcp["kubeadmConfigSpec"]
    assert kubeadm["initConfiguration"]["nodeRegistration"]["kubeletExtraArgs"]["provider-id"] == PROVIDER_ID
    assert kubeadm["joinConfiguration"]["nodeRegistration"]["ignorePreflightErrors"] == ["DirAvailable--etc-kubernetes-manifests"]
    assert kubeadm["clusterConfiguration"]["etcd"]["local"]["extraArgs"]["listen-client-urls"] == "https://0.0.0.0:2379"
    assert kubeadm["clusterConfiguration"]["featureGates"] == {"EtcdLearnerMode": False}
    assert kubeadm["preKubeadmCommands"][0] == "/etc/eks/bootstrap.sh"
    assert "127.0.15.200" in kubeadm["files"][0]["content"]
    md = by_kind(objects, "MachineDeployment")[0]["spec"]
    assert md["replicas"] == 2 and md["template"]["spec"]["version"] == kcp["version"] == "v1.30.0"


def test_template_names_change_exactly_when_their_input_does() -> None:
    def names(spec: Any) -> list[str]:
        return [t["metadata"]["name"] for t in by_kind(render(spec), "AWSSnowMachineTemplate")]

    base = names(snow_spec("demo", DEVICES, AMI))
    assert names(snow_spec("demo", DEVICES, AMI)) == base
    assert names(snow_spec("demo", DEVICES, AMI, workers=3)) == base  # a count is not in a template
    other = names(snow_spec("demo", DEVICES, "ami-0fedcba9876543210"))
    assert other[0] != base[0] and other[1] != base[1]


def test_external_etcd_renders_an_etcdadm_cluster_on_its_own_template() -> None:
    objects = render(snow_spec("ext", DEVICES, AMI, external_etcd=True))
    cluster = by_kind(objects, "Cluster")[0]["spec"]
    assert cluster["managedExternalEtcdRef"]["name"] == "ext-etcd"
    etcd = by_kind(objects, "EtcdadmCluster")[0]["spec"]
    assert etcd["replicas"] == 3 and etcd["etcdadmConfigSpec"]["preEtcdadmCommands"] == ["/etc/eks/bootstrap.sh"]
    kubeadm = by_kind(objects, "KubeadmControlPlane")[0]["spec"]["kubeadmConfigSpec"]
    assert "external" in kubeadm["clusterConfiguration"]["etcd"]


def test_the_credentials_secret_holds_both_files_base64_encoded(tmp_path: Path) -> None:
    creds = tmp_path / "credentials"
    creds.write_text(f"[127.0.15.2]\naws_access_key_id = AKIA{secrets.token_hex(8).upper()}\naws_secret_access_key = {secrets.token_urlsafe(30)}\n")
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    env = {"EKSA_AWS_CREDENTIALS_FILE": str(creds), "EKSA_AWS_CA_BUNDLES_FILE": str(ca)}
    provider = SnowProvider(env=env)
    spec = snow_spec("demo", DEVICES[:1], AMI)
    secret = provider.credentials_secret(spec, CTX)
    assert secret["metadata"]["name"] == "demo-snow-credentials"
    assert secret["metadata"]["labels"] == {"clusterctl.cluster.x-k8s.io/move": "true"}
    decoded = {k: base64.b64decode(base64.b64decode(v)) for k, v in secret["data"].items()}
    assert decoded == {"credentials": creds.read_bytes(), "ca-bundle": ca.read_bytes()}
    variables = provider.component_variables(spec)
    assert base64.b64decode(variables["AWS_B64ENCODED_CREDENTIALS"]) == creds.read_bytes()
    # nothing else rendered holds the keys
    text = repr(render(spec))
    assert creds.read_text().split()[-1] not in text


def test_the_etcd_topology_and_ip_pools_cannot_change_in_an_upgrade() -> None:
    provider = SnowProvider(env={})
    stacked = snow_spec("up", DEVICES, AMI, ip_pool=("127.0.15.10", "127.0.15.20"))
    assert provider.validate_upgrade(stacked, snow_spec("up", DEVICES, AMI, workers=2, version="1.32", ip_pool=("127.0.15.10", "127.0.15.20"))) == []
    external = snow_spec("up", DEVICES, AMI, external_etcd=True, ip_pool=("127.0.15.10", "127.0.15.20"))
    assert [f.path for f in provider.validate_upgrade(stacked, external)] == ["Cluster.spec.externalEtcdConfiguration"]
    moved = snow_spec("up", DEVICES, AMI, ip_pool=("127.0.15.10", "127.0.15.30"))
    found = provider.validate_upgrade(stacked, moved)
    assert [(f.path, f.message) for f in found] == [("SnowIPPool/up-pool.spec.pools", "spec.pools: Forbidden: field is immutable")]


def test_bottlerocket_machines_render_eksa_bottlerocket_shapes() -> None:
    """As EKS-A: ``format: bottlerocket`` (a format of EKS-A's Cluster API build; upstream
    v1.10 accepts cloud-config and ignition only), no Ubuntu bootstrap script, and CAPAS's
    image lookup for Bottlerocket."""
    spec = snow_spec("br", DEVICES, AMI, os_family="bottlerocket")
    objects = render(spec)
    kcp = by_kind(objects, "KubeadmControlPlane")[0]["spec"]["kubeadmConfigSpec"]
    assert kcp["format"] == "bottlerocket" and "/etc/eks/bootstrap.sh" not in kcp["preKubeadmCommands"]
    assert "ignorePreflightErrors" not in kcp["joinConfiguration"]["nodeRegistration"]
    kct = by_kind(objects, "KubeadmConfigTemplate")[0]["spec"]["template"]["spec"]
    assert kct["format"] == "bottlerocket" and "preKubeadmCommands" not in kct
    templates = [t["spec"]["template"]["spec"] for t in by_kind(objects, "AWSSnowMachineTemplate")]
    assert {(t["osFamily"], t["imageLookupBaseOS"]) for t in templates} == {("bottlerocket", "bottlerocket")}
    for template in by_kind(objects, "AWSSnowMachineTemplate"):
        assert problems(template, schema(template)) == []
