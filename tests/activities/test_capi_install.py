"""install-capi-components-*: clusterctl init with the sim's embedded components and with
the published Cluster API CRDs as an air-gapped components folder; a second run is a no-op
that writes nothing."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from temporalio.exceptions import ApplicationError

from eksa_temporal.activities.bootstrap import BootstrapActivities
from eksa_temporal.activities.capi_install import INVENTORY_V1, CapiInstallActivities
from eksa_temporal.activities.models import BootstrapInput, InstallCapiInput
from eksa_temporal.kube.client import Kube, condition_true, kube_for
from eksa_temporal.providers.capi.release import DEFAULT_RELEASE
from eksa_temporal.providers.registry import Registry
from eksa_temporal.simulator import components as sim_components
from tests.activities.conftest import common
from tests.support.paths import shared_path

CORE = "v1.10.10"


def bootstrap(registry: Registry, name: str, tmp_path: Path) -> dict[str, Any]:
    fields = common(name, tmp_path)
    boot = BootstrapActivities(registry).bootstrap_cluster_init(BootstrapInput(**fields))
    return {**fields, "bootstrap_kubeconfig": boot.bootstrap_kubeconfig}


def snapshot(kube: Kube) -> dict[str, str]:
    """resourceVersion of every object install-capi writes."""
    out: dict[str, str] = {}
    for api_version, kind in (
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
        (INVENTORY_V1, "Provider"),
        ("v1", "Namespace"),
    ):
        items, _ = kube.list_objects(api_version, kind)
        for i in items:
            out[f"{kind}/{i['metadata'].get('namespace')}/{i['metadata']['name']}"] = i["metadata"][
                "resourceVersion"
            ]
    return out


def test_install_with_the_embedded_components_then_a_second_run_writes_nothing(
    registry: Registry, cluster_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fields = bootstrap(registry, cluster_name, tmp_path)
    acts = CapiInstallActivities(registry, cache_dir=tmp_path / "cache")
    first = acts.install_capi_components_bootstrap(InstallCapiInput(**fields))
    assert first.changed
    assert [p.action for p in first.providers] == ["installed"] * 5

    kube = kube_for(fields["bootstrap_kubeconfig"])
    providers, _ = kube.list_objects(INVENTORY_V1, "Provider")
    assert {p["metadata"]["name"]: p["version"] for p in providers} == {
        "cluster-api": CORE,
        "bootstrap-kubeadm": CORE,
        "control-plane-kubeadm": CORE,
        "infrastructure-sim": sim_components.SIM_VERSION,
    }
    for comp in sim_components.PROVIDERS:
        for dep in comp.deployments:
            assert condition_true(
                kube.get("apps/v1", "Deployment", dep, comp.namespace), "Available"
            )

    before = snapshot(kube)
    writes: list[str] = []
    for verb in ("apply", "create", "merge_patch", "delete"):
        original = getattr(Kube, verb)

        def spy(self: Kube, *args: Any, _verb: str = verb, _orig: Any = original, **kw: Any) -> Any:
            writes.append(_verb)
            return _orig(self, *args, **kw)

        monkeypatch.setattr(Kube, verb, spy)
    second = acts.install_capi_components_bootstrap(InstallCapiInput(**fields))
    assert not second.changed
    assert [p.action for p in second.providers] == ["already-installed"] * 5
    assert writes == []
    assert snapshot(kube) == before


def components_dir_from_published_crds(base: Path) -> Path:
    """``{base}/{provider}/{version}/`` from ../shared/capi-crds plus the sim's controller
    Deployments (the published CRD folders hold CRDs only)."""
    crds = shared_path("capi-crds", f"cluster-api-{CORE}")
    layout = {
        "cluster-api": ("core", "cluster-api"),
        "bootstrap-kubeadm": ("bootstrap-kubeadm", "kubeadm-bootstrap"),
        "control-plane-kubeadm": ("control-plane-kubeadm", "kubeadm-control-plane"),
    }
    for label, (folder, sim_name) in layout.items():
        target = base / label / CORE
        target.mkdir(parents=True)
        for crd in sorted((crds / folder).glob("*.yaml")):
            shutil.copy(crd, target / crd.name)
        controllers = sim_components.manifests(sim_name, crds=False)
        (target / "zz-controllers.yaml").write_text(yaml.safe_dump_all(controllers))
    return base


def test_install_from_a_components_folder_applies_the_published_crds(
    registry: Registry, cluster_name: str, tmp_path: Path
) -> None:
    folder = components_dir_from_published_crds(tmp_path / "components")
    fields = bootstrap(registry, cluster_name, tmp_path)
    acts = CapiInstallActivities(registry, cache_dir=tmp_path / "cache")
    result = acts.install_capi_components_bootstrap(InstallCapiInput(**fields, components_dir=str(folder)))
    assert [p.name for p in result.providers] == [p.name for p in DEFAULT_RELEASE.plan("sim")]

    kube = kube_for(fields["bootstrap_kubeconfig"])
    crd = kube.get(
        "apiextensions.k8s.io/v1", "CustomResourceDefinition", "clusters.cluster.x-k8s.io"
    )
    assert crd is not None
    v1beta1 = next(v for v in crd["spec"]["versions"] if v["name"] == "v1beta1")
    spec_props = v1beta1["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
    assert "clusterNetwork" in spec_props  # the published schema, not the sim's stand-in
    assert kube.get(
        "apiextensions.k8s.io/v1", "CustomResourceDefinition", "machinedrainrules.cluster.x-k8s.io"
    )
    assert condition_true(
        kube.get("apps/v1", "Deployment", "capi-controller-manager", "capi-system"), "Available"
    )


def test_the_upstream_components_install_as_clusterctl_installs_them(
    registry: Registry, cluster_name: str, tmp_path: Path, upstream_components: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The published manifests as they are (RBAC, webhooks, Services, cert-manager Issuer and
    Certificate): cert-manager's readiness probe passes, every controller is Available, the
    inventory records each provider, and the new management cluster gets EKS-A's CRDs."""
    fields = bootstrap(registry, cluster_name, tmp_path)
    fields["kubeconfig"] = fields["bootstrap_kubeconfig"]  # install "workload" into the same cluster
    applied: list[str] = []
    original = Kube.apply

    def spy(self: Kube, objs: Any, *args: Any, **kw: Any) -> Any:
        applied.extend(f"{o['kind']}/{o['metadata']['name']}" for o in objs)
        return original(self, objs, *args, **kw)

    monkeypatch.setattr(Kube, "apply", spy)
    acts = CapiInstallActivities(registry, cache_dir=tmp_path / "cache")
    result = acts.install_capi_components_workload(
        InstallCapiInput(**fields, components_dir=str(upstream_components))
    )
    assert [(p.name, p.action) for p in result.providers] == [
        ("cert-manager", "installed"),
        ("cluster-api", "installed"),
        ("bootstrap-kubeadm", "installed"),
        ("control-plane-kubeadm", "installed"),
        ("infrastructure-sim", "installed"),
        ("eks-anywhere", "installed"),
    ]
    core = result.providers[1]
    assert core.source == str(upstream_components / "cluster-api" / CORE)
    assert core.checksums and core.checksums[0].startswith("core-components.yaml sha256:")
    # clusterctl's cert-manager readiness probe ran (and was cleaned up)
    assert "Certificate/selfsigned-cert" in applied and "Issuer/test-selfsigned" in applied
    kube = kube_for(fields["bootstrap_kubeconfig"])
    for kind, name in (
        ("ValidatingWebhookConfiguration", "capi-validating-webhook-configuration"),
        ("MutatingWebhookConfiguration", "capi-kubeadm-control-plane-mutating-webhook-configuration"),
    ):
        assert kube.get("admissionregistration.k8s.io/v1", kind, name) is not None, name
    assert kube.get("rbac.authorization.k8s.io/v1", "ClusterRole", "capi-manager-role") is not None
    assert kube.get("cert-manager.io/v1", "Certificate", "capi-serving-cert", "capi-system") is not None
    eksa_crd = kube.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", "clusters.anywhere.eks.amazonaws.com")
    assert condition_true(eksa_crd, "Established")
    providers, _ = kube.list_objects(INVENTORY_V1, "Provider")
    assert {p["metadata"]["name"] for p in providers} == {
        "cluster-api", "bootstrap-kubeadm", "control-plane-kubeadm", "infrastructure-sim",
    }
    again = acts.install_capi_components_workload(
        InstallCapiInput(**fields, components_dir=str(upstream_components))
    )
    assert {p.action for p in again.providers} == {"already-installed"}


def test_a_cert_manager_folder_without_controllers_is_refused_before_any_write(
    registry: Registry, cluster_name: str, tmp_path: Path
) -> None:
    """The shared folder's cert-manager holds CRDs only: installing from it as it is would
    leave nothing to issue the webhook certificates; one line says what to put there."""
    fields = bootstrap(registry, cluster_name, tmp_path)
    shared = shared_path("upstream-components")
    acts = CapiInstallActivities(registry, cache_dir=tmp_path / "cache")
    with pytest.raises(ApplicationError, match="hold no controller Deployments") as info:
        acts.install_capi_components_bootstrap(InstallCapiInput(**fields, components_dir=str(shared)))
    assert info.value.non_retryable and "cert-manager.yaml (v1.19.1)" in str(info.value)
    kube = kube_for(fields["bootstrap_kubeconfig"])
    assert kube.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", "certificates.cert-manager.io") is None
