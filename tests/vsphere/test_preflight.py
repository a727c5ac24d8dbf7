"""Preflight against the simulator: each check passes on the valid spec and fails, naming
its field, when the spec points at something missing or unsuitable."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from eksa_temporal.providers.base import PreflightOptions
from eksa_temporal.providers.vsphere import VSphereProvider
from eksa_temporal.spec.findings import Finding, errors

from .specs import SimInfo, spec

SKIP_IP = PreflightOptions(skip_ip_check=True)


def run(sim: SimInfo, options: PreflightOptions = SKIP_IP, **kwargs: object) -> list[Finding]:
    return VSphereProvider().preflight(spec(sim, **kwargs), options)  # type: ignore[arg-type]


def only(findings: list[Finding], check: str) -> Finding:
    errs = errors(findings)
    assert [f.check for f in errs] == [check], [f.line() for f in errs]
    return errs[0]


def test_valid_spec_passes_every_check(inventory: SimInfo, vsphere_env: SimInfo) -> None:
    assert run(vsphere_env, PreflightOptions()) == []


def test_relative_and_glob_paths_resolve_like_govc(
    inventory: SimInfo, vsphere_env: SimInfo
) -> None:
    relative = {
        "datastore": "LocalDS_0",
        "folder": "eksa",
        "resourcePool": "*/Resources",
        "template": "Templates/ubuntu-1-28",
    }
    assert (
        run(
            vsphere_env,
            dc={"network": "VM Network", "datacenter": "/DC0"},
            cp=relative,
            md=relative,
        )
        == []
    )


def test_missing_datacenter_is_reported(inventory: SimInfo, vsphere_env: SimInfo) -> None:
    f = only(run(vsphere_env, dc={"datacenter": "DC9"}), "vsphere-datacenter")
    assert f.path == "VSphereDatacenterConfig/alpha: spec.datacenter"


def test_missing_network_is_reported(inventory: SimInfo, vsphere_env: SimInfo) -> None:
    f = only(run(vsphere_env, dc={"network": "/DC0/network/nope"}), "vsphere-network")
    assert f.path == "VSphereDatacenterConfig/alpha: spec.network"
    assert "nope" in f.message and f.remediation


def test_missing_datastore_is_reported(inventory: SimInfo, vsphere_env: SimInfo) -> None:
    f = only(run(vsphere_env, cp={"datastore": "/DC0/datastore/ds-missing"}), "vsphere-datastore")
    assert f.path == "VSphereMachineConfig/alpha-cp: spec.datastore"


def test_missing_folder_is_reported(inventory: SimInfo, vsphere_env: SimInfo) -> None:
    f = only(run(vsphere_env, md={"folder": "/DC0/vm/no-such-folder"}), "vsphere-folder")
    assert f.path == "VSphereMachineConfig/alpha-md: spec.folder"


def test_missing_resource_pool_is_reported(inventory: SimInfo, vsphere_env: SimInfo) -> None:
    f = only(
        run(vsphere_env, cp={"resourcePool": "/DC0/host/DC0_C0/Resources/nope"}),
        "vsphere-resourcePool",
    )
    assert f.path == "VSphereMachineConfig/alpha-cp: spec.resourcePool"


def test_missing_template_is_reported(inventory: SimInfo, vsphere_env: SimInfo) -> None:
    f = only(run(vsphere_env, md={"template": "/DC0/vm/Templates/ubuntu-9-99"}), "vsphere-template")
    assert f.path == "VSphereMachineConfig/alpha-md: spec.template"


def test_template_without_os_and_eksd_tags_is_reported(
    inventory: SimInfo, vsphere_env: SimInfo
) -> None:
    untagged = {"template": "/DC0/vm/Templates/untagged"}
    findings = errors(run(vsphere_env, cp=untagged, md=untagged))
    assert {(f.check, f.path) for f in findings} == {
        ("vsphere-template-tags", "VSphereMachineConfig/alpha-cp: spec.template"),
        ("vsphere-template-tags", "VSphereMachineConfig/alpha-md: spec.template"),
    }
    assert all(
        "os:ubuntu" in f.message and "eksdRelease:kubernetes-1-28-" in f.message for f in findings
    )


def test_template_tagged_for_another_os_is_reported(
    inventory: SimInfo, vsphere_env: SimInfo
) -> None:
    br = {
        "osFamily": "bottlerocket",
        "users": [{"name": "ec2-user", "sshAuthorizedKeys": ["ssh-ed25519 AAAA x"]}],
    }
    findings = run(vsphere_env, cp=br, md=br)
    assert {f.check for f in errors(findings)} == {"vsphere-template-tags"}
    assert all("os:bottlerocket" in f.message for f in errors(findings))


def test_mixed_os_families_are_reported(inventory: SimInfo, vsphere_env: SimInfo) -> None:
    findings = errors(
        run(
            vsphere_env,
            md={
                "osFamily": "bottlerocket",
                "template": "/DC0/vm/Templates/untagged",
                "users": [{"name": "ec2-user", "sshAuthorizedKeys": ["ssh-ed25519 AAAA x"]}],
            },
        )
    )
    family = [f for f in findings if f.check == "vsphere-os-family"]
    assert [f.path for f in family] == ["VSphereMachineConfig/alpha-md: spec.osFamily"]


def test_insufficient_datastore_space_is_reported(inventory: SimInfo, vsphere_env: SimInfo) -> None:
    f = only(run(vsphere_env, md={"diskGiB": 400_000}, workers=3), "vsphere-datastore-space")
    assert f.path.endswith("spec.datastore") and "GiB" in f.message


@pytest.fixture
def busy_ip() -> Iterator[str]:
    """A loopback address with something listening on 6443."""
    for last in range(150, 200):
        address = f"127.0.0.{last}"
        sock = socket.socket()
        try:
            sock.bind((address, 6443))
        except OSError:
            sock.close()
            continue
        sock.listen(4)
        try:
            yield address
        finally:
            sock.close()
        return
    pytest.fail("no free loopback address to listen on")


def test_endpoint_ip_in_use_is_reported(
    inventory: SimInfo, vsphere_env: SimInfo, busy_ip: str
) -> None:
    f = only(run(vsphere_env, PreflightOptions(), endpoint=busy_ip), "vsphere-endpoint-ip")
    assert f.path == "Cluster/alpha: spec.controlPlaneConfiguration.endpoint.host"
    assert busy_ip in f.message


def test_endpoint_ip_check_can_be_skipped(
    inventory: SimInfo, vsphere_env: SimInfo, busy_ip: str
) -> None:
    assert run(vsphere_env, SKIP_IP, endpoint=busy_ip) == []


def test_all_problems_are_reported_together(inventory: SimInfo, vsphere_env: SimInfo) -> None:
    findings = run(
        vsphere_env,
        dc={"network": "/DC0/network/nope"},
        cp={"datastore": "nope-ds", "folder": "nope-folder"},
        md={"resourcePool": "nope/Resources", "template": "nope-template"},
    )
    assert {f.path for f in errors(findings)} == {
        "VSphereDatacenterConfig/alpha: spec.network",
        "VSphereMachineConfig/alpha-cp: spec.datastore",
        "VSphereMachineConfig/alpha-cp: spec.folder",
        "VSphereMachineConfig/alpha-md: spec.resourcePool",
        "VSphereMachineConfig/alpha-md: spec.template",
    }
    assert all(f.remediation for f in findings)


def test_tag_checks_are_skipped_with_a_warning_without_tagging_api(
    vcsim: SimInfo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tests.support.vcsim import clone_vm, open_session, run_vcsim

    with run_vcsim(tmp_path, "-rest=false") as bare:
        monkeypatch.setenv("EKSA_VSPHERE_USERNAME", bare.user)
        monkeypatch.setenv("EKSA_VSPHERE_PASSWORD", bare.password)
        with open_session(bare) as session:
            clone_vm(session, "DC0/vm/DC0_C0_RP0_VM0", "eksa", "placeholder")
            clone_vm(session, "DC0/vm/DC0_C0_RP0_VM0", "Templates", "ubuntu-1-28", template=True)
        findings = run(bare)
    assert errors(findings) == []
    assert {f.check for f in findings} == {"vsphere-template-tags"}
    assert all("no tagging API" in f.message for f in findings)
