"""A cluster's EKS-A objects on its managing cluster, against the sim's API server with EKS
Anywhere's real CRDs (v0.26.1, pruning and defaulting as kube-apiserver does):

- the desired-state digest is the same for a spec read from a file and for the objects read
  back from the API server (metadata, status and server defaults included), whether the
  user applied the file or ``write-cluster-config`` wrote them;
- ``write-cluster-config`` of a CLI operation creates the objects, is a no-op the second
  time, replaces spec and digest after an upgrade, and writes nothing for an operation the
  controller started;
- the end of a workload delete removes the finalizer, the Cluster and what it references,
  and nothing of another cluster;
- a workload cluster created through the CLI's steps on a management cluster installed with
  the upstream components ends with its objects there, and its delete removes them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from temporalio.exceptions import ApplicationError

from eksa_temporal.activities.bootstrap import BootstrapActivities
from eksa_temporal.activities.capi_install import CapiInstallActivities
from eksa_temporal.activities.eksa_objects import FINALIZER, remove_eksa_objects, write_eksa_objects
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
from eksa_temporal.kube.client import Kube, kube_for
from eksa_temporal.ownership import CLUSTER_LABEL
from eksa_temporal.providers.registry import Registry
from eksa_temporal.simulator import components as sim_components
from eksa_temporal.spec import ClusterSpec, generate_cluster_config, load_spec
from eksa_temporal.spec.base import API_VERSION
from eksa_temporal.spec.digest import (
    DIGEST_ANNOTATION,
    desired_objects,
    spec_digest,
    spec_text_digest,
)
from tests.activities.conftest import common
from tests.support.paths import SHARED, shared_path
from tests.support.sim import SimServer

EKSA_CRDS = ("eks-anywhere", "v0.26.1")
CRD_V1 = "apiextensions.k8s.io/v1"


def eksa_crds() -> list[dict[str, Any]]:
    """EKS-A's published CRDs plus the sim's CRDs of its own EKS-A kinds."""
    folder = shared_path("upstream-components", *EKSA_CRDS)
    docs = [d for f in sorted(folder.glob("*.yaml")) for d in yaml.safe_load_all(f.read_text()) if d]
    sim = [d for d in sim_components.manifests("sim") if d["kind"] == "CustomResourceDefinition"]
    return [*docs, *(d for d in sim if d["spec"]["group"] == "anywhere.eks.amazonaws.com")]


@pytest.fixture(scope="module")
def managing(sim: SimServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kube]:
    """A sim cluster serving the EKS-A kinds (as a management cluster does)."""
    crds = eksa_crds()
    tmp = tmp_path_factory.mktemp("eksa-objects")
    fields = common("eksaobjmgmt", tmp)
    boot = BootstrapActivities(Registry(sim.state_dir)).bootstrap_cluster_init(BootstrapInput(**fields))
    kube = kube_for(boot.bootstrap_kubeconfig)
    kube.apply(crds)
    deadline = time.monotonic() + 30
    while not all(kube.serves(API_VERSION, c["spec"]["names"]["kind"]) for c in crds):
        assert time.monotonic() < deadline, "the EKS-A CRDs were not served within 30 s"
        time.sleep(0.2)
    yield kube
    TeardownActivities(Registry(sim.state_dir)).cleanup_infrastructure(CleanupInput(**fields))


def valid_upstream_specs() -> list[str]:
    """The upstream test specs labelled valid (empty without the shared folder)."""
    labels = SHARED / "eksa-specs" / "labels.tsv"
    if not labels.exists():
        return []
    rows = [line.split("\t") for line in labels.read_text().splitlines()[1:]]
    return [r[0] for r in rows if r[1] == "valid"]


def read_back(kube: Kube, spec: ClusterSpec) -> str:
    """The spec's objects as the API server returns them (uid, resourceVersion, managed
    fields, generation, status, server defaults), as one multi-document text."""
    docs = []
    for obj in spec.objects():
        found = kube.get(obj.api_version, obj.kind, obj.name, obj.metadata.namespace or spec.namespace)
        assert found is not None, f"{obj.kind}/{obj.name} not on the API server"
        assert found["metadata"]["uid"] and found["metadata"]["managedFields"]
        docs.append(json.loads(json.dumps(found)))
    return "---\n".join(yaml.safe_dump(d) for d in docs)


def unique(name: str) -> str:
    return f"{name}-{time.time_ns() % 10**8}"


def renamed(text: str, old: str, new: str) -> str:
    return text.replace(f"name: {old}\n", f"name: {new}\n")


@pytest.mark.parametrize("source", ["sim", *valid_upstream_specs()])
def test_the_digest_is_the_same_from_a_file_and_from_the_objects_read_back(managing: Kube, source: str) -> None:
    if source == "sim":
        text = generate_cluster_config(unique("dg"), "sim")
    else:
        text = shared_path("eksa-specs", "files", source).read_text()
    spec = load_spec(text).spec
    assert spec is not None, source
    name = unique("c")
    # one namespace per case: the upstream specs share object names
    ns = f"ns{time.time_ns() % 10**9}"
    managing.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    documents = [d for d in yaml.safe_load_all(text) if d]
    for doc in documents:  # as `kubectl apply -n NS -f FILE` sends them
        doc["metadata"]["namespace"] = ns
        doc["apiVersion"] = API_VERSION  # one upstream file has a GitOpsConfig of .../v1, which no server serves
        if doc["kind"] == "Cluster":
            doc["metadata"]["name"] = name
            doc["spec"]["managementCluster"] = {"name": name}
            # an unquoted `kubernetesVersion: 1.20` is the number 1.2 in JSON, which the API
            # server refuses (the CRD says string): a user applying the file quotes it
            doc["spec"]["kubernetesVersion"] = spec.cluster.spec.kubernetes_version
    moved = load_spec(yaml.safe_dump_all(documents)).spec
    assert moved is not None
    for doc in documents:
        assert managing.create(doc) is not None, doc["kind"]
    back = load_spec(read_back(managing, moved))
    assert back.spec is not None, [f.line() for f in back.findings]
    assert back.spec.to_yaml() != moved.to_yaml()  # the objects read back carry server metadata
    assert spec_digest(back.spec) == spec_digest(moved)
    # the objects write-cluster-config writes (into another namespace) read back to the
    # same digest too, and a second write finds nothing to change despite server defaults
    ns2 = f"{ns}w"
    again = load_spec(yaml.safe_dump_all([{**d, "metadata": {**d["metadata"], "namespace": ns2}} for d in documents])).spec
    assert again is not None and spec_digest(again) != spec_digest(moved)
    written, _ = write_eksa_objects(managing, again)
    assert len(written) == len(again.objects())
    assert write_eksa_objects(managing, again)[0] == []
    wrote = load_spec(read_back(managing, again)).spec
    assert wrote is not None and spec_digest(wrote) == spec_digest(again)


def sim_spec(name: str, workers: int = 1) -> ClusterSpec:
    text = generate_cluster_config(name, "sim")
    text = f"count: {workers}\n".join(text.rsplit("count: 1\n", 1))
    spec = load_spec(text).spec
    assert spec is not None
    return spec


def test_objects_are_created_then_left_alone_then_replaced_after_a_change(managing: Kube) -> None:
    name = unique("wr")
    spec = sim_spec(name)
    written, line = write_eksa_objects(managing, spec)
    assert line.endswith(f"{len(written)} written, 0 unchanged")
    assert sorted(written) == sorted(f"{d['kind']}/{d['metadata']['name']}" for d in desired_objects(spec))
    cluster = managing.get(API_VERSION, "Cluster", name, "default")
    assert cluster is not None
    assert cluster["metadata"]["annotations"][DIGEST_ANNOTATION] == spec_digest(spec)
    assert cluster["metadata"]["labels"][CLUSTER_LABEL].startswith("cluster-")
    version = cluster["metadata"]["resourceVersion"]
    assert write_eksa_objects(managing, spec)[0] == []  # facts first: nothing differs
    assert managing.get(API_VERSION, "Cluster", name, "default")["metadata"]["resourceVersion"] == version  # type: ignore[index]
    # a field the server added (a default of a newer CRD) is no difference; a changed
    # value under the same digest is restored
    dc = spec.cluster.spec.datacenter_ref.name
    managing.merge_patch(API_VERSION, "SimDatacenterConfig", dc, "default", {"spec": {"addedByServer": "x"}})
    assert write_eksa_objects(managing, spec)[0] == []
    managing.merge_patch(API_VERSION, "Cluster", name, "default", {"spec": {"kubernetesVersion": "1.20"}})
    assert write_eksa_objects(managing, spec)[0] == [f"Cluster/{name}"]
    restored = managing.get(API_VERSION, "Cluster", name, "default")
    assert restored is not None and restored["spec"]["kubernetesVersion"] == spec.kubernetes_version
    # someone adds a finalizer and a label: kept when the spec is replaced
    managing.merge_patch(API_VERSION, "Cluster", name, "default", {"metadata": {"finalizers": [FINALIZER], "labels": {"team": "a"}}})
    bigger = sim_spec(name, workers=3)
    # every object carries the new digest; the Cluster the new count
    assert sorted(write_eksa_objects(managing, bigger)[0]) == sorted(written)
    cluster = managing.get(API_VERSION, "Cluster", name, "default")
    assert cluster is not None
    assert cluster["spec"]["workerNodeGroupConfigurations"][0]["count"] == 3
    assert cluster["metadata"]["annotations"][DIGEST_ANNOTATION] == spec_digest(bigger) != spec_digest(spec)
    assert cluster["metadata"]["finalizers"] == [FINALIZER] and cluster["metadata"]["labels"]["team"] == "a"
    removed = remove_eksa_objects(managing, name, "default", bigger)
    assert sorted(removed) == sorted(written)
    assert managing.get(API_VERSION, "Cluster", name, "default") is None  # the finalizer came off first
    assert remove_eksa_objects(managing, name, "default", bigger) == []


def test_write_cluster_config_writes_the_objects_of_a_cli_operation_only(managing: Kube, tmp_path: Path) -> None:
    name = unique("cli")
    text = generate_cluster_config(name, "sim").replace(f"managementCluster:\n    name: {name}", "managementCluster:\n    name: mgmt")
    fields = {**common(name, tmp_path), "spec_yaml": text, "management_kubeconfig": managing.label}
    controller = KubeconfigActivities().write_cluster_config(WriteClusterConfigInput(**fields, origin="controller"))
    assert "left to their owner" in controller.message
    assert managing.get(API_VERSION, "Cluster", name, "default") is None
    result = KubeconfigActivities().write_cluster_config(WriteClusterConfigInput(**fields))
    assert result.changed and "written" in result.message
    cluster = managing.get(API_VERSION, "Cluster", name, "default")
    assert cluster is not None
    # the digest on the objects is the one the client puts in the operation's memo
    assert cluster["metadata"]["annotations"][DIGEST_ANNOTATION] == spec_text_digest(text)
    assert not KubeconfigActivities().write_cluster_config(WriteClusterConfigInput(**fields)).changed
    remove_eksa_objects(managing, name, "default", None)
    # a management cluster's objects go to the cluster itself (its own kubeconfig)
    own = unique("self")
    mine = {**common(own, tmp_path), "kubeconfig": managing.label}
    assert "written" in KubeconfigActivities().write_cluster_config(WriteClusterConfigInput(**mine)).message
    assert managing.get(API_VERSION, "Cluster", own, "default") is not None
    remove_eksa_objects(managing, own, "default", None)


def test_the_delete_removes_only_what_the_cluster_owns_or_references(managing: Kube) -> None:
    name, other = unique("del"), unique("oth")
    spec = sim_spec(name)
    write_eksa_objects(managing, spec)
    # another cluster (applied by a user: no ownership label) sharing the datacenter config
    theirs = sim_spec(other)
    shared_dc = spec.cluster.spec.datacenter_ref.name
    for doc in desired_objects(theirs):
        doc["metadata"].pop("annotations")
        if doc["kind"] == "Cluster":
            doc["spec"]["datacenterRef"]["name"] = shared_dc
        managing.create(doc)
    # an object whose name merely starts with the cluster's name
    lookalike = {"apiVersion": API_VERSION, "kind": "SimMachineConfig", "metadata": {"name": f"{name}-extra", "namespace": "default"}, "spec": {}}
    managing.create(lookalike)
    removed = remove_eksa_objects(managing, name, "default", spec)
    assert f"Cluster/{name}" in removed and f"SimDatacenterConfig/{shared_dc}" not in removed
    assert managing.get(API_VERSION, "SimDatacenterConfig", shared_dc, "default") is not None
    assert managing.get(API_VERSION, "SimMachineConfig", f"{name}-extra", "default") is not None
    assert managing.get(API_VERSION, "Cluster", other, "default") is not None
    for ref in spec.cluster.machine_config_refs():
        assert managing.get(API_VERSION, ref.kind, ref.name, "default") is None


def test_a_workload_cluster_created_through_the_cli_steps_has_its_objects_on_the_management_cluster(
    registry: Registry, tmp_path: Path, upstream_components: Path
) -> None:
    mgmt_name, name = unique("mg"), unique("wl")
    fields = common(mgmt_name, tmp_path)
    boot = BootstrapActivities(registry).bootstrap_cluster_init(BootstrapInput(**fields))
    mgmt = boot.bootstrap_kubeconfig
    # clusterctl init of a management cluster with the upstream components: EKS-A's CRDs too
    CapiInstallActivities(registry, cache_dir=tmp_path / "cache").install_capi_components_workload(
        InstallCapiInput(**fields, kubeconfig=mgmt, components_dir=str(upstream_components))
    )
    kube = kube_for(mgmt)
    assert kube.serves(API_VERSION, "Cluster") and kube.serves(API_VERSION, "SimDatacenterConfig")
    text = generate_cluster_config(name, "sim").replace(
        f"managementCluster:\n    name: {name}", f"managementCluster:\n    name: {mgmt_name}"
    )
    wl = {**common(name, tmp_path), "spec_yaml": text, "management_kubeconfig": mgmt}
    ValidateActivities(registry).setup_validate_create(ValidateInput(**wl))
    ProvisionActivities(registry).create_workload_cluster(ProvisionInput(**wl))
    KubeconfigActivities().write_cluster_config(WriteClusterConfigInput(**wl))
    spec = load_spec(text).spec
    assert spec is not None
    for doc in desired_objects(spec):
        found = kube.get(API_VERSION, doc["kind"], doc["metadata"]["name"], "default")
        assert found is not None, doc["kind"]
        assert found["metadata"]["annotations"][DIGEST_ANNOTATION] == spec_text_digest(text)
    kubectl_route_checks(registry, kube, wl, text, tmp_path)
    kube.merge_patch(API_VERSION, "Cluster", name, "default", {"metadata": {"finalizers": [FINALIZER]}})
    deleted = TeardownActivities(registry).delete_workload_cluster(DeleteClusterInput(**wl))
    assert "EKS-A objects removed" in deleted.message
    for doc in desired_objects(spec):
        assert kube.get(API_VERSION, doc["kind"], doc["metadata"]["name"], "default") is None, doc["kind"]
    TeardownActivities(registry).cleanup_infrastructure(CleanupInput(**fields))


def kubectl_route_checks(registry: Registry, kube: Kube, wl: dict[str, Any], text: str, tmp_path: Path) -> None:
    """What a user applies with kubectl is the desired state, never what runs: an EKS-A
    Cluster edited to a downgrade is judged against the running cluster (its CAPI objects)
    and refused; and for a create asked for by applying the objects, the EKS-A Cluster in
    the request's namespace is the request itself, not an existing cluster (a CLI create of
    that name is still refused)."""
    name, mgmt = wl["cluster_name"], wl["management_kubeconfig"]
    kube.merge_patch(API_VERSION, "Cluster", name, "default", {"spec": {"kubernetesVersion": "1.30"}})
    older = text.replace("kubernetesVersion: '1.31'", "kubernetesVersion: '1.30'")
    assert older != text
    with pytest.raises(ApplicationError) as refused:
        ValidateActivities(registry).setup_validate_upgrade(
            ValidateInput(**{**wl, "spec_yaml": older, "origin": "controller"})
        )
    assert refused.value.type == "UnsupportedUpgrade" and "downgrading" in str(refused.value), refused.value
    kube.merge_patch(API_VERSION, "Cluster", name, "default", {"spec": {"kubernetesVersion": "1.31"}})

    other = unique("wl")
    other_text = text.replace(name, other)
    other_spec = load_spec(other_text).spec
    assert other_spec is not None
    kube.apply([{**d, "metadata": {k: v for k, v in d["metadata"].items() if k != "annotations"}}
                for d in desired_objects(other_spec)])
    asked = {**common(other, tmp_path), "spec_yaml": other_text, "management_kubeconfig": mgmt}
    with pytest.raises(ApplicationError) as exists:
        ValidateActivities(registry).setup_validate_create(ValidateInput(**asked))
    assert exists.value.type == "ClusterExists", exists.value
    ValidateActivities(registry).setup_validate_create(ValidateInput(**asked, origin="controller"))
    for d in desired_objects(other_spec):
        kube.delete(API_VERSION, d["kind"], d["metadata"]["name"], "default")


class _Serving:
    """A management cluster's API as far as ``write_eksa_objects`` asks before writing."""

    label = "mgmt"

    def __init__(self, kinds: set[str]) -> None:
        self.kinds = kinds

    def serves(self, api_version: str, kind: str) -> bool:
        return kind in self.kinds


@pytest.mark.parametrize(("served", "level"), [(set(), "info"), ({"Cluster"}, "warning")])
def test_without_the_crds_nothing_is_written_and_only_a_partial_set_warns(served: set[str], level: str) -> None:
    from structlog.testing import capture_logs

    with capture_logs() as logs:
        written, line = write_eksa_objects(_Serving(served), sim_spec("nocrd"))  # type: ignore[arg-type]
    assert written == [] and line.startswith("EKS-A objects not written: mgmt does not serve ")
    assert "SimDatacenterConfig, SimMachineConfig (install EKS-A's CRDs there" in line
    assert [e["log_level"] for e in logs if "EKS-A objects not written" in e["event"]] == [level]
