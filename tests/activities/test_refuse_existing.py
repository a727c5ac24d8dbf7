"""A create never replaces an existing cluster: ``setup-validate`` and
``setup-validate-create`` ask the truth (the sim's virtual clusters and machines, the
management cluster's CAPI ``Cluster`` objects, the output folder) and refuse with the
non-retryable ``ClusterExists`` before any side effect - but accept what this very workflow
run made (its owner identity), so a create resumed after a crash goes on."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from eksa_temporal.activities.common import owner_marker
from eksa_temporal.activities.existing import existing_at_submission
from eksa_temporal.activities.models import ValidateInput
from eksa_temporal.activities.ownership import OWNER_LABEL, owner_id
from eksa_temporal.activities.validate import ValidateActivities
from eksa_temporal.kube.client import kube_for
from eksa_temporal.providers.registry import Registry
from eksa_temporal.spec import generate_cluster_config
from tests.activities.conftest import common
from tests.activities.test_workload import management, workload_spec

CAPI = "cluster.x-k8s.io/v1beta1"


def run(workflow_id: str = "eksa/default/c", run_id: str = "run-1") -> ActivityEnvironment:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, workflow_id=workflow_id, workflow_run_id=run_id)
    return env


def settled(read: Callable[[], dict[str, Any] | None], quiet: float = 1.0, limit: float = 20.0) -> dict[str, Any]:
    """The object once its resourceVersion stayed the same for ``quiet`` seconds (the sim's
    controllers finished with it); bounded by ``limit``."""
    deadline = time.monotonic() + limit
    last = read()
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = read()
        assert now is not None
        if last is not None and now["metadata"]["resourceVersion"] == last["metadata"]["resourceVersion"]:
            return now
        last = now
    raise AssertionError("the object kept changing")


def in_namespace(spec_yaml: str, namespace: str) -> str:
    """The spec with every object in ``namespace``."""
    return spec_yaml.replace("metadata:\n  name: ", f"metadata:\n  namespace: {namespace}\n  name: ")


def refused(env: ActivityEnvironment, fn: Any, inp: ValidateInput) -> str:
    with pytest.raises(ApplicationError) as err:
        env.run(fn, inp)
    assert err.value.type == "ClusterExists" and err.value.non_retryable
    message = str(err.value)
    assert "\n" not in message
    return message


def test_a_cluster_whose_virtual_cluster_exists_is_refused_before_any_side_effect(
    registry: Registry, cluster_name: str, tmp_path: Path
) -> None:
    registry.sim_client().create_cluster(cluster_name)  # made by someone else
    before = registry.sim_client().clusters()
    inp = ValidateInput(**common(cluster_name, tmp_path / "elsewhere"))
    line = refused(run(), ValidateActivities(registry).setup_validate, inp)
    assert f"cluster default/{cluster_name} already exists" in line
    assert f"virtual cluster {cluster_name}" in line and str(registry.sim_state_dir) in line
    assert "upgrade-cluster" in line and "delete-cluster" in line
    assert not owner_marker(inp).exists() and not inp.dir.exists()  # nothing written
    assert registry.sim_client().clusters() == before


def test_a_longer_name_sharing_the_prefix_is_another_cluster(
    registry: Registry, cluster_name: str, tmp_path: Path
) -> None:
    registry.sim_client().create_cluster(f"{cluster_name}-b")
    inp = ValidateInput(**common(cluster_name, tmp_path))
    result = run().run(ValidateActivities(registry).setup_validate, inp)
    assert "not-exists" in result.passed
    assert owner_marker(inp).exists()  # validation passed: this run owns the folder


def test_infrastructure_made_by_this_run_is_its_own_and_anyone_elses_is_not(
    registry: Registry, cluster_name: str, tmp_path: Path
) -> None:
    mine = owner_id("eksa/default/c", "run-1")
    registry.sim_client().create_cluster(cluster_name, {OWNER_LABEL: mine})
    inp = ValidateInput(**common(cluster_name, tmp_path))
    acts = ValidateActivities(registry)
    run().run(acts.setup_validate, inp)  # the same run re-validating after a crash: fine
    run().run(acts.setup_validate, inp)
    line = refused(run(run_id="run-2"), acts.setup_validate, inp)  # a later run of the same cluster
    assert f"virtual cluster {cluster_name}" in line
    other = ValidateInput(**common(cluster_name, tmp_path / "other-folder"))
    refused(run("eksa/default/c", "run-3"), acts.setup_validate, other)


def test_the_same_name_in_another_namespace_is_refused_while_its_create_owns_the_folder(
    registry: Registry, cluster_name: str, tmp_path: Path
) -> None:
    acts = ValidateActivities(registry)
    first = ValidateInput(**common(cluster_name, tmp_path))
    run(f"eksa/default/{cluster_name}").run(acts.setup_validate, first)  # nothing made yet
    text = in_namespace(generate_cluster_config(cluster_name, "sim"), "other")
    second = ValidateInput(**{**common(cluster_name, tmp_path), "spec_yaml": text, "namespace": "other"})
    line = refused(run(f"eksa/other/{cluster_name}"), acts.setup_validate, second)
    assert f"eksa/default/{cluster_name}" in line and "unique across namespaces" in line
    # a new run of the first cluster's own workflow (a failed create run again) is not refused
    run(f"eksa/default/{cluster_name}", "run-2").run(acts.setup_validate, first)


def test_a_workload_cluster_name_taken_on_the_management_cluster_is_refused(
    registry: Registry, cluster_name: str, tmp_path: Path
) -> None:
    mgmt_kc = management(registry, f"{cluster_name}m", tmp_path)
    kube = kube_for(mgmt_kc)
    if kube.get("v1", "Namespace", "other") is None:
        kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "other"}})
    kube.create({"apiVersion": CAPI, "kind": "Cluster", "metadata": {"name": cluster_name, "namespace": "other"}, "spec": {}})
    taken = settled(lambda: kube.get(CAPI, "Cluster", cluster_name, "other"))
    fields = {
        **common(cluster_name, tmp_path),
        "spec_yaml": workload_spec(cluster_name, f"{cluster_name}m"),
        "management_kubeconfig": mgmt_kc,
    }
    acts = ValidateActivities(registry)
    line = refused(run(), acts.setup_validate_create, ValidateInput(**fields))
    assert f"Cluster.cluster.x-k8s.io other/{cluster_name}" in line and "unique on their management cluster" in line
    after = kube.get(CAPI, "Cluster", cluster_name, "other")
    assert after is not None
    assert after["metadata"]["resourceVersion"] == taken["metadata"]["resourceVersion"]
    assert existing_at_submission(
        registry,
        spec_yaml=fields["spec_yaml"],
        workdir=fields["workdir"],
        management_kubeconfig=mgmt_kc,
        workflow_id=f"eksa/default/{cluster_name}",
    ) is not None

    # the Cluster carrying this run's identity is the run's own (resumed after a crash)
    kube.merge_patch(CAPI, "Cluster", cluster_name, "other", {"metadata": {"labels": {OWNER_LABEL: owner_id("eksa/default/c", "run-1")}}})
    result = run().run(acts.setup_validate_create, ValidateInput(**fields))
    assert "not-exists" in result.passed


def test_the_check_at_submission_sees_what_the_workflow_sees(
    registry: Registry, cluster_name: str, tmp_path: Path
) -> None:
    fields = common(cluster_name, tmp_path)
    ask: dict[str, Any] = {
        "spec_yaml": fields["spec_yaml"],
        "workdir": fields["workdir"],
        "management_kubeconfig": None,
        "workflow_id": f"eksa/default/{cluster_name}",
    }
    assert existing_at_submission(registry, **ask) is None
    registry.sim_client().create_cluster(cluster_name)
    found = existing_at_submission(registry, **ask)
    assert found is not None and f"virtual cluster {cluster_name}" in found.where
    # a sim the client cannot reach: no answer from it, the workflow decides ...
    blind = Registry(tmp_path / "no-sim")
    assert existing_at_submission(blind, **ask) is None
    # ... but the output folder still speaks: a kubeconfig written by an earlier create
    kubeconfig = Path(fields["workdir"]) / f"{cluster_name}-eks-a-cluster.kubeconfig"
    kubeconfig.parent.mkdir(parents=True)
    kubeconfig.write_text("apiVersion: v1\n")
    found = existing_at_submission(blind, **ask)
    assert found is not None and f"its kubeconfig {kubeconfig} exists" in found.where
