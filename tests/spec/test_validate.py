"""Static validation: each EKS-A rule (and our additions) reports the right path, as an
error or a warning, and valid specs pass."""

from __future__ import annotations

from typing import Any

import pytest

from eksa_temporal.spec import check_spec_text, errors, validate_spec
from eksa_temporal.spec import validate as validate_module
from eksa_temporal.spec.findings import Finding, Severity
from eksa_temporal.spec.nutanix import NutanixDatacenterConfig
from eksa_temporal.spec.provider_checks import ObjectRule
from tests.spec.helpers import docs, dump, error_findings, messages


def _cluster(d: list[dict[str, Any]]) -> dict[str, Any]:
    spec: dict[str, Any] = d[0]["spec"]
    return spec


def test_generated_spec_has_no_findings_at_all() -> None:
    assert check_spec_text(dump(docs("sim")))[1] == []


def test_cluster_name_must_start_with_a_letter() -> None:
    d = docs()
    d[0]["metadata"]["name"] = "1demo"
    assert any(m.startswith("metadata.name: cluster name") for m in messages(d))


def test_control_plane_count_must_be_positive_and_odd_with_stacked_etcd() -> None:
    d = docs()
    _cluster(d)["controlPlaneConfiguration"]["count"] = 2
    assert (
        "spec.controlPlaneConfiguration.count: control plane node count cannot be an even number with stacked etcd"
        in messages(d)
    )
    _cluster(d)["controlPlaneConfiguration"]["count"] = 0
    assert any("must be positive" in m for m in messages(d))
    _cluster(d)["controlPlaneConfiguration"]["count"] = 2
    _cluster(d)["externalEtcdConfiguration"] = {
        "count": 3,
        "machineGroupRef": {"kind": "SimMachineConfig", "name": "demo-cp"},
    }
    assert messages(d) == []


def test_external_etcd_count_cannot_be_even() -> None:
    d = docs()
    _cluster(d)["externalEtcdConfiguration"] = {
        "count": 4,
        "machineGroupRef": {"kind": "SimMachineConfig", "name": "demo-cp"},
    }
    assert messages(d) == [
        "spec.externalEtcdConfiguration.count: external etcd count cannot be an even number"
    ]


def test_worker_group_names_are_unique_and_counts_fit_autoscaling() -> None:
    d = docs()
    groups = _cluster(d)["workerNodeGroupConfigurations"]
    groups.append(dict(groups[0]))
    groups.append(
        {
            **groups[0],
            "name": "md-2",
            "count": 9,
            "autoscalingConfiguration": {"minCount": 1, "maxCount": 3},
        }
    )
    groups.append({**groups[0], "name": "md-3", "count": -1})
    found = messages(d)
    assert any(
        m.startswith(
            "spec.workerNodeGroupConfigurations[1].name: worker node group names must be unique"
        )
        for m in found
    )
    assert any(
        m.startswith(
            "spec.workerNodeGroupConfigurations[2].count: max count must be greater than or equal to count"
        )
        for m in found
    )
    assert any(
        m.startswith(
            "spec.workerNodeGroupConfigurations[3].count: worker node count must be zero or greater"
        )
        for m in found
    )


def test_autoscaling_min_cannot_exceed_max() -> None:
    d = docs()
    _cluster(d)["workerNodeGroupConfigurations"][0]["autoscalingConfiguration"] = {
        "minCount": 4,
        "maxCount": 2,
    }
    assert any("min count must be no greater than max count" in m for m in messages(d))


def test_taint_effects_are_checked_and_all_tainted_workers_are_rejected() -> None:
    d = docs()
    _cluster(d)["controlPlaneConfiguration"]["taints"] = [{"key": "a", "effect": "NoSchedule"}]
    _cluster(d)["workerNodeGroupConfigurations"][0]["taints"] = [
        {"key": "b", "effect": "Sometimes"},
        {"key": "c", "effect": "NoExecute"},
    ]
    found = messages(d)
    assert any(
        m.startswith("spec.workerNodeGroupConfigurations[0].taints[0].effect") for m in found
    )
    assert any(
        "at least one WorkerNodeGroupConfiguration must not have NoExecute" in m for m in found
    )


def test_cidrs_must_be_valid_and_not_overlap() -> None:
    d = docs()
    _cluster(d)["clusterNetwork"]["services"]["cidrBlocks"] = ["192.168.10.0/24"]
    assert any("overlap" in m for m in messages(d))
    _cluster(d)["clusterNetwork"]["pods"]["cidrBlocks"] = ["192.168.0.0"]
    assert any(
        m.startswith("spec.clusterNetwork.pods.cidrBlocks[0]: invalid CIDR") for m in messages(d)
    )


