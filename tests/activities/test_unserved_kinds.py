"""The apply step refuses, before it makes or applies anything, a spec that renders a kind
the installed components do not serve - e.g. external etcd's ``EtcdadmCluster``, which only
EKS Anywhere's etcdadm providers serve and this release does not install: one permanent
error naming the kind and the fix, and no CAPI object on the managing cluster."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError

from eksa_temporal.activities.models import CleanupInput, ProvisionInput
from eksa_temporal.activities.provision import ProvisionActivities, served_or_refuse
from eksa_temporal.activities.teardown import TeardownActivities
from eksa_temporal.kube import client
from eksa_temporal.kube.client import condition_true, kube_for
from eksa_temporal.providers.registry import Registry
from tests.activities.test_cleanup_ownership import prepare, run_of

CRD_V1 = "apiextensions.k8s.io/v1"
ETCDADM = {
    "apiVersion": "etcdcluster.cluster.x-k8s.io/v1beta1",
    "kind": "EtcdadmCluster",
    "metadata": {"name": "x-etcd", "namespace": "eksa-system"},
    "spec": {"replicas": 3},
}


def test_an_unserved_kind_is_refused_before_anything_is_applied(
    registry: Registry, cluster_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = run_of(cluster_name, "run-etcd")
    fields = prepare(registry, env, cluster_name, tmp_path)
    provider = type(registry.provider("sim"))
    render = provider.render_capi_objects

    def with_external_etcd(self: Any, spec: Any, ctx: Any) -> list[dict[str, Any]]:
        return [*render(self, spec, ctx), dict(ETCDADM)]

    monkeypatch.setattr(provider, "render_capi_objects", with_external_etcd)
    with pytest.raises(ApplicationError) as caught:
        env.run(ProvisionActivities(registry).workload_cluster_init, ProvisionInput(**fields))
    error = caught.value
    assert error.non_retryable and error.type == "InvalidComponents"
    assert "does not serve EtcdadmCluster (etcdcluster.cluster.x-k8s.io/v1beta1), which the spec renders" in str(error)
    assert "external etcd needs EKS-A's etcdadm providers" in str(error)
    kube = kube_for(fields["bootstrap_kubeconfig"])
    assert kube.get("cluster.x-k8s.io/v1beta1", "Cluster", cluster_name, "eksa-system") is None
    monkeypatch.undo()
    env.run(TeardownActivities(registry).cleanup_infrastructure, CleanupInput(**fields))




def widget_crd() -> dict[str, Any]:
    schema = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.eksa.test"},
        "spec": {
            "group": "example.eksa.test",
            "scope": "Namespaced",
            "names": {"kind": "Widget", "plural": "widgets", "singular": "widget", "listKind": "WidgetList"},
            "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": schema}}],
        },
    }


def test_a_kind_installed_after_a_remembered_miss_is_not_refused(
    registry: Registry, cluster_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``Kube.serves`` remembers a miss for a moment; the refusal asks the server afresh."""
    monkeypatch.setattr(client, "MISSING_KIND_SECONDS", 3600.0)  # the moment lasts the test
    env = run_of(cluster_name, "run-fresh")
    fields = prepare(registry, env, cluster_name, tmp_path)
    kube = kube_for(fields["bootstrap_kubeconfig"])
    widget = {"apiVersion": "example.eksa.test/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "default"}}
    assert not kube.serves("example.eksa.test/v1", "Widget")
    kube.apply([widget_crd()])
    deadline = time.monotonic() + 10
    while not condition_true(kube.get(CRD_V1, "CustomResourceDefinition", "widgets.example.eksa.test"), "Established"):
        assert time.monotonic() < deadline, "the Widget CRD was not established within 10 s"
        time.sleep(0.1)
    assert not kube.serves("example.eksa.test/v1", "Widget")  # the remembered miss
    served_or_refuse(kube, [widget])  # asks afresh: served
    env.run(TeardownActivities(registry).cleanup_infrastructure, CleanupInput(**fields))
