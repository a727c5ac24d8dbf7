"""Rendering the CAPC objects: every object valid against the CRD schemas of Cluster API
v1.10 and CAPC v0.6.1 (``infrastructure.cluster.x-k8s.io/v1beta3``), one failure domain per
availability zone pointing at its credentials Secret, CAPC's provider ID on every node,
machine templates renamed exactly when what they render from changes, the keys only in the
failure-domain Secrets, and the upgrade limits EKS-A has."""

from __future__ import annotations

import functools
import json
import secrets
from pathlib import Path
from typing import Any

import pytest

from eksa_temporal.providers.base import RenderContext
from eksa_temporal.providers.capi.fetch import local_folder, parse_manifests
from eksa_temporal.providers.capi.release import DEFAULT_RELEASE
from eksa_temporal.providers.cloudstack.credentials import (
    SECRET_ENV,
    encode_profiles,
    resolve_profiles,
)
from eksa_temporal.providers.cloudstack.provider import CloudStackProvider
from eksa_temporal.providers.cloudstack.render import credential_secrets
from tests.providers.cloudstack.fixtures import Docs, cloudstack_spec
from tests.support.paths import shared_path
from tests.vsphere.crd_schema import problems

Obj = dict[str, Any]
CTX = RenderContext(namespace="eksa-system")
URL = "http://127.0.13.2:8080/client/api"
FILES = {
    "cluster.x-k8s.io": ("cluster-api", "v1.10.10", "core-components.yaml"),
    "controlplane.cluster.x-k8s.io": ("control-plane-kubeadm", "v1.10.10", "control-plane-components.yaml"),
    "bootstrap.cluster.x-k8s.io": ("bootstrap-kubeadm", "v1.10.10", "bootstrap-components.yaml"),
    "infrastructure.cluster.x-k8s.io": ("infrastructure-cloudstack", "v0.6.1", "infrastructure-components.yaml"),
}
pytestmark = pytest.mark.timeout(120)


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
    return CloudStackProvider(env={}).render_capi_objects(spec, CTX)


def by_kind(objects: list[Obj], kind: str) -> list[Obj]:
    return [o for o in objects if o["kind"] == kind]


def two_zones_and_groups(docs: Docs) -> None:
    cluster = docs[0]["spec"]
    cluster["controlPlaneConfiguration"]["count"] = 3
    cluster["workerNodeGroupConfigurations"].append(
        {"name": "md-1", "count": 2, "labels": {"tier": "gpu"}, "machineGroupRef": {"kind": "CloudStackMachineConfig", "name": "cs1-md-0"}}
    )
    cluster["proxyConfiguration"] = {"httpProxy": "http://proxy:3128", "httpsProxy": "http://proxy:3128", "noProxy": ["10.0.0.0/8"]}
    docs[1]["spec"]["availabilityZones"].append(
        {"name": "az-2", "credentialsRef": "second", "domain": "ROOT", "account": "admin", "managementApiEndpoint": "http://127.0.13.3:8080/client/api", "zone": {"id": "zone-2-id", "network": {"id": "net-2-id"}}}
    )
    docs[3]["spec"]["diskOffering"] = {"name": "custom", "customSizeInGB": 20, "mountPath": "/data", "device": "/dev/vdb", "filesystem": "ext4", "label": "data"}
    docs[3]["spec"]["symlinks"] = {"/var/log": "/data/var/log"}
    docs[3]["spec"]["affinityGroupIds"] = ["group-1"]
    docs[3]["spec"]["userCustomDetails"] = {"foo": "bar"}


def test_every_object_matches_its_crd_schema() -> None:
    objects = render(cloudstack_spec(URL, two_zones_and_groups))
    assert [o["kind"] for o in objects] == [
        "Cluster",
        "CloudStackCluster",
        "CloudStackMachineTemplate",
        "KubeadmControlPlane",
        *["KubeadmConfigTemplate", "CloudStackMachineTemplate", "MachineDeployment"] * 2,
    ]
    for obj in objects:
        assert obj["metadata"]["namespace"] == "eksa-system"
        assert problems(obj, schema(obj)) == [], (obj["kind"], obj["metadata"]["name"], problems(obj, schema(obj)))
    assert {o["apiVersion"] for o in objects if "CloudStack" in o["kind"]} == {"infrastructure.cluster.x-k8s.io/v1beta3"}


