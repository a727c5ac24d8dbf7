"""A workload cluster on a management cluster: create-workload-cluster, the upgrade rules
in setup-validate-upgrade, upgrade-cluster rolling every machine to the new version, and
delete-workload-cluster watching until the Cluster is gone (then a no-op)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError

from eksa_temporal.activities.bootstrap import BootstrapActivities
from eksa_temporal.activities.capi_install import CapiInstallActivities
from eksa_temporal.activities.kubeconfig import KubeconfigActivities
from eksa_temporal.activities.models import (
    BootstrapInput,
    CleanupInput,
    DeleteClusterInput,
    InstallCapiInput,
    ProvisionInput,
    ValidateInput,
    WriteClusterConfigInput,
)
from eksa_temporal.activities.provision import ProvisionActivities
from eksa_temporal.activities.teardown import TeardownActivities
from eksa_temporal.activities.validate import ValidateActivities
from eksa_temporal.kube.client import kube_for
from eksa_temporal.providers.registry import Registry
from eksa_temporal.spec import generate_cluster_config
from tests.activities.conftest import common

CAPI = "cluster.x-k8s.io/v1beta1"


def management(registry: Registry, name: str, tmp_path: Path) -> str:
    """A cluster with CAPI installed to act as management cluster; its kubeconfig path."""
    fields = common(name, tmp_path)
    boot = BootstrapActivities(registry).bootstrap_cluster_init(BootstrapInput(**fields))
    CapiInstallActivities(registry, cache_dir=tmp_path / "cache").install_capi_components_bootstrap(
        InstallCapiInput(**fields, bootstrap_kubeconfig=boot.bootstrap_kubeconfig)
    )
    return boot.bootstrap_kubeconfig


def workload_spec(name: str, mgmt: str, version: str = "1.31", pods: str = "192.168.0.0/16") -> str:
    text = generate_cluster_config(name, "sim")
    text = text.replace(
        f"managementCluster:\n    name: {name}", f"managementCluster:\n    name: {mgmt}"
    )
    return text.replace("kubernetesVersion: '1.31'", f"kubernetesVersion: '{version}'").replace(
        "192.168.0.0/16", pods
    )


def test_workload_cluster_create_upgrade_delete(
    registry: Registry, cluster_name: str, tmp_path: Path
) -> None:
    mgmt_name = f"{cluster_name}m"
    mgmt = management(registry, mgmt_name, tmp_path)
    fields: dict[str, Any] = {
        **common(cluster_name, tmp_path),
        "spec_yaml": workload_spec(cluster_name, mgmt_name),
        "management_kubeconfig": mgmt,
    }
    ValidateActivities(registry).setup_validate_create(ValidateInput(**fields))
    created = ProvisionActivities(registry).create_workload_cluster(ProvisionInput(**fields))
    assert (created.machines_ready, created.machines_total) == (2, 2)
    assert Path(created.kubeconfig_path).exists()
    KubeconfigActivities().write_cluster_config(WriteClusterConfigInput(**fields))

    validate = ValidateActivities(registry)
    with pytest.raises(ApplicationError) as skipped:
        validate.setup_validate_upgrade(
            ValidateInput(**{**fields, "spec_yaml": workload_spec(cluster_name, mgmt_name, "1.33")})
        )
    assert skipped.value.type == "UnsupportedUpgrade"
    with pytest.raises(ApplicationError) as immutable:
        validate.setup_validate_upgrade(
            ValidateInput(
                **{
                    **fields,
                    "spec_yaml": workload_spec(cluster_name, mgmt_name, pods="10.10.0.0/16"),
                }
            )
        )
    assert immutable.value.type == "ImmutableFieldChanged"

    upgrade = {**fields, "spec_yaml": workload_spec(cluster_name, mgmt_name, "1.32")}
    validate.setup_validate_upgrade(ValidateInput(**upgrade))
    upgraded = ProvisionActivities(registry).upgrade_cluster(ProvisionInput(**upgrade))
    assert upgraded.machines_ready == 2
    kube = kube_for(mgmt)
    machines, _ = kube.list_objects(
        CAPI,
        "Machine",
        "eksa-system",
        label_selector=f"cluster.x-k8s.io/cluster-name={cluster_name}",
    )
    assert len(machines) == 2
    assert all(str(m["spec"]["version"]).startswith("v1.32") for m in machines)

    teardown = TeardownActivities(registry)
    deleted = teardown.delete_workload_cluster(DeleteClusterInput(**fields))
    assert deleted.changed
    assert kube.get(CAPI, "Cluster", cluster_name, "eksa-system") is None
    assert not Path(created.kubeconfig_path).exists()  # a new create may reuse the name
    assert not teardown.delete_workload_cluster(DeleteClusterInput(**fields)).changed
    teardown.cleanup_infrastructure(CleanupInput(**common(mgmt_name, tmp_path)))
