"""Rendering an SSH-hosts cluster: the CAPI objects and our SSH kinds, every one valid
against its CRD schema (ours shipped in the provider's component, CAPI's from the
published components), host selectors on the machine templates, and the inventory's
static rules."""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from eksa_temporal.providers.base import RenderContext
from eksa_temporal.providers.capi.fetch import parse_manifests
from eksa_temporal.providers.capi.release import DEFAULT_RELEASE
from eksa_temporal.providers.ssh.provider import SSHProvider
from eksa_temporal.spec import check_spec_text, generate_cluster_config
from tests.support.paths import shared_path
from tests.vsphere.crd_schema import problems

from .specs import host, spec, spec_text

Obj = dict[str, Any]
CTX = RenderContext(namespace="eksa-system")
CAPI = {
    "Cluster": ("cluster-api", "core-components.yaml"),
    "MachineDeployment": ("cluster-api", "core-components.yaml"),
    "KubeadmControlPlane": ("control-plane-kubeadm", "control-plane-components.yaml"),
    "KubeadmConfigTemplate": ("bootstrap-kubeadm", "bootstrap-components.yaml"),
}
HOSTS = [
    host("cp-1", "10.1.0.1", "cp"), host("cp-2", "10.1.0.2", "cp"), host("cp-3", "10.1.0.3", "cp"),
    host("w-1", "10.1.0.4", "worker"), host("w-2", "10.1.0.5", "worker"),
]


def our_crds() -> dict[str, Obj]:
    text = resources.files("eksa_temporal.providers.ssh.crds").joinpath("infrastructure-components.yaml").read_text()
    return {d["spec"]["names"]["kind"]: d for d in parse_manifests(text) if d.get("kind") == "CustomResourceDefinition"}


@functools.cache
def _capi_crds(path: Path) -> dict[str, Obj]:
    return {d["spec"]["names"]["kind"]: d for d in parse_manifests(path.read_text()) if d and d.get("kind") == "CustomResourceDefinition"}


def schema(kind: str) -> Obj:
    if kind in CAPI:
        folder, file = CAPI[kind]
        crd = _capi_crds(shared_path("upstream-components", folder, "v1.10.10", file))[kind]
    else:
        crd = our_crds()[kind]
    return dict(next(v for v in crd["spec"]["versions"] if v["name"] == "v1beta1")["schema"]["openAPIV3Schema"])


def rendered() -> list[Obj]:
    return SSHProvider().render_capi_objects(spec(hosts=HOSTS, control_plane=3, workers=2), CTX)


def test_the_cluster_renders_capi_objects_and_ssh_kinds() -> None:
    objs = rendered()
    kinds = [o["kind"] for o in objs]
    assert kinds == ["Cluster", "SSHCluster", "SSHMachineTemplate", "KubeadmControlPlane", "KubeadmConfigTemplate", "SSHMachineTemplate", "MachineDeployment"]
    assert all(o["apiVersion"] == "infrastructure.cluster.x-k8s.io/v1beta1" for o in objs if o["kind"].startswith("SSH"))
    ssh_cluster = objs[1]
    assert ssh_cluster["spec"]["controlPlaneEndpoint"] == {"host": "10.0.0.10", "port": 6443}
    cp_template, worker_template = objs[2], objs[5]
    assert cp_template["spec"]["template"]["spec"]["hostSelector"] == {"matchLabels": {"type": "cp"}}
    assert worker_template["spec"]["template"]["spec"]["hostSelector"] == {"matchLabels": {"type": "worker"}}
    kcp = objs[3]
    assert kcp["spec"]["replicas"] == 3 and kcp["spec"]["version"].startswith("v1.")
    assert kcp["spec"]["machineTemplate"]["infrastructureRef"]["name"] == cp_template["metadata"]["name"]
    assert objs[6]["spec"]["replicas"] == 2
    assert "systemctl enable --now containerd" in kcp["spec"]["kubeadmConfigSpec"]["preKubeadmCommands"]
    assert rendered() == objs  # unchanged input renders identical objects


@pytest.mark.parametrize("kind", ["Cluster", "SSHCluster", "SSHMachineTemplate", "KubeadmControlPlane", "KubeadmConfigTemplate", "MachineDeployment"])
def test_rendered_objects_match_the_crd_schemas(kind: str) -> None:
    for obj in [o for o in rendered() if o["kind"] == kind]:
        assert problems(obj, schema(kind)) == [], obj