def test_each_availability_zone_is_a_failure_domain_with_its_credentials_secret() -> None:
    objects = render(cloudstack_spec(URL, two_zones_and_groups))
    csc = by_kind(objects, "CloudStackCluster")[0]["spec"]
    assert csc["controlPlaneEndpoint"] == {"host": "127.0.13.200", "port": 6443}
    assert [(fd["name"], fd["acsEndpoint"]) for fd in csc["failureDomains"]] == [
        ("az-1", {"name": "global", "namespace": "eksa-system"}),
        ("az-2", {"name": "second", "namespace": "eksa-system"}),
    ]
    assert csc["failureDomains"][1]["zone"] == {"id": "zone-2-id", "name": "", "network": {"id": "net-2-id", "name": ""}}
    kcp = by_kind(objects, "KubeadmControlPlane")[0]["spec"]
    registration = kcp["kubeadmConfigSpec"]["initConfiguration"]["nodeRegistration"]
    assert registration["kubeletExtraArgs"]["provider-id"] == "cloudstack:///'{{ ds.meta_data.instance_id }}'"
    vip = next(f for f in kcp["kubeadmConfigSpec"]["files"] if f["path"].endswith("kube-vip.yaml"))
    assert "127.0.13.200" in vip["content"]
    proxy = next(f for f in kcp["kubeadmConfigSpec"]["files"] if "http-proxy" in f["path"])
    assert "127.0.13.2," in proxy["content"] and "127.0.13.3" in proxy["content"]  # management APIs bypass the proxy
    worker = by_kind(objects, "CloudStackMachineTemplate")[1]
    tspec = worker["spec"]["template"]["spec"]
    assert tspec["diskOffering"]["customSizeInGB"] == 20 and tspec["affinityGroupIDs"] == ["group-1"]
    assert worker["metadata"]["annotations"]["symlinks.cloudstack.anywhere.eks.amazonaws.com/v1alpha1"] == "/var/log:/data/var/log"
    mds = by_kind(objects, "MachineDeployment")
    assert [md["spec"]["replicas"] for md in mds] == [1, 2] and kcp["replicas"] == 3


def test_template_names_change_exactly_when_the_offering_changes() -> None:
    def names(spec: Any) -> list[str]:
        return [t["metadata"]["name"] for t in by_kind(render(spec), "CloudStackMachineTemplate")]

    def bigger(docs: Docs) -> None:
        docs[3]["spec"]["computeOffering"]["name"] = "m4-xlarge"

    same, again, changed = names(cloudstack_spec(URL)), names(cloudstack_spec(URL)), names(cloudstack_spec(URL, bigger))
    assert same == again
    assert same[0] == changed[0] and same[1] != changed[1]


def test_keys_are_only_in_the_failure_domain_secrets() -> None:
    key, secret = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    env = {SECRET_ENV: encode_profiles({"global": {"api-key": key, "secret-key": secret, "api-url": URL}})}
    spec = cloudstack_spec(URL)
    dumped = json.dumps(render(spec))
    assert key not in dumped and secret not in dumped
    [made] = credential_secrets(spec, resolve_profiles(env), "eksa-system")
    assert made["metadata"] == {"name": "global", "namespace": "eksa-system", "labels": {"clusterctl.cluster.x-k8s.io/move": "true"}}
    assert made["stringData"] == {"api-url": URL, "api-key": key, "secret-key": secret, "verify-ssl": "true"}


def test_upgrade_limits_are_eksas() -> None:
    provider = CloudStackProvider(env={})
    old = cloudstack_spec(URL)

    def more_workers(docs: Docs) -> None:
        docs[0]["spec"]["workerNodeGroupConfigurations"][0]["count"] = 3
        docs[0]["spec"]["kubernetesVersion"] = "1.32"

    assert provider.validate_upgrade(old, cloudstack_spec(URL, more_workers)) == []

    def other_account(docs: Docs) -> None:
        docs[1]["spec"]["availabilityZones"][0]["account"] = "someone"

    [found] = provider.validate_upgrade(old, cloudstack_spec(URL, other_account))
    assert found.path == "CloudStackDatacenterConfig/cs1.spec.availabilityZones[0]" and "account" in found.message

    def renamed(docs: Docs) -> None:
        docs[1]["spec"]["availabilityZones"][0]["name"] = "az-9"

    [found] = provider.validate_upgrade(old, cloudstack_spec(URL, renamed))
    assert "at least one availability zone" in found.message

    def added(docs: Docs) -> None:
        docs[1]["spec"]["availabilityZones"].append(
            {"name": "az-2", "credentialsRef": "global", "domain": "ROOT", "account": "admin", "managementApiEndpoint": URL, "zone": {"name": "zone2", "network": {"name": "net2"}}}
        )

    assert provider.validate_upgrade(old, cloudstack_spec(URL, added)) == []


def test_components_are_capc_from_the_bundle(upstream_components: Path) -> None:
    provider = CloudStackProvider(env={})
    assert provider.can_create
    [infra] = provider.components(None)
    assert (infra.name, infra.version) == ("cloudstack", "v0.6.1")
    plan = DEFAULT_RELEASE.plan("cloudstack")
    assert plan[-1].name == "infrastructure-cloudstack"
    assert local_folder(upstream_components, plan[-1]) is not None
    assert "prepare_managing_cluster" not in provider.hooks()  # not a step hook: run inside the apply


def test_the_legacy_zones_form_renders_and_keeps_its_domain_and_account() -> None:
    def legacy(account: str) -> Any:
        def mutate(docs: Docs) -> None:
            docs[1]["spec"] = {
                "domain": "ROOT",
                "account": account,
                "managementApiEndpoint": URL,
                "zones": [{"name": "zone1", "network": {"name": "net1"}}],
            }

        return mutate

    old = cloudstack_spec(URL, legacy("admin"))
    [fd] = by_kind(render(old), "CloudStackCluster")[0]["spec"]["failureDomains"]
    assert fd["name"] == "default-az-0" and fd["acsEndpoint"]["name"] == "global" and fd["account"] == "admin"
    found = CloudStackProvider(env={}).validate_upgrade(old, cloudstack_spec(URL, legacy("other")))
    assert "CloudStackDatacenterConfig/cs1.spec.account" in {f.path for f in found}
    assert all(f.check == "cloudstack-immutable" and f.remediation for f in found)
