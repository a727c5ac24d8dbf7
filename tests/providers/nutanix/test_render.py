"""Rendering the CAPX objects: every object valid against the CRD schemas of the Cluster
API v1.10 components and CAPX v1.10.3, Prism Central and the machine configs carried into
NutanixCluster and NutanixMachineTemplates as EKS-A's templates write them, the credentials
Secret in EKS-A's ``secret-template.yaml`` shape (and nowhere else), template names that
change exactly when a machine config changes, CAPX's component variables, and the upgrade
limits."""

from __future__ import annotations

import base64
import functools
import json
import secrets
from pathlib import Path
from typing import Any

import pytest

from eksa_temporal.errors import BadCredentials
from eksa_temporal.providers.base import RenderContext
from eksa_temporal.providers.capi.fetch import parse_manifests
from eksa_temporal.providers.nutanix.provider import NutanixProvider
from tests.providers.nutanix.specs import Docs, nutanix_spec
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
    "addons.cluster.x-k8s.io": ("cluster-api", "v1.10.10", "core-components.yaml"),
    "infrastructure.cluster.x-k8s.io": (
        "infrastructure-nutanix",
        "v1.10.3",
        "infrastructure-components.yaml",
    ),
}
CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


@functools.cache
def _crds(path: Path) -> dict[str, Obj]:
    docs = parse_manifests(path.read_text())
    return {
        d["spec"]["names"]["kind"]: d for d in docs if d.get("kind") == "CustomResourceDefinition"
    }


def schema(obj: Obj) -> Obj:
    group, _, version = obj["apiVersion"].partition("/")
    crd = _crds(shared_path("upstream-components", *FILES[group]))[obj["kind"]]
    for v in crd["spec"]["versions"]:
        if v["name"] == version:
            assert v.get("served"), f"{obj['kind']} {version} is not served"
            return dict(v["schema"]["openAPIV3Schema"])
    raise KeyError(f"{obj['kind']} {version}")


def custom(objects: list[Obj]) -> list[Obj]:
    """The objects of the Cluster API and CAPX kinds (not ConfigMaps)."""
    return [o for o in objects if o["apiVersion"].partition("/")[0] in FILES]


def env() -> dict[str, str]:
    return {
        "EKSA_NUTANIX_USERNAME": "eksa-admin",
        "EKSA_NUTANIX_PASSWORD": secrets.token_urlsafe(16),
    }


def by_kind(objects: list[Obj], kind: str) -> list[Obj]:
    return [o for o in objects if o["kind"] == kind]


def rich(docs: Docs) -> None:
    cluster = docs[0]["spec"]
    cluster["controlPlaneConfiguration"]["count"] = 3
    cluster["workerNodeGroupConfigurations"].append(
        {
            "name": "md-1",
            "count": 2,
            "labels": {"tier": "gpu"},
            "taints": [{"key": "gpu", "value": "yes", "effect": "NoSchedule"}],
            "machineGroupRef": {"kind": "NutanixMachineConfig", "name": "nx-md-0"},
        }
    )
    cluster["proxyConfiguration"] = {
        "httpProxy": "http://proxy:3128",
        "httpsProxy": "http://proxy:3128",
        "noProxy": ["10.0.0.0/8"],
    }
    docs[1]["spec"].update(
        endpoint="prism.example.com",
        additionalTrustBundle=CA,
        failureDomains=[
            {
                "name": "fd-1",
                "cluster": {"type": "name", "name": "pe-1"},
                "subnets": [{"type": "uuid", "uuid": "6f8a0b3c-0000-4000-8000-000000000001"}],
            }
        ],
    )
    md = docs[3]["spec"]
    md["project"] = {"type": "name", "name": "eksa-project"}
    md["additionalCategories"] = [{"key": "AppType", "value": "eksa"}]
    md["bootType"] = "uefi"


def test_every_object_matches_its_crd_schema() -> None:
    objects = NutanixProvider(env=env()).render_capi_objects(nutanix_spec(None, rich), CTX)
    assert [o["kind"] for o in objects] == [
        "ConfigMap",
        "Cluster",
        "NutanixCluster",
        "NutanixMachineTemplate",
        "KubeadmControlPlane",
        *["KubeadmConfigTemplate", "NutanixMachineTemplate", "MachineDeployment"] * 2,
        "MachineHealthCheck",
        "ConfigMap",
        "ClusterResourceSet",
    ]
    for obj in custom(objects):
        assert obj["apiVersion"].endswith("/v1beta1"), obj["apiVersion"]
        assert obj["metadata"]["namespace"] == "eksa-system"
        assert problems(obj, schema(obj)) == [], (
            obj["kind"],
            obj["metadata"]["name"],
            problems(obj, schema(obj)),
        )


