"""The create path's activities run in order against a real sim process, then the checks
around them: apply + watch until Available, heartbeats and resume after a crash mid-wait,
write-kubeconfig (0600, usable by kubectl), delete-kind refusing while it holds the
unmoved cluster, a support bundle without secret data, and cleanup leaving nothing."""

from __future__ import annotations

import base64
import dataclasses
import stat
import subprocess
import tarfile
import time
from pathlib import Path
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from eksa_temporal.activities.bootstrap import BootstrapActivities
from eksa_temporal.activities.capi_install import CapiInstallActivities
from eksa_temporal.activities.diagnostics import DiagnosticsActivities
from eksa_temporal.activities.kubeconfig import KubeconfigActivities
from eksa_temporal.activities.models import (
    BootstrapInput,
    CleanupInput,
    DeleteBootstrapInput,
    InstallCapiInput,
    ProvisionInput,
    ProvisionProgress,
    SupportBundleInput,
    ValidateInput,
    WriteClusterConfigInput,
    WriteKubeconfigInput,
)
from eksa_temporal.activities.provision import ProvisionActivities
from eksa_temporal.activities.teardown import TeardownActivities
from eksa_temporal.activities.validate import ValidateActivities
from eksa_temporal.kube.client import Kube, WaitTimeout, kube_for
from eksa_temporal.providers.registry import Registry
from tests.activities.conftest import common
from tests.support.histories import assert_no_secrets, kubeconfig_tokens


class Crash(Exception):
    """Stands in for the worker dying in the middle of a wait."""


def prepared(registry: Registry, name: str, tmp_path: Path) -> dict[str, Any]:
    """Validated, bootstrap cluster up, CAPI installed: the fields workload-cluster-init gets.
    The owning steps run as one workflow run (``ActivityEnvironment``'s), like its cleanup."""
    fields = common(name, tmp_path)
    run = ActivityEnvironment()
    run.run(ValidateActivities(registry).setup_validate, ValidateInput(**fields))
    boot = run.run(BootstrapActivities(registry).bootstrap_cluster_init, BootstrapInput(**fields))
    fields["bootstrap_kubeconfig"] = boot.bootstrap_kubeconfig
    CapiInstallActivities(registry, cache_dir=tmp_path / "cache").install_capi_components_bootstrap(
        InstallCapiInput(**fields)
    )
    return fields


