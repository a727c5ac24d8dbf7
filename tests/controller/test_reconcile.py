"""Reconcile decisions against the sim API server holding EKS Anywhere's real CRDs, with the
Temporal side faked (``FakeLifecycle``): what is started when, what the status and the
annotations say, the finalizer, and the CLI route's objects meeting the controller."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from eksa_temporal.controller import names
from eksa_temporal.controller.lifecycle import Operation
from eksa_temporal.controller.reconcile import Reconciler, next_operation
from eksa_temporal.controller.status import condition_of
from eksa_temporal.spec import load_spec
from eksa_temporal.spec.digest import desired_objects, spec_digest
from tests.controller.conftest import FakeLifecycle, Mgmt, workload_docs

pytestmark = pytest.mark.anyio
API = names.EKSA_API


@pytest.fixture
def fake() -> FakeLifecycle:
    return FakeLifecycle()


@pytest.fixture
def reconciler(mgmt: Mgmt, fake: FakeLifecycle, tmp_path: Path) -> Reconciler:
    return Reconciler(mgmt.kube, fake, workdir=tmp_path / "clusters", management_kubeconfig=mgmt.kubeconfig)


def cluster(mgmt: Mgmt, ns: str, name: str = "w1") -> dict[str, Any]:
    obj = mgmt.kube.get(API, "Cluster", name, ns)
    assert obj is not None
    return obj


def ready(obj: dict[str, Any]) -> dict[str, Any]:
    cond = condition_of(obj, names.READY)
    assert cond is not None, obj.get("status")
    return cond


async def test_a_new_cluster_gets_the_finalizer_and_one_create(mgmt: Mgmt, namespace: str, fake: FakeLifecycle, reconciler: Reconciler, tmp_path: Path) -> None:
    mgmt.kube.apply(workload_docs("w1", namespace))
    again = await reconciler.reconcile(namespace, "w1")
    assert again == reconciler.poll_seconds
    assert [op for op, _, _ in fake.starts] == ["create"]
    _, inp, _ = fake.starts[0]
    assert inp.origin == "controller"
    assert inp.workdir == str((tmp_path / "clusters" / "w1").resolve())
    assert inp.management_kubeconfig == str(mgmt.kubeconfig.resolve())
    obj = cluster(mgmt, namespace)
    assert names.FINALIZER in obj["metadata"]["finalizers"]
    ann = obj["metadata"]["annotations"]
    assert ann[names.WORKFLOW_ANNOTATION] == f"eksa/{namespace}/w1"
    assert ann[names.OPERATION_ANNOTATION] == "create"
    assert ann[names.STEP_ANNOTATION] == "setup-validate"
    assert ann[names.WORKFLOW_UI_ANNOTATION].startswith("http://ui/")
    assert (ready(obj)["status"], ready(obj)["reason"]) == ("False", "CreateInProgress")
    # while it runs, nothing more is started however often it is looked at
    for _ in range(3):
        assert await reconciler.reconcile(namespace, "w1") == reconciler.poll_seconds
    assert len(fake.starts) == 1


async def test_a_completed_create_of_this_spec_is_ready_and_starts_nothing(mgmt: Mgmt, namespace: str, fake: FakeLifecycle, reconciler: Reconciler) -> None:
    mgmt.kube.apply(workload_docs("w1", namespace))
    await reconciler.reconcile(namespace, "w1")
    fake.finish(namespace, "w1")
    assert await reconciler.reconcile(namespace, "w1") is None
    obj = cluster(mgmt, namespace)
    for ctype in names.CONDITION_TYPES:
        assert condition_of(obj, ctype)["status"] == "True"  # type: ignore[index]
    assert obj["status"]["observedGeneration"] == obj["metadata"]["generation"]
    assert names.STEP_ANNOTATION not in obj["metadata"]["annotations"]
    rv = obj["metadata"]["resourceVersion"]
    assert await reconciler.reconcile(namespace, "w1") is None
    assert cluster(mgmt, namespace)["metadata"]["resourceVersion"] == rv  # nothing written
    assert len(fake.starts) == 1
    events, _ = mgmt.kube.list_objects("v1", "Event", namespace)
    assert sorted((e["type"], e["reason"]) for e in events) == [("Normal", "CreateInProgress"), ("Normal", "Ready")]
    assert {e["involvedObject"]["uid"] for e in events} == {obj["metadata"]["uid"]}


async def test_an_edit_after_a_completed_create_starts_an_upgrade_behind_it(mgmt: Mgmt, namespace: str, fake: FakeLifecycle, reconciler: Reconciler) -> None:
    mgmt.kube.apply(workload_docs("w1", namespace))
    await reconciler.reconcile(namespace, "w1")
    mgmt.kube.apply(workload_docs("w1", namespace, workers=2))  # edited while the create runs
    assert await reconciler.reconcile(namespace, "w1") == reconciler.poll_seconds
    assert len(fake.starts) == 1  # queued behind the running create
    fake.finish(namespace, "w1")
    await reconciler.reconcile(namespace, "w1")
    assert [op for op, _, _ in fake.starts] == ["create", "upgrade"]
    assert "count: 2" in fake.starts[1][1].spec_yaml
    fake.finish(namespace, "w1")
    assert await reconciler.reconcile(namespace, "w1") is None
    assert ready(cluster(mgmt, namespace))["status"] == "True"


async def test_a_failed_operation_is_not_restarted_until_the_retry_annotation_changes(mgmt: Mgmt, namespace: str, fake: FakeLifecycle, reconciler: Reconciler) -> None:
    mgmt.kube.apply(workload_docs("w1", namespace))
    await reconciler.reconcile(namespace, "w1")
    fake.finish(namespace, "w1", "failed", "create-workload-cluster: no capacity (fix: add hosts)")
    for _ in range(2):
        assert await reconciler.reconcile(namespace, "w1") is None
    assert len(fake.starts) == 1
    cond = ready(cluster(mgmt, namespace))
    assert (cond["status"], cond["reason"]) == ("False", "OperationFailed")
    assert "no capacity (fix: add hosts)" in cond["message"]
    assert names.RETRY_ANNOTATION in cond["message"]
    assert cluster(mgmt, namespace)["status"]["failureReason"] == "OperationFailed"
    mgmt.kube.merge_patch(API, "Cluster", "w1", namespace, {"metadata": {"annotations": {names.RETRY_ANNOTATION: "1"}}})
    await reconciler.reconcile(namespace, "w1")
    assert [op for op, _, _ in fake.starts] == ["create", "create"]  # no create completed yet
    fake.finish(namespace, "w1", "failed", "again")
    await reconciler.reconcile(namespace, "w1")
    assert len(fake.starts) == 2  # the same retry value is acted on once
    assert cluster(mgmt, namespace)["metadata"]["annotations"][names.RETRY_SEEN_ANNOTATION] == "1"


async def test_an_invalid_spec_names_the_field_and_the_fix_and_starts_nothing(mgmt: Mgmt, namespace: str, fake: FakeLifecycle, reconciler: Reconciler) -> None:
    mgmt.kube.apply(workload_docs("w1", namespace, cp_count=2))
    assert await reconciler.reconcile(namespace, "w1") is None
    assert fake.starts == []
    obj = cluster(mgmt, namespace)
    cond = ready(obj)
    assert (cond["status"], cond["reason"], cond["severity"]) == ("False", "InvalidSpec", "Error")
    assert cond["message"].startswith("spec.controlPlaneConfiguration.count: ")
    assert "(fix: " in cond["message"]
    assert obj["status"]["failureReason"] == "InvalidSpec"


async def test_a_missing_datacenter_config_is_named_in_the_status(mgmt: Mgmt, namespace: str, fake: FakeLifecycle, reconciler: Reconciler) -> None:
    mgmt.kube.apply(workload_docs("w1", namespace)[:1])  # the Cluster only
    assert await reconciler.reconcile(namespace, "w1") is None
    obj = cluster(mgmt, namespace)
    cond = ready(obj)
    assert (cond["status"], cond["reason"], cond["severity"]) == ("False", "MissingDependentObjects", "Warning")
    assert cond["message"].startswith(f"DockerDatacenterConfig/w1: not found in namespace {namespace}")
    assert obj["status"]["failureReason"] == "MissingDependentObjects"
    assert obj["status"]["failureMessage"].startswith("Dependent cluster objects don't exist: DockerDatacenterConfig/w1: ")
    assert fake.starts == []


async def test_deleting_runs_one_delete_and_removes_the_finalizer_when_it_completed(mgmt: Mgmt, namespace: str, fake: FakeLifecycle, reconciler: Reconciler) -> None:
    mgmt.kube.apply(workload_docs("w1", namespace))
    await reconciler.reconcile(namespace, "w1")
    fake.finish(namespace, "w1")
    mgmt.kube.delete(API, "Cluster", "w1", namespace)
    assert await reconciler.reconcile(namespace, "w1") == reconciler.poll_seconds
    assert [op for op, _, _ in fake.starts] == ["create", "delete"]
    assert cluster(mgmt, namespace)["metadata"]["annotations"][names.OPERATION_ANNOTATION] == "delete"
    await reconciler.reconcile(namespace, "w1")
    assert len(fake.starts) == 2
    fake.finish(namespace, "w1")
    assert await reconciler.reconcile(namespace, "w1") is None
    assert mgmt.kube.get(API, "Cluster", "w1", namespace) is None


async def test_a_delete_after_the_configs_are_gone_uses_the_last_operations_spec(mgmt: Mgmt, namespace: str, fake: FakeLifecycle, reconciler: Reconciler) -> None:
    mgmt.kube.apply(workload_docs("w1", namespace))
    await reconciler.reconcile(namespace, "w1")
    fake.finish(namespace, "w1")
    # kubectl delete -f w1.yaml: the configs go at once, the Cluster waits for the finalizer
    mgmt.kube.delete(API, "DockerDatacenterConfig", "w1", namespace)
    mgmt.kube.delete(API, "Cluster", "w1", namespace)
    await reconciler.reconcile(namespace, "w1")
    assert [op for op, _, _ in fake.starts] == ["create", "delete"]
    assert fake.starts[1][1].spec_yaml == fake.starts[0][1].spec_yaml


async def test_deleting_a_cluster_never_started_only_removes_the_finalizer(mgmt: Mgmt, namespace: str, fake: FakeLifecycle, reconciler: Reconciler) -> None:
    mgmt.kube.apply(workload_docs("w1", namespace, cp_count=2))  # invalid: nothing starts
    await reconciler.reconcile(namespace, "w1")
    mgmt.kube.delete(API, "Cluster", "w1", namespace)
    assert await reconciler.reconcile(namespace, "w1") is None
    assert mgmt.kube.get(API, "Cluster", "w1", namespace) is None
    assert fake.starts == []


async def test_a_self_managed_cluster_is_left_alone(mgmt: Mgmt, namespace: str, fake: FakeLifecycle, reconciler: Reconciler) -> None:
    mgmt.kube.apply(workload_docs("mgmt", namespace))
    assert await reconciler.reconcile(namespace, "mgmt") is None
    obj = cluster(mgmt, namespace, "mgmt")
    assert not obj["metadata"].get("finalizers")
    assert not obj.get("status")
    assert fake.starts == []


async def test_objects_the_cli_route_wrote_match_its_operation_and_start_nothing(mgmt: Mgmt, namespace: str, fake: FakeLifecycle, reconciler: Reconciler) -> None:
    import yaml

    text = "---\n".join(yaml.safe_dump(d) for d in workload_docs("w1", namespace))
    spec = load_spec(text).spec
    assert spec is not None
    mgmt.kube.apply(desired_objects(spec))  # what write-cluster-config applies
    fake.ops[(namespace, "w1")] = Operation(
        workflow_id=f"eksa/{namespace}/w1", operation="create", state="completed", digest=spec_digest(spec)
    )
    assert await reconciler.reconcile(namespace, "w1") is None
    assert fake.starts == []
    assert ready(cluster(mgmt, namespace))["status"] == "True"


@pytest.mark.parametrize(
    ("last", "expected"),
    [
        (None, "create"),
        (("create", "failed"), "create"),
        (("create", "cancelled"), "create"),
        (("create", "completed"), "upgrade"),
        (("upgrade", "failed"), "upgrade"),
        (("delete", "completed"), "create"),
    ],
)
def test_the_next_operation_is_a_create_until_one_completed(last: tuple[str, str] | None, expected: str) -> None:
    op = None if last is None else Operation(workflow_id="eksa/default/w1", operation=last[0], state=last[1])
    assert next_operation(op) == expected


def install_capi_crds(mgmt: Mgmt) -> None:
    import yaml

    from eksa_temporal.kube import condition_true
    from tests.support.paths import shared_path

    core = next(shared_path("upstream-components", "cluster-api").glob("*/core-components.yaml"))
    wanted = {"clusters.cluster.x-k8s.io", "machinedeployments.cluster.x-k8s.io"}
    crds = [d for d in yaml.safe_load_all(core.read_text()) if d and d.get("kind") == "CustomResourceDefinition" and d["metadata"]["name"] in wanted]
    for crd in crds:  # the conversion webhook needs cert-manager and CAPI's own controller
        crd["spec"].pop("conversion", None)
    mgmt.kube.apply(crds)
    for crd in crds:
        mgmt.kube.wait_for("apiextensions.k8s.io/v1", "CustomResourceDefinition", crd["metadata"]["name"], None,
                           lambda o: condition_true(o, "Established"), timeout=30)
    if mgmt.kube.get("v1", "Namespace", "eksa-system") is None:
        mgmt.kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "eksa-system"}})


def set_status(mgmt: Mgmt, kind: str, name: str, body: dict[str, Any]) -> None:
    res = mgmt.kube.resource("cluster.x-k8s.io/v1beta1", kind)
    mgmt.kube.dynamic.patch(res.status, body={"status": body}, name=name, namespace="eksa-system",
                            content_type="application/merge-patch+json")


async def test_ready_follows_the_control_plane_and_the_workers_of_the_running_cluster(mgmt: Mgmt, namespace: str, fake: FakeLifecycle, reconciler: Reconciler) -> None:
    install_capi_crds(mgmt)
    name = f"h{namespace[2:]}"  # CAPI objects of every cluster share eksa-system: a name of its own
    mgmt.kube.apply(workload_docs(name, namespace))
    await reconciler.reconcile(namespace, name)
    fake.finish(namespace, name)
    capi = "cluster.x-k8s.io/v1beta1"
    labels = {"cluster.x-k8s.io/cluster-name": name}
    mgmt.kube.apply([
        {"apiVersion": capi, "kind": "Cluster", "metadata": {"name": name, "namespace": "eksa-system", "labels": labels}, "spec": {}},
        {"apiVersion": capi, "kind": "MachineDeployment", "metadata": {"name": f"{name}-md-0", "namespace": "eksa-system", "labels": labels},
         "spec": {"clusterName": name, "replicas": 2, "selector": {"matchLabels": labels},
                  "template": {"metadata": {"labels": labels}, "spec": {"clusterName": name, "bootstrap": {"dataSecretName": "x"},
                               "infrastructureRef": {"apiVersion": "v1", "kind": "X", "name": "x"}}}}},
    ])
    now = "2026-01-01T00:00:00Z"
    set_status(mgmt, "Cluster", name, {"conditions": [{"type": "ControlPlaneReady", "status": "True", "lastTransitionTime": now}]})
    set_status(mgmt, "MachineDeployment", f"{name}-md-0", {"replicas": 2, "readyReplicas": 1})
    assert await reconciler.reconcile(namespace, name) == reconciler.retry_seconds  # looked at again soon
    obj = cluster(mgmt, namespace, name)
    cond = ready(obj)
    assert (cond["status"], cond["reason"]) == ("False", "WorkersNotReady")
    assert cond["message"] == f"{name}-md-0: 1 of 2 ready"
    assert condition_of(obj, names.CONTROL_PLANE_READY)["status"] == "True"  # type: ignore[index]
    assert obj["status"]["observedGeneration"] == obj["metadata"]["generation"]
    set_status(mgmt, "MachineDeployment", f"{name}-md-0", {"readyReplicas": 2})
    assert await reconciler.reconcile(namespace, name) is None
    assert ready(cluster(mgmt, namespace, name))["status"] == "True"
    set_status(mgmt, "Cluster", name, {"conditions": [{"type": "ControlPlaneReady", "status": "False", "reason": "WaitingForControlPlane",
                                                       "message": "1 of 3 machines ready", "severity": "Warning", "lastTransitionTime": now}]})
    await reconciler.reconcile(namespace, name)
    cond = ready(cluster(mgmt, namespace, name))
    assert (cond["status"], cond["reason"], cond["message"]) == ("False", "ControlPlaneNotReady", "the control plane is not ready: 1 of 3 machines ready")
    assert len(fake.starts) == 1


async def test_a_running_delete_from_the_cli_does_not_get_the_finalizer_back(mgmt: Mgmt, namespace: str, fake: FakeLifecycle, reconciler: Reconciler) -> None:
    mgmt.kube.apply(workload_docs("w1", namespace))
    fake.ops[(namespace, "w1")] = Operation(workflow_id=f"eksa/{namespace}/w1", operation="delete", state="running", step="delete-workload-cluster")
    assert await reconciler.reconcile(namespace, "w1") == reconciler.poll_seconds
    obj = cluster(mgmt, namespace)
    assert names.FINALIZER not in (obj["metadata"].get("finalizers") or [])
    assert obj["metadata"]["annotations"][names.STEP_ANNOTATION] == "delete-workload-cluster"
    assert fake.starts == []


async def test_a_cluster_naming_another_management_cluster_is_invalid(mgmt: Mgmt, namespace: str, fake: FakeLifecycle, reconciler: Reconciler) -> None:
    mgmt.kube.apply(workload_docs("mgmt", namespace)[:1])  # this management cluster's own object
    mgmt.kube.apply(workload_docs("w1", namespace, management="elsewhere"))
    assert await reconciler.reconcile(namespace, "w1") is None
    cond = ready(cluster(mgmt, namespace))
    assert cond["reason"] == "InvalidSpec"
    assert cond["message"] == (
        "spec.managementCluster.name: names elsewhere, but this management cluster is mgmt "
        "(fix: set spec.managementCluster.name: mgmt, or apply the objects to elsewhere's API server)"
    )
    assert fake.starts == []