def test_prism_central_and_the_machine_configs_reach_capx() -> None:
    objects = NutanixProvider(env=env()).render_capi_objects(nutanix_spec(None, rich), CTX)
    nc = by_kind(objects, "NutanixCluster")[0]["spec"]
    assert nc["prismCentral"] == {
        "address": "prism.example.com",
        "port": 9440,
        "insecure": False,
        "credentialRef": {"kind": "Secret", "name": "capx-nx"},
        "additionalTrustBundle": {
            "kind": "ConfigMap",
            "name": "nx-trust-bundle",
            "namespace": "eksa-system",
        },
    }
    assert nc["failureDomains"][0]["subnets"] == [
        {"type": "uuid", "uuid": "6f8a0b3c-0000-4000-8000-000000000001"}
    ]
    assert nc["controlPlaneEndpoint"] == {"host": "127.0.14.200", "port": 6443}
    assert by_kind(objects, "ConfigMap")[0]["data"] == {"ca.crt": CA}
    md = by_kind(objects, "MachineDeployment")[0]
    templates = {
        t["metadata"]["name"]: t["spec"]["template"]["spec"]
        for t in by_kind(objects, "NutanixMachineTemplate")
    }
    worker = templates[md["spec"]["template"]["spec"]["infrastructureRef"]["name"]]
    assert worker["image"] == {"type": "name", "name": "ubuntu-2204-kube-v1-31"}
    assert worker["cluster"] == {"type": "name", "name": "prism-element"}
    assert worker["subnet"] == [{"type": "name", "name": "prism-subnet"}]
    assert worker["project"] == {"type": "name", "name": "eksa-project"}
    assert worker["additionalCategories"] == [{"key": "AppType", "value": "eksa"}]
    assert (worker["bootType"], worker["memorySize"], worker["vcpuSockets"]) == ("uefi", "8Gi", 4)
    kcp = by_kind(objects, "KubeadmControlPlane")[0]["spec"]
    assert kcp["replicas"] == 3 and kcp["version"] == "v1.31.0"
    assert (
        kcp["kubeadmConfigSpec"]["initConfiguration"]["nodeRegistration"]["kubeletExtraArgs"][
            "cloud-provider"
        ]
        == "external"
    )
    vip = next(f for f in kcp["kubeadmConfigSpec"]["files"] if f["path"].endswith("kube-vip.yaml"))
    assert "127.0.14.200" in vip["content"]
    proxy = next(
        f for f in kcp["kubeadmConfigSpec"]["files"] if f["path"].endswith("http-proxy.conf")
    )
    assert "prism.example.com,127.0.14.200" in proxy["content"]  # Prism Central bypasses the proxy


def test_the_credentials_secret_has_eksas_shape_and_nothing_else_holds_the_password() -> None:
    values = env()
    provider = NutanixProvider(env=values)
    spec = nutanix_spec(None)
    secret = provider.credentials_secret(spec, CTX)
    assert (
        secret["metadata"]["name"] == "capx-nx" and secret["metadata"]["namespace"] == "eksa-system"
    )
    doc = json.loads(base64.b64decode(secret["data"]["credentials"]))
    assert doc == [
        {
            "type": "basic_auth",
            "data": {
                "prismCentral": {
                    "username": "eksa-admin",
                    "password": values["EKSA_NUTANIX_PASSWORD"],
                },
                "prismElements": None,
            },
        }
    ]
    rendered = json.dumps(provider.render_capi_objects(spec, CTX))
    assert values["EKSA_NUTANIX_PASSWORD"] not in rendered
    with pytest.raises(BadCredentials, match="EKSA_NUTANIX_PASSWORD"):
        NutanixProvider(env={"EKSA_NUTANIX_USERNAME": "x"}).credentials_secret(spec, CTX)


