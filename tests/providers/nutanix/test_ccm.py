"""The Nutanix cloud controller manager as EKS-A's ``cp-template.yaml`` deploys it: a
ClusterResourceSet selecting the cluster, the CCM's manifests in a ConfigMap (Prism Central,
trust bundle, ignored node addresses, the Deployment), the ``nutanix-creds`` Secret wrapped
in a resource-set Secret built only with the other Secrets, and the spec rule on
``ccmExcludeNodeIPs``."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import yaml

from eksa_temporal.providers.nutanix.ccm import (
    CCM_IMAGE,
    RESOURCE_SET_SECRET_TYPE,
    excluded_addresses,
)
from eksa_temporal.providers.nutanix.provider import NutanixProvider
from eksa_temporal.spec import check_spec_text
from tests.providers.nutanix.specs import ENDPOINT, Docs, nutanix_spec, spec_documents, spec_text
from tests.providers.nutanix.test_render import CA, CTX, env

Obj = dict[str, Any]
MOVE = "clusterctl.cluster.x-k8s.io/move"
# nothing owns the CCM's objects: they move with the cluster by MOVE and its delete removes
# them by this label (with the owner label the apply step adds)
ADDON_LABELS = {MOVE: "true", "cluster.x-k8s.io/cluster-name": "nx"}


def one(objects: list[Obj], kind: str, name: str) -> Obj:
    found = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, [(o["kind"], o["metadata"]["name"]) for o in objects]
    return found[0]


def with_datacenter(**fields: Any) -> Any:
    def mutate(docs: Docs) -> None:
        docs[1]["spec"].update(fields)

    return mutate


def test_a_resource_set_applies_the_ccm_manifests_and_its_secret_to_the_cluster() -> None:
    spec = nutanix_spec(None, with_datacenter(endpoint="prism.example.com", port=9441, insecure=True))
    objects = NutanixProvider(env=env()).render_capi_objects(spec, CTX)
    crs = one(objects, "ClusterResourceSet", "nx-nutanix-ccm-crs")
    assert crs["metadata"]["namespace"] == "eksa-system" and crs["metadata"]["labels"] == ADDON_LABELS
    assert crs["spec"] == {
        "clusterSelector": {"matchLabels": {"cluster.x-k8s.io/cluster-name": "nx"}},
        "resources": [{"kind": "ConfigMap", "name": "nx-nutanix-ccm"}, {"kind": "Secret", "name": "nx-nutanix-ccm-secret"}],
        "strategy": "Reconcile",
    }
    # the selector matches the CAPI Cluster the same render makes
    assert one(objects, "Cluster", "nx")["metadata"]["labels"]["cluster.x-k8s.io/cluster-name"] == "nx"

    cm = one(objects, "ConfigMap", "nx-nutanix-ccm")
    assert cm["metadata"]["labels"] == ADDON_LABELS
    inner = list(yaml.safe_load_all(cm["data"]["nutanix-ccm.yaml"]))
    assert [(d["kind"], d["metadata"]["name"]) for d in inner] == [
        ("ServiceAccount", "cloud-controller-manager"),
        ("ConfigMap", "nutanix-config"),
        ("ClusterRole", "system:cloud-controller-manager"),
        ("ClusterRoleBinding", "system:cloud-controller-manager"),
        ("Deployment", "nutanix-cloud-controller-manager"),
    ]
    config = json.loads(inner[1]["data"]["nutanix_config.json"])
    assert config["prismCentral"] == {
        "address": "prism.example.com",
        "port": 9441,
        "insecure": True,
        "credentialRef": {"kind": "secret", "name": "nutanix-creds", "namespace": "kube-system"},
    }
    assert config["ignoredNodeIPs"] == [ENDPOINT]  # kube-vip's address is never a node's
    pod = inner[4]["spec"]["template"]["spec"]
    assert pod["containers"][0]["image"] == CCM_IMAGE
    assert pod["containers"][0]["args"] == ["--leader-elect=true", "--cloud-config=/etc/cloud/nutanix_config.json"]
    # it must run on nodes the kubelet's external cloud provider left uninitialized
    assert {"effect": "NoSchedule", "key": "node.cloudprovider.kubernetes.io/uninitialized", "operator": "Exists"} in pod["tolerations"]


def test_the_trust_bundle_and_the_excluded_addresses_reach_the_ccm_config() -> None:
    spec = nutanix_spec(None, with_datacenter(additionalTrustBundle=CA, ccmExcludeNodeIPs=["10.0.0.7", "10.0.1.0/30", "10.0.2.9-10.0.2.11"]))
    cm = one(NutanixProvider(env=env()).render_capi_objects(spec, CTX), "ConfigMap", "nx-nutanix-ccm")
    inner = list(yaml.safe_load_all(cm["data"]["nutanix-ccm.yaml"]))
    assert (inner[0]["kind"], inner[0]["metadata"]) == ("ConfigMap", {"name": "user-ca-bundle", "namespace": "kube-system"})
    assert inner[0]["data"]["ca.crt"] == CA
    config = json.loads(inner[2]["data"]["nutanix_config.json"])
    assert config["prismCentral"]["additionalTrustBundle"] == {"kind": "ConfigMap", "name": "user-ca-bundle", "namespace": "kube-system"}
    assert config["ignoredNodeIPs"] == [
        ENDPOINT, "10.0.0.7", "10.0.1.0", "10.0.1.1", "10.0.1.2", "10.0.1.3", "10.0.2.9", "10.0.2.10", "10.0.2.11",
    ]


def test_the_ccm_credentials_are_built_with_the_other_secrets_only() -> None:
    values = env()
    provider = NutanixProvider(env=values)
    spec = nutanix_spec(None)
    rendered = json.dumps(provider.render_capi_objects(spec, CTX))
    assert values["EKSA_NUTANIX_PASSWORD"] not in rendered
    capx, ccm = provider.secret_objects(spec, CTX)
    assert capx == provider.credentials_secret(spec, CTX)
    assert (ccm["metadata"]["name"], ccm["metadata"]["namespace"], ccm["type"]) == ("nx-nutanix-ccm-secret", "eksa-system", RESOURCE_SET_SECRET_TYPE)
    assert ccm["metadata"]["labels"] == ADDON_LABELS
    inner = yaml.safe_load(base64.b64decode(ccm["data"]["nutanix-ccm-secret.yaml"]))
    assert (inner["kind"], inner["metadata"]) == ("Secret", {"name": "nutanix-creds", "namespace": "kube-system"})
    login = json.loads(base64.b64decode(inner["data"]["credentials"]))
    assert login[0]["data"]["prismCentral"] == {"username": "eksa-admin", "password": values["EKSA_NUTANIX_PASSWORD"]}


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("10.0.0.300", "invalid IP address 10.0.0.300"),
        ("10.0.0.0/33", "invalid CIDR 10.0.0.0/33"),
        ("10.0.0.9-10.0.0.2", "start IP address 10.0.0.9 is greater than end IP address 10.0.0.2"),
        ("10.0.0.1-x", "invalid end IP address x"),
        ("10.0.0.0/8", "more than 65536"),
    ],
)
def test_a_bad_excluded_address_is_refused_naming_the_entry(entry: str, problem: str) -> None:
    docs = spec_documents(None)
    docs[1]["spec"]["ccmExcludeNodeIPs"] = ["10.0.0.1", entry]
    spec, findings = check_spec_text(spec_text(docs))
    assert spec is None
    errors = [f for f in findings if f.path.endswith("spec.ccmExcludeNodeIPs[1]")]
    assert len(errors) == 1, findings
    assert problem in errors[0].message and errors[0].remediation.startswith("use an IP address"), errors[0]


def test_excluded_addresses_follow_eksa() -> None:
    assert excluded_addresses(" 10.1.0.4 ") == ["10.1.0.4"]
    assert excluded_addresses("10.1.0.5/31") == ["10.1.0.4", "10.1.0.5"]  # the network's addresses
    assert excluded_addresses("10.1.0.8 - 10.1.0.8") == ["10.1.0.8"]
    assert excluded_addresses("fd00::1-fd00::2") == ["fd00::1", "fd00::2"]