def test_exactly_one_cni_plugin() -> None:
    d = docs()
    _cluster(d)["clusterNetwork"]["cniConfig"] = {"cilium": {}, "kindnetd": {}}
    assert "spec.clusterNetwork.cniConfig: cannot specify more than one CNI plugin" in messages(d)
    _cluster(d)["clusterNetwork"]["cniConfig"] = {"cilium": {"policyEnforcementMode": "sometimes"}}
    assert any(
        m.startswith("spec.clusterNetwork.cniConfig.cilium.policyEnforcementMode")
        for m in messages(d)
    )


def test_references_must_resolve_with_the_provider_kinds() -> None:
    d = docs("vsphere")
    _cluster(d)["workerNodeGroupConfigurations"][0]["machineGroupRef"] = {
        "kind": "SimMachineConfig",
        "name": "demo-md-0",
    }
    _cluster(d)["controlPlaneConfiguration"]["machineGroupRef"]["name"] = "nope"
    found = messages(d)
    assert any(
        m.startswith("spec.workerNodeGroupConfigurations[0].machineGroupRef.kind") for m in found
    )
    assert any("some machine configs (nope)" in m for m in found)
    d = docs("sim")
    _cluster(d)["datacenterRef"]["kind"] = "MarsDatacenterConfig"
    assert any(m.startswith("spec.datacenterRef.kind") for m in messages(d))


def test_namespaces_must_match_the_cluster() -> None:
    d = docs("sim")
    d[2]["metadata"]["namespace"] = "other"
    assert messages(d) == [
        "SimMachineConfig/demo-cp: metadata.namespace: SimMachineConfig and Cluster objects must have the same namespace specified"
    ]


def test_identity_provider_rules() -> None:
    d = docs("docker")
    _cluster(d)["identityProviderRefs"] = [
        {"kind": "OIDCConfig", "name": "o1"},
        {"kind": "OIDCConfig", "name": "o2"},
    ]
    oidc = {
        "apiVersion": d[0]["apiVersion"],
        "kind": "OIDCConfig",
        "metadata": {"name": "o1"},
        "spec": {"clientId": "x", "issuerUrl": "http://issuer"},
    }
    d.append(oidc)
    found = messages(d)
    assert "spec.identityProviderRefs: multiple OIDCConfigs not supported" in found
    assert "OIDCConfig/o1: spec.issuerUrl: OIDCConfig issuerUrl should have HTTPS scheme" in found
    assert "spec.identityProviderRefs[1].name: OIDCConfig o2 not found" in found


def test_gitops_and_flux_rules() -> None:
    d = docs("docker")
    _cluster(d)["gitOpsRef"] = {"kind": "FluxConfig", "name": "f"}
    d.append(
        {
            "apiVersion": d[0]["apiVersion"],
            "kind": "FluxConfig",
            "metadata": {"name": "f"},
            "spec": {"github": {"owner": "me"}, "branch": "bad..name"},
        }
    )
    found = messages(d)
    assert any(m.startswith("FluxConfig/f: spec.github.repository") for m in found)
    assert any(m.startswith("FluxConfig/f: spec.branch") for m in found)
    _cluster(d)["gitOpsRef"] = {"kind": "Helm", "name": "f"}
    assert any("only GitOpsConfig or FluxConfig" in m for m in messages(d))


def test_proxy_needs_both_addresses_with_valid_ports() -> None:
    d = docs()
    _cluster(d)["proxyConfiguration"] = {"httpProxy": "proxy:3128", "httpsProxy": "http://proxy:0"}
    assert messages(d) == [
        "spec.proxyConfiguration.httpsProxy: proxy port 0 is invalid, please provide a valid proxy port"
    ]
    _cluster(d)["proxyConfiguration"] = {"httpsProxy": "proxy"}
    found = messages(d)
    assert "spec.proxyConfiguration.httpProxy: no value set for httpProxy" in found
    assert any(
        m.startswith("spec.proxyConfiguration.httpsProxy: proxy endpoint proxy is invalid")
        for m in found
    )


def test_registry_mirror_port_must_be_valid() -> None:
    d = docs()
    _cluster(d)["registryMirrorConfiguration"] = {"endpoint": "mirror", "port": "99999"}
    assert any(m.startswith("spec.registryMirrorConfiguration.port") for m in messages(d))


def test_unsupported_kubernetes_version_is_a_warning_not_an_error() -> None:
    d = docs()
    _cluster(d)["kubernetesVersion"] = "1.18"
    spec, findings = check_spec_text(dump(d))
    assert spec is not None
    assert [(f.path, f.severity) for f in findings] == [
        ("spec.kubernetesVersion", Severity.WARNING)
    ]