def test_worker_groups_named_by_failure_domains_spread_over_them() -> None:
    def domains(docs: Docs) -> None:
        docs[0]["spec"]["workerNodeGroupConfigurations"][0]["count"] = 5
        docs[1]["spec"]["failureDomains"] = [
            {
                "name": f"fd-{i}",
                "cluster": {"type": "name", "name": f"pe-{i}"},
                "subnets": [{"type": "name", "name": f"net-{i}"}],
                "workerMachineGroups": ["md-0"],
            }
            for i in (1, 2)
        ]

    objects = NutanixProvider(env=env()).render_capi_objects(nutanix_spec(None, domains), CTX)
    mds = by_kind(objects, "MachineDeployment")
    assert [
        (
            m["metadata"]["name"],
            m["spec"]["replicas"],
            m["spec"]["template"]["spec"]["failureDomain"],
        )
        for m in mds
    ] == [
        ("nx-md-0-fd-1", 3, "fd-1"),
        ("nx-md-0-fd-2", 2, "fd-2"),
    ]
    templates = {
        t["metadata"]["name"]: t["spec"]["template"]["spec"]
        for t in by_kind(objects, "NutanixMachineTemplate")
    }
    fd2 = templates[mds[1]["spec"]["template"]["spec"]["infrastructureRef"]["name"]]
    assert fd2["cluster"] == {"type": "name", "name": "pe-2"} and fd2["subnet"] == [
        {"type": "name", "name": "net-2"}
    ]
    assert len(by_kind(objects, "KubeadmConfigTemplate")) == 1
    nc = by_kind(objects, "NutanixCluster")[0]["spec"]
    assert [fd["name"] for fd in nc["failureDomains"]] == ["fd-1", "fd-2"]
    for obj in custom(objects):
        assert problems(obj, schema(obj)) == [], obj["kind"]


def test_template_names_change_exactly_when_a_machine_config_changes() -> None:
    def names(mutate: Any = None) -> list[str]:
        objects = NutanixProvider(env=env()).render_capi_objects(nutanix_spec(None, mutate), CTX)
        return [t["metadata"]["name"] for t in by_kind(objects, "NutanixMachineTemplate")]

    def bigger_worker(docs: Docs) -> None:
        docs[3]["spec"]["memorySize"] = "16Gi"

    first, again, changed = names(), names(), names(bigger_worker)
    assert first == again
    assert first[0] == changed[0] and first[1] != changed[1]


def test_capx_component_variables_come_from_the_datacenter_and_the_environment() -> None:
    values = env()
    provider = NutanixProvider(env=values)
    assert provider.infrastructure_component().model_dump() == {
        "name": "nutanix",
        "version": "v1.10.3",
    }
    variables = provider.component_variables(nutanix_spec(None, rich))
    assert (
        variables["NUTANIX_ENDPOINT"] == "prism.example.com" and variables["NUTANIX_PORT"] == "9440"
    )
    assert variables["NUTANIX_INSECURE"] == "false"
    assert base64.b64decode(variables["NUTANIX_ADDITIONAL_TRUST_BUNDLE"]).decode() == CA
    assert (variables["NUTANIX_USER"], variables["NUTANIX_PASSWORD"]) == (
        "eksa-admin",
        values["EKSA_NUTANIX_PASSWORD"],
    )


def test_upgrade_limits_follow_eksas_webhooks() -> None:
    provider = NutanixProvider(env=env())
    old = nutanix_spec(None)

    def more_workers_newer_version(docs: Docs) -> None:
        docs[0]["spec"]["workerNodeGroupConfigurations"][0]["count"] = 3
        docs[3]["spec"]["memorySize"] = "16Gi"  # a worker's size may change

    assert (
        provider.validate_upgrade(
            old, nutanix_spec(None, more_workers_newer_version, version="1.32")
        )
        == []
    )

    def forbidden(docs: Docs) -> None:
        docs[2]["spec"]["memorySize"] = "16Gi"  # control plane of a management cluster
        docs[3]["spec"]["subnet"]["name"] = "other-subnet"
        del docs[1]["spec"]["credentialRef"]

    found = provider.validate_upgrade(old, nutanix_spec(None, forbidden))
    assert [f.path for f in found] == [
        "NutanixMachineConfig/nx-cp: spec.memorySize",
        "NutanixMachineConfig/nx-md-0: spec.subnet",
        "NutanixDatacenterConfig/nx: spec.credentialRef",
    ]
    assert all("immutable" in f.message or "cannot be removed" in f.message for f in found)