def test_create_path_reaches_available_and_cleans_up(
    registry: Registry, cluster_name: str, tmp_path: Path
) -> None:
    fields = prepared(registry, cluster_name, tmp_path)
    beats: list[ProvisionProgress] = []
    env = ActivityEnvironment()
    env.on_heartbeat = lambda *d: beats.append(ProvisionProgress.model_validate(d[0]))
    result = env.run(ProvisionActivities(registry).workload_cluster_init, ProvisionInput(**fields))

    assert (result.machines_ready, result.machines_total) == (2, 2)
    assert beats and beats[-1].applied
    assert {b.phase for b in beats} >= {"control-plane", "workers", "available"}
    kube = kube_for(fields["bootstrap_kubeconfig"])
    capi = kube.get("cluster.x-k8s.io/v1beta1", "Cluster", cluster_name, "eksa-system")
    assert capi is not None

    # write-kubeconfig: path only in the result, mode 0600, and kubectl can use it
    written = KubeconfigActivities().write_kubeconfig(WriteKubeconfigInput(**fields))
    path = Path(written.kubeconfig_path)
    assert path == tmp_path / cluster_name / f"{cluster_name}-eks-a-cluster.kubeconfig"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    tokens = kubeconfig_tokens([path])  # the bearer token kubectl uses below
    assert tokens
    assert_no_secrets(written.model_dump_json(), tokens, where="the write-kubeconfig result")
    nodes = subprocess.run(
        ["kubectl", "--kubeconfig", str(path), "get", "nodes", "-o", "name"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    assert len(nodes) == 2
    config = KubeconfigActivities().write_cluster_config(WriteClusterConfigInput(**fields))
    assert Path(config.cluster_config_path).name == f"{cluster_name}-eks-a-cluster.yaml"

    # delete-kind refuses while the bootstrap cluster holds the unmoved, provisioned cluster
    with pytest.raises(ApplicationError) as refused:
        env.run(BootstrapActivities(registry).delete_kind_cluster, DeleteBootstrapInput(**fields))
    assert refused.value.non_retryable and refused.value.type == "PreflightFailed"

    # support bundle: CAPI objects yes, secret data no
    bundle = DiagnosticsActivities(registry).collect_support_bundle(SupportBundleInput(**fields))
    assert_bundle_has_no_secrets(Path(bundle.bundle_path), kube, cluster_name)

    # cleanup leaves nothing: no machines in the sim inventory, no bootstrap cluster
    teardown = TeardownActivities(registry)
    cleaned = env.run(teardown.cleanup_infrastructure, CleanupInput(**fields))
    assert cleaned.removed
    again = env.run(teardown.cleanup_infrastructure, CleanupInput(**fields))
    assert not again.changed
    machines = [m for m in registry.sim_client().machines() if m.get("cluster") == cluster_name]
    assert machines and not [m for m in machines if m.get("exists")]
    names = {c["name"] for c in registry.sim_client().clusters()}
    assert not names & {cluster_name, f"{cluster_name}-eks-a-cluster"}


def assert_bundle_has_no_secrets(bundle: Path, kube: Kube, cluster: str) -> None:
    assert stat.S_IMODE(bundle.stat().st_mode) == 0o600
    secret = kube.get("v1", "Secret", f"{cluster}-kubeconfig", "eksa-system")
    assert secret is not None
    encoded = secret["data"]["value"]
    token = next(
        line.split(":", 1)[1].strip()
        for line in base64.b64decode(encoded).decode().splitlines()
        if line.strip().startswith("token:")
    )
    with tarfile.open(bundle) as tar:
        names = tar.getnames()
        text = "".join(
            tar.extractfile(m).read().decode()  # type: ignore[union-attr]
            for m in tar.getmembers()
            if m.isfile()
        )
    assert any(n.endswith("cluster.x-k8s.io_v1beta1_Cluster.yaml") for n in names)
    assert f"{cluster}-kubeconfig" in text  # the secret is listed by name ...
    # ... never its data, as stored or decoded
    assert_no_secrets(text, {"kubeconfig Secret data": encoded, "token": token}, where="the bundle")


def test_a_retry_after_a_crash_mid_wait_resumes_from_the_heartbeat(
    registry: Registry, cluster_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fields = prepared(registry, cluster_name, tmp_path)
    acts = ProvisionActivities(registry)
    beats: list[dict[str, Any]] = []

    def crash_while_waiting(*details: Any) -> None:
        beats.append(details[0])
        if details[0]["phase"] == "workers":
            raise Crash()

    first = ActivityEnvironment()
    first.on_heartbeat = crash_while_waiting
    with pytest.raises(Crash):
        first.run(acts.workload_cluster_init, ProvisionInput(**fields))
    assert beats[-1]["applied"] and beats[-1]["phase"] == "workers"

    applies: list[int] = []
    original = Kube.apply

    def counting_apply(self: Kube, objs: Any, *args: Any, **kwargs: Any) -> Any:
        applies.append(1)
        return original(self, objs, *args, **kwargs)

    monkeypatch.setattr(Kube, "apply", counting_apply)
    retry = ActivityEnvironment()
    retry.info = dataclasses.replace(retry.info, attempt=2, heartbeat_details=[beats[-1]])
    result = retry.run(acts.workload_cluster_init, ProvisionInput(**fields))
    assert applies == []  # resumed after the apply instead of starting over
    assert (result.machines_ready, result.machines_total) == (2, 2)
    retry.run(TeardownActivities(registry).cleanup_infrastructure, CleanupInput(**fields))


def test_another_run_is_refused_and_cannot_clean_up_the_existing_cluster(
    registry: Registry, cluster_name: str, tmp_path: Path
) -> None:
    fields = common(cluster_name, tmp_path)
    acts = ValidateActivities(registry)
    env = ActivityEnvironment()
    env.run(acts.setup_validate, ValidateInput(**fields))
    kubeconfig = tmp_path / cluster_name / f"{cluster_name}-eks-a-cluster.kubeconfig"
    kubeconfig.write_text("written by this run")
    env.run(acts.setup_validate, ValidateInput(**fields))  # the same run re-validating: fine

    other = ActivityEnvironment()
    other.info = dataclasses.replace(other.info, workflow_run_id="another-run")
    with pytest.raises(ApplicationError) as refused:
        other.run(acts.setup_validate, ValidateInput(**fields))
    assert refused.value.type == "ClusterExists" and refused.value.non_retryable

    # ... and that run's compensation must not remove the cluster it was refused for
    env.run(BootstrapActivities(registry).bootstrap_cluster_init, BootstrapInput(**fields))
    cleaned = other.run(TeardownActivities(registry).cleanup_infrastructure, CleanupInput(**fields))
    assert cleaned.removed == [] and cleaned.kept
    assert kubeconfig.exists()
    assert f"{cluster_name}-eks-a-cluster" in {c["name"] for c in registry.sim_client().clusters()}
    mine = env.run(TeardownActivities(registry).cleanup_infrastructure, CleanupInput(**fields))
    assert f"bootstrap cluster {cluster_name}-eks-a-cluster" in mine.removed
    assert not kubeconfig.exists()  # a later create of this name is not refused


def test_each_wait_phase_has_its_own_deadline(
    registry: Registry, cluster_name: str, tmp_path: Path
) -> None:
    fields = prepared(registry, cluster_name, tmp_path)
    sim = registry.sim_client()
    before = sim.knobs()
    sim.set_knobs(boot_seconds=30)
    env = ActivityEnvironment()
    try:
        started = time.monotonic()
        with pytest.raises(WaitTimeout, match="control plane"):
            env.run(
                ProvisionActivities(registry).workload_cluster_init,
                ProvisionInput(**fields, control_plane_wait_seconds=1),
            )
        assert time.monotonic() - started < 15
    finally:
        sim.set_knobs(boot_seconds=before.boot_seconds)
        env.run(TeardownActivities(registry).cleanup_infrastructure, CleanupInput(**fields))
