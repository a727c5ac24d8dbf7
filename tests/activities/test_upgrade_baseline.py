"""``setup-validate-upgrade`` judges an upgrade against the RUNNING cluster, read from its
CAPI objects (control plane version, Cluster network): a local
``<c>-eks-a-cluster.yaml`` that lies changes nothing - a one-minor upgrade of the live
version passes even when the file claims an older version, a skip of the live version is
refused even when the file claims a newer one, and an immutable field is held to its
live value. Without a live cluster the local file is the fallback, with a warning. A
support bundle of a cluster with a backup next to it holds none of the backup's data."""

from __future__ import annotations

import base64
import tarfile
from pathlib import Path
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError

from eksa_temporal.activities.diagnostics import DiagnosticsActivities
from eksa_temporal.activities.models import ProvisionInput, SupportBundleInput, ValidateInput
from eksa_temporal.activities.move import BackupInput, MoveActivities
from eksa_temporal.activities.provision import ProvisionActivities
from eksa_temporal.activities.validate import ValidateActivities
from eksa_temporal.kube.client import kube_for
from eksa_temporal.providers.registry import Registry
from eksa_temporal.spec import Finding
from tests.activities.test_lifecycle import prepared


def with_version(text: str, version: str) -> str:
    return text.replace("kubernetesVersion: '1.31'", f"kubernetesVersion: '{version}'")


@pytest.fixture
def live(registry: Registry, cluster_name: str, tmp_path: Path) -> dict[str, Any]:
    """A 1.31 cluster whose CAPI objects live on the bootstrap cluster, and its fields."""
    fields = prepared(registry, cluster_name, tmp_path)
    ProvisionActivities(registry).workload_cluster_init(ProvisionInput(**fields))
    fields["kubeconfig"] = fields["bootstrap_kubeconfig"]  # where its CAPI objects are
    return fields


def validate(registry: Registry, fields: dict[str, Any], desired: str, local: str | None) -> list[str]:
    config = Path(fields["workdir"]) / f"{fields['cluster_name']}-eks-a-cluster.yaml"
    if local is None:
        config.unlink(missing_ok=True)
    else:
        config.write_text(local)
    out = ValidateActivities(registry).setup_validate_upgrade(ValidateInput(**{**fields, "spec_yaml": desired}))
    return out.warnings


def test_the_live_version_decides_not_a_lying_local_file(registry: Registry, live: dict[str, Any]) -> None:
    base = live["spec_yaml"]
    # the file claims 1.30: 1.30 -> 1.32 would be a skip; live 1.31 -> 1.32 is one minor
    warnings = validate(registry, live, with_version(base, "1.32"), local=with_version(base, "1.30"))
    assert not any("may be out of date" in w for w in warnings)
    # the file claims 1.32: 1.32 -> 1.33 would pass; live 1.31 -> 1.33 skips a minor
    with pytest.raises(ApplicationError) as refused:
        validate(registry, live, with_version(base, "1.33"), local=with_version(base, "1.32"))
    assert refused.value.type == "UnsupportedUpgrade"
    assert "upgrade to 1.32 first" in str(refused.value)


def test_an_immutable_field_is_held_to_its_live_value(registry: Registry, live: dict[str, Any]) -> None:
    lie = live["spec_yaml"].replace("192.168.0.0/16", "172.16.0.0/16")
    # the file and the desired spec agree on a pod CIDR the running cluster does not have
    with pytest.raises(ApplicationError) as refused:
        validate(registry, live, lie, local=lie)
    assert refused.value.type == "ImmutableFieldChanged"
    assert "spec.clusterNetwork.pods.cidrBlocks" in str(refused.value)
    assert "live CAPI objects" in str(refused.value)


def test_without_a_live_cluster_the_local_file_is_the_fallback_with_a_warning(
    registry: Registry, cluster_name: str, tmp_path: Path
) -> None:
    fields = prepared(registry, cluster_name, tmp_path)  # CAPI installed, no Cluster applied
    fields["kubeconfig"] = fields["bootstrap_kubeconfig"]
    base = fields["spec_yaml"]
    warnings = validate(registry, fields, with_version(base, "1.32"), local=base)
    assert any("may be out of date" in w for w in warnings)
    with pytest.raises(ApplicationError) as refused:
        validate(registry, fields, base, local=None)
    assert refused.value.type == "NotFound"


def test_a_support_bundle_holds_nothing_of_the_backup(registry: Registry, live: dict[str, Any]) -> None:
    workdir = Path(live["workdir"])
    backup = MoveActivities().capi_backup(BackupInput(**live, backup_dir=str(workdir / "generated" / "capi-backup-t")))
    secret = kube_for(live["bootstrap_kubeconfig"]).get("v1", "Secret", f"{live['cluster_name']}-kubeconfig", "eksa-system")
    assert secret is not None
    encoded = list((secret.get("data") or {}).values())
    values = encoded + [base64.b64decode(v).decode() for v in encoded]
    saved = "".join(p.read_text() for p in Path(backup.backup_path).iterdir() if p.suffix == ".yaml")
    assert encoded and all(v in saved for v in encoded)  # the backup does hold the Secret
    bundle = DiagnosticsActivities(registry).collect_support_bundle(
        SupportBundleInput(**live, bundle_path=str(workdir / "bundle.tar.gz"))
    )
    with tarfile.open(bundle.bundle_path) as tar:
        names = tar.getnames()
        text = "".join(tar.extractfile(m).read().decode(errors="replace") for m in tar.getmembers() if m.isfile())  # type: ignore[union-attr]
    assert not any("capi-backup" in n for n in names)
    for v in values:
        assert v not in text


def test_the_providers_own_upgrade_limits_are_applied_against_the_running_spec(
    registry: Registry, cluster_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``Provider.validate_upgrade`` gets the running spec (here the written config, the
    fallback) and the desired one; what it refuses fails the step as UnsupportedUpgrade."""
    fields = prepared(registry, cluster_name, tmp_path)
    fields["kubeconfig"] = fields["bootstrap_kubeconfig"]
    base = fields["spec_yaml"]
    seen: list[tuple[str | None, str | None]] = []

    def limits(old: Any, new: Any) -> list[Finding]:
        seen.append((old.kubernetes_version, new.kubernetes_version))
        return [Finding(path="spec.kubernetesVersion", message="this provider cannot change the version here",
                        remediation="keep 1.31")] if old.kubernetes_version != new.kubernetes_version else []

    monkeypatch.setattr(registry.provider("sim"), "validate_upgrade", limits)
    validate(registry, fields, base, local=base)  # nothing changes: passes
    with pytest.raises(ApplicationError) as refused:
        validate(registry, fields, with_version(base, "1.32"), local=base)
    assert refused.value.type == "UnsupportedUpgrade"
    assert "this provider cannot change the version here" in str(refused.value)
    assert seen == [("1.31", "1.31"), ("1.31", "1.32")]
