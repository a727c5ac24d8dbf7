"""Loading: multi-document parsing, strict decoding with YAML paths, EKS-A defaults, and
serialisation (to_yaml, pydantic/Temporal round trips)."""

from __future__ import annotations

import asyncio

from eksa_temporal.spec import (
    ClusterSpec,
    SimMachineConfig,
    generate_cluster_config,
    load_spec,
    load_spec_file,
)
from tests.spec.helpers import docs, dump


def test_documents_load_in_any_order_with_extra_delimiters() -> None:
    d = docs("vsphere")
    text = "---\n---\n" + dump(list(reversed(d))) + "\n---\n"
    result = load_spec(text)
    assert result.ok, result.findings
    assert result.spec is not None and result.spec.provider == "vsphere"
    assert set(result.spec.machine_configs) == {"demo-cp", "demo-md-0"}


def test_documents_of_other_kinds_and_api_versions_are_ignored() -> None:
    extra = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n---\n"
    result = load_spec(extra + generate_cluster_config("demo", "sim"))
    assert result.ok and result.findings == []


def test_unknown_field_is_an_error_naming_its_yaml_path() -> None:
    d = docs("sim")
    d[2]["spec"]["gpus"] = 2
    result = load_spec(dump(d))
    assert result.spec is None
    assert [f.path for f in result.findings] == ["SimMachineConfig/demo-cp: spec.gpus"]
    assert "unknown field" in result.findings[0].message


def test_wrong_type_is_an_error_not_a_coercion() -> None:
    d = docs("sim")
    d[0]["spec"]["controlPlaneConfiguration"]["count"] = "1"
    result = load_spec(dump(d))
    assert result.spec is None
    assert result.findings[0].path == "spec.controlPlaneConfiguration.count"


def test_yaml_syntax_error_is_a_finding_with_a_line() -> None:
    result = load_spec("apiVersion: x\nkind: [unclosed\n")
    assert result.spec is None
    assert result.findings[0].path.startswith("line ")
    assert "YAML syntax error" in result.findings[0].message


def test_missing_cluster_and_two_clusters_are_errors() -> None:
    assert "no Cluster found" in load_spec("apiVersion: v1\nkind: Secret\n").findings[0].message
    text = (
        generate_cluster_config("aa", "docker") + "---\n" + generate_cluster_config("bb", "docker")
    )
    assert any("only one Cluster" in f.message for f in load_spec(text).findings)


def test_empty_and_unreadable_inputs_are_findings(tmp_path: object) -> None:
    assert load_spec("   \n").findings[0].message == "the spec is empty"
    result = load_spec_file("/nonexistent/spec.yaml")
    assert result.spec is None and "cannot read" in result.findings[0].message


def test_eksa_defaults_are_applied_before_validation() -> None:
    d = docs("vsphere")
    cluster = d[0]["spec"]
    cluster["workerNodeGroupConfigurations"] = [
        {"machineGroupRef": cluster["workerNodeGroupConfigurations"][0]["machineGroupRef"]}
    ]
    cluster["clusterNetwork"].pop("cniConfig")
    cluster["clusterNetwork"]["cni"] = "cilium"
    cluster["registryMirrorConfiguration"] = {"endpoint": "1.2.3.4"}
    del d[2]["spec"]["osFamily"]
    del d[3]["spec"]["osFamily"]
    spec = load_spec(dump(d)).spec
    assert spec is not None
    group, machine = spec.worker_groups[0]
    assert (group.name, group.count) == ("md-0", 1)
    net = spec.cluster.spec.cluster_network
    assert net.cni is None and net.cni_config is not None and net.cni_config.cilium is not None
    assert spec.cluster.spec.registry_mirror_configuration is not None
    assert spec.cluster.spec.registry_mirror_configuration.port == "443"
    assert spec.namespace == "default" and machine is not None and machine.namespace == "default"
    assert machine.spec.os_family == "bottlerocket"  # type: ignore[union-attr]


def test_autoscaling_group_count_defaults_to_min_count() -> None:
    d = docs("sim")
    group = d[0]["spec"]["workerNodeGroupConfigurations"][0]
    del group["count"]
    group["autoscalingConfiguration"] = {"minCount": 2, "maxCount": 5}
    spec = load_spec(dump(d)).spec
    assert spec is not None and spec.worker_groups[0][0].count == 2


def test_float_looking_versions_keep_their_text() -> None:
    text = generate_cluster_config("demo", "sim").replace(
        "kubernetesVersion: '1.31'", "kubernetesVersion: 1.30"
    )
    spec = load_spec(text).spec
    assert spec is not None and spec.kubernetes_version == "1.30"


def test_accessors_describe_the_cluster() -> None:
    spec = load_spec(generate_cluster_config("demo", "sim")).spec
    assert spec is not None
    assert (spec.name, spec.namespace, spec.provider, spec.kubernetes_version) == (
        "demo",
        "default",
        "sim",
        "1.31",
    )
    assert spec.is_self_managed and spec.management_cluster_name == "demo"
    assert isinstance(spec.control_plane_machine_config, SimMachineConfig)
    [(group, machine)] = spec.worker_groups
    assert group.name == "md-0" and isinstance(machine, SimMachineConfig)
    workload = load_spec(
        generate_cluster_config("w1", "sim").replace(
            "name: w1\n  workerNode", "name: mgmt\n  workerNode"
        )
    ).spec
    assert (
        workload is not None
        and not workload.is_self_managed
        and workload.management_cluster_name == "mgmt"
    )


def test_to_yaml_loads_back_equal_for_every_provider() -> None:
    from eksa_temporal.spec import PROVIDERS

    for provider in PROVIDERS:
        spec = load_spec(generate_cluster_config("demo", provider)).spec
        assert spec is not None
        assert load_spec(spec.to_yaml()).spec == spec, provider


def test_spec_survives_pydantic_json_and_temporal_converter_round_trips() -> None:
    from temporalio.contrib.pydantic import pydantic_data_converter

    spec = load_spec(generate_cluster_config("demo", "vsphere")).spec
    assert spec is not None
    assert ClusterSpec.model_validate_json(spec.model_dump_json()) == spec
    assert ClusterSpec.model_validate(spec.model_dump(mode="json")) == spec
    converter = pydantic_data_converter
    payloads = asyncio.run(converter.encode([spec]))
    [back] = asyncio.run(converter.decode(payloads, [ClusterSpec]))
    assert back == spec


def test_a_spec_that_went_through_json_still_writes_loadable_yaml() -> None:
    from eksa_temporal.spec import PROVIDERS

    for provider in PROVIDERS:
        spec = load_spec(generate_cluster_config("demo", provider)).spec
        assert spec is not None
        through_json = ClusterSpec.model_validate_json(spec.model_dump_json())
        assert load_spec(through_json.to_yaml()).spec == spec, provider
