"""Prepare: importing a template from an OVA (ImportVApp + HttpNfcLease on the simulator),
idempotent across re-runs and after an import interrupted before MarkAsTemplate; a VM at
the template's path that no import left is refused, never destroyed."""

from __future__ import annotations

from pathlib import Path

import pytest

from eksa_temporal.providers.base import PreflightOptions
from eksa_temporal.providers.vsphere import VSphereProvider
from eksa_temporal.providers.vsphere.cleanup import is_owned, mark_owned
from eksa_temporal.providers.vsphere.errors import VSpherePermanentError
from eksa_temporal.providers.vsphere.inventory import vm_properties
from eksa_temporal.providers.vsphere.ova import import_owner
from eksa_temporal.spec.findings import errors
from tests.support.vcsim import clone_vm, open_session

from .ova_fixture import write_ova
from .specs import SimInfo, spec


def templates_named(sim: SimInfo, name: str) -> list[tuple[str, bool]]:
    with open_session(sim) as session:
        rows = vm_properties(
            session.content, session.content.rootFolder, ["name", "config.template"]
        )
    return [(r["name"], bool(r.get("config.template"))) for r in rows if r["name"] == name]


def tags_of(sim: SimInfo, path: str) -> list[tuple[str, str]]:
    from eksa_temporal.providers.vsphere.tags import TagClient

    with open_session(sim) as session, TagClient(session) as tags:
        return tags.attached(session.content.searchIndex.FindByInventoryPath(path))


def test_missing_template_is_imported_from_the_ova_once(
    inventory: SimInfo, vsphere_env: SimInfo, tmp_path: Path
) -> None:
    template = "/DC0/vm/Imported/ubuntu-1-28-ova"
    ova = write_ova(tmp_path / "ubuntu.ova")
    provider = VSphereProvider(
        template_ovas={template: str(ova)}, eksd_release="kubernetes-1-28-eks-5"
    )
    cluster = spec(vsphere_env, "ova", cp={"template": template}, md={"template": template})

    assert errors(provider.preflight(cluster, PreflightOptions(skip_ip_check=True))) == []
    assert errors(VSphereProvider().preflight(cluster, PreflightOptions(skip_ip_check=True)))

    assert provider.prepare_infrastructure(cluster) == [f"template {template}"]
    assert templates_named(vsphere_env, "ubuntu-1-28-ova") == [("ubuntu-1-28-ova", True)]
    assert ("os", "os:ubuntu") in tags_of(vsphere_env, template.lstrip("/"))
    with open_session(vsphere_env) as session:  # marked from the moment the import made it
        imported = session.content.searchIndex.FindByInventoryPath(template.lstrip("/"))
        assert is_owned(session, imported, import_owner(template))
    assert VSphereProvider().preflight(cluster, PreflightOptions(skip_ip_check=True)) == []

    assert provider.prepare_infrastructure(cluster) == []
    assert templates_named(vsphere_env, "ubuntu-1-28-ova") == [("ubuntu-1-28-ova", True)]


def test_half_imported_vm_is_replaced_by_a_template(
    inventory: SimInfo, vsphere_env: SimInfo, tmp_path: Path
) -> None:
    template = "/DC0/vm/Imported/half-done"
    with open_session(vsphere_env) as session:
        # a plain VM at the template path, as an import killed before MarkAsTemplate leaves
        vm = clone_vm(session, "DC0/vm/DC0_C0_RP0_VM0", "Imported", "half-done")
        mark_owned(session, vm, import_owner(template))
    provider = VSphereProvider(template_ovas={template: str(write_ova(tmp_path / "t.ova"))})
    cluster = spec(vsphere_env, "half", cp={"template": template}, md={"template": template})

    assert provider.prepare_infrastructure(cluster) == [f"template {template}"]
    assert templates_named(vsphere_env, "half-done") == [("half-done", True)]


def test_a_vm_no_import_left_at_the_template_path_is_refused_and_kept(
    inventory: SimInfo, vsphere_env: SimInfo, tmp_path: Path
) -> None:
    template = "/DC0/vm/Imported/someones-vm"
    with open_session(vsphere_env) as session:
        # a user's VM at the path, and one carrying another owner identity
        clone_vm(session, "DC0/vm/DC0_C0_RP0_VM0", "Imported", "someones-vm")
        other = clone_vm(session, "DC0/vm/DC0_C0_RP0_VM0", "Imported", "other-owner")
        mark_owned(session, other, import_owner("/DC0/vm/Imported/elsewhere"))
    ova = str(write_ova(tmp_path / "t.ova"))
    for path, name in ((template, "someones-vm"), ("/DC0/vm/Imported/other-owner", "other-owner")):
        provider = VSphereProvider(template_ovas={path: ova})
        cluster = spec(vsphere_env, "mine", cp={"template": path}, md={"template": path})
        with pytest.raises(VSpherePermanentError) as refused:
            provider.prepare_infrastructure(cluster)
        line = str(refused.value)
        assert "\n" not in line and repr(path) in line and "spec.template" in line and "(fix: " in line
        assert templates_named(vsphere_env, name) == [(name, False)]


def test_nothing_is_imported_without_an_ova(inventory: SimInfo, vsphere_env: SimInfo) -> None:
    assert (
        VSphereProvider(
            env={
                "EKSA_VSPHERE_USERNAME": vsphere_env.user,
                "EKSA_VSPHERE_PASSWORD": vsphere_env.password,
            }
        ).prepare_infrastructure(spec(vsphere_env))
        == []
    )