def test_provider_static_rules() -> None:
    d = docs("nutanix")
    _cluster(d)["controlPlaneConfiguration"]["upgradeRolloutStrategy"] = {"type": "RollingUpdate"}
    d[2]["spec"]["additionalCategories"] = [{"key": "", "value": "v"}]
    found = messages(d)
    assert any("not supported for nutanix provider" in m for m in found)
    assert any(
        m.startswith("NutanixMachineConfig/demo-cp: spec.additionalCategories[0].key")
        for m in found
    )
    d = docs("vsphere")
    d[3]["spec"]["osFamily"] = "bottlerocket"
    d[3]["spec"]["users"][0]["name"] = "ec2-user"
    assert not any("same osFamily" in m for m in messages(d))
    _cluster(d)["externalEtcdConfiguration"] = {
        "count": 3,
        "machineGroupRef": dict(_cluster(d)["controlPlaneConfiguration"]["machineGroupRef"]),
    }
    assert any("same osFamily" in m for m in messages(d))
    d = docs("sim")
    d[2]["spec"]["cpus"] = 0
    assert messages(d) == ["SimMachineConfig/demo-cp: spec.cpus: cpus must be at least 1"]


def test_every_error_has_a_remediation_line() -> None:
    d = docs("vsphere")
    _cluster(d)["controlPlaneConfiguration"]["count"] = 2
    _cluster(d)["clusterNetwork"]["pods"]["cidrBlocks"] = ["bad"]
    for finding in error_findings(d):
        assert finding.remediation, finding


def test_validate_spec_never_raises_on_odd_but_decodable_specs() -> None:
    from eksa_temporal.spec import Cluster, ClusterSpec

    spec = ClusterSpec(cluster=Cluster())
    findings = validate_spec(spec)
    assert findings and all(f.check != "" for f in findings)


def test_worker_groups_may_be_empty_only_where_eksa_allows_it() -> None:
    d = docs("vsphere")
    del _cluster(d)["workerNodeGroupConfigurations"]
    assert any(
        "WorkerNodeGroupConfigs cannot be empty for VSphereDatacenterConfig" in m
        for m in messages(d)
    )
    d = docs("tinkerbell")
    del _cluster(d)["workerNodeGroupConfigurations"]
    assert messages(d) == []
    _cluster(d)["kubernetesVersion"] = "1.21"
    assert any("not supported for kube version <= 1.21" in m for m in messages(d))


def test_kindnetd_is_for_docker_only_and_tinkerbell_has_no_external_etcd() -> None:
    d = docs("sim")
    _cluster(d)["clusterNetwork"]["cniConfig"] = {"kindnetd": {}}
    assert any("kindnetd is only supported on Docker" in m for m in messages(d))
    d = docs("docker")
    _cluster(d)["clusterNetwork"]["cniConfig"] = {"kindnetd": {}}
    assert messages(d) == []
    d = docs("tinkerbell")
    _cluster(d)["externalEtcdConfiguration"] = {
        "count": 3,
        "machineGroupRef": {"kind": "TinkerbellMachineConfig", "name": "demo-cp"},
    }
    assert (
        "spec.externalEtcdConfiguration: tinkerbell external etcd configuration is unsupported"
        in messages(d)
    )


def test_workload_clusters_cannot_configure_the_package_controller() -> None:
    d = docs()
    _cluster(d)["managementCluster"]["name"] = "mgmt"
    _cluster(d)["packages"] = {"controller": {"tag": "v1"}}
    assert messages(d) == [
        "spec.packages.controller: packages: controller should not be specified for a workload cluster"
    ]


def _raise(_obj: object = None) -> list[Finding]:
    raise KeyError("boom")


def test_a_rule_bug_becomes_one_finding_naming_the_rule_and_hides_no_other(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    d = docs()
    _cluster(d)["proxyConfiguration"] = {"httpsProxy": "10.0.0.1:3128"}
    monkeypatch.setattr(validate_module, "references", _raise)
    found = [(f.path, f.message, f.check) for f in error_findings(d)]
    assert (
        "<spec>",
        "internal error in the references rules: KeyError: 'boom'",
        "references",
    ) in found
    assert any(path == "spec.proxyConfiguration.httpProxy" for path, _, _ in found), found


def test_a_rule_bug_for_an_object_without_a_cluster_names_its_kind(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rules = (ObjectRule(NutanixDatacenterConfig, _raise), *validate_module._OBJECT_RULES)
    monkeypatch.setattr(validate_module, "_OBJECT_RULES", rules)
    d = docs("snow")
    d[1]["spec"]["identityRef"] = {"kind": "ConfigMap", "name": "creds"}
    text = dump([*docs("nutanix")[1:2], d[1]])
    found = [(f.path, f.message) for f in errors(check_spec_text(text)[1])]
    assert (
        "<spec>",
        "internal error in the NutanixDatacenterConfig rules: KeyError: 'boom'",
    ) in found
    assert any("IdentityRef kind ConfigMap is invalid" in message for _, message in found), found