def test_an_ssh_machine_with_a_claim_matches_its_crd() -> None:
    machine = {
        "apiVersion": "infrastructure.cluster.x-k8s.io/v1beta1", "kind": "SSHMachine", "metadata": {"name": "m"},
        "spec": {"hostSelector": {"matchLabels": {"type": "cp"}}, "hostName": "cp-1", "providerID": "ssh://cp-1"},
        "status": {"ready": True, "addresses": [{"type": "InternalIP", "address": "10.1.0.1"}], "initialization": {"provisioned": True}},
    }
    assert problems(machine, schema("SSHMachine")) == []
    assert problems({**machine, "spec": {"host": "cp-1"}}, schema("SSHMachine")) != []


def test_our_crds_carry_the_capi_contract_and_clusterctl_labels() -> None:
    crds = our_crds()
    assert set(crds) == {"SSHCluster", "SSHMachineTemplate", "SSHMachine"}
    for crd in crds.values():
        labels = crd["metadata"]["labels"]
        assert labels["cluster.x-k8s.io/v1beta1"] == "v1beta1"
        assert "clusterctl.cluster.x-k8s.io" in labels and "clusterctl.cluster.x-k8s.io/move" in labels
        assert labels["cluster.x-k8s.io/provider"] == "infrastructure-ssh"
    assert "SSHMachine" in crds and "status" in crds["SSHMachine"]["spec"]["versions"][0]["subresources"]


def test_the_infrastructure_component_is_in_the_release_and_has_no_controller() -> None:
    ref = SSHProvider().infrastructure_component()
    assert (ref.name, ref.version) == ("ssh", DEFAULT_RELEASE.version("infrastructure-ssh"))
    plan = DEFAULT_RELEASE.plan("ssh")
    assert plan[-1].name == "infrastructure-ssh"
    text = resources.files("eksa_temporal.providers.ssh.crds").joinpath("infrastructure-components.yaml").read_text()
    assert "kind: Deployment" not in text


def test_generate_clusterconfig_gives_a_valid_ssh_spec() -> None:
    parsed, findings = check_spec_text(generate_cluster_config("gen", "ssh"))
    assert parsed is not None and parsed.provider == "ssh", [f.line() for f in findings]
    assert "privateKeyFile" in generate_cluster_config("gen", "ssh")
    assert not [f for f in findings if f.is_error]


def test_the_inventory_rules_name_the_problem() -> None:
    too_few = check_spec_text(spec_text(hosts=HOSTS[:2] + HOSTS[3:], control_plane=3, workers=2))[1]
    assert any(f.check == "ssh-selectors" and "3 machine(s)" in f.message for f in too_few), [f.line() for f in too_few]
    duplicate = check_spec_text(spec_text(hosts=[*HOSTS, host("cp-1", "10.1.0.9", "cp")], control_plane=3, workers=2))[1]
    assert any(f.check == "ssh-inventory" and "cp-1" in f.message for f in duplicate)
    both = check_spec_text(spec_text(hosts=[*HOSTS[:4], {"name": "x", "address": "10.1.0.7", "labels": {"type": "worker"}}], control_plane=3, workers=2))[1]
    assert not [f for f in both if f.is_error]
    no_key = check_spec_text(spec_text(hosts=HOSTS, control_plane=3, workers=2, key=""))[1]
    assert any(f.path.endswith("privateKeyFile") for f in no_key)


def test_an_upgrade_that_rolls_machines_needs_a_spare_host_per_rolling_group() -> None:
    provider = SSHProvider()
    old = spec(hosts=HOSTS, control_plane=3, workers=2)
    same = spec(hosts=HOSTS, control_plane=3, workers=2)
    assert provider.validate_upgrade(old, same) == []
    text = spec_text(hosts=HOSTS, control_plane=3, workers=2).replace("kubernetesVersion: '1.31'", "kubernetesVersion: '1.32'")
    newer, _ = check_spec_text(text)
    assert newer is not None
    found = provider.validate_upgrade(old, newer)
    assert {f.check for f in found} == {"ssh-spare-hosts"} and len(found) == 2, [f.line() for f in found]
    assert "4 hosts" in found[0].message and "3 hosts" in found[1].message
    spares = [*HOSTS, host("cp-4", "10.1.0.8", "cp"), host("w-3", "10.1.0.9", "worker")]
    newer_with_spares, _ = check_spec_text(spec_text(hosts=spares, control_plane=3, workers=2).replace("kubernetesVersion: '1.31'", "kubernetesVersion: '1.32'"))
    assert newer_with_spares is not None
    assert provider.validate_upgrade(old, newer_with_spares) == []
