"""The docker provider against a fake Docker: daemon checks (reachable, version, EKS-A's
memory warning), refusal of a create while node containers of a same-named cluster exist,
cleanup by the exact cluster label (another cluster's containers untouched), bootstrap
options (Docker socket, registry mirror, proxy), upgrade rules, component and plug-in
registration."""

from __future__ import annotations

import builtins
from typing import Any

import pytest

from eksa_temporal.ownership import OWNER_LABEL, owner_id
from eksa_temporal.providers.base import ComponentRef, Ownership, PreflightOptions
from eksa_temporal.providers.docker import DockerProvider
from eksa_temporal.providers.docker.containers import CLUSTER_LABEL, MEMORY_WARNING
from eksa_temporal.providers.registry import Registry
from eksa_temporal.spec.findings import Severity

from .specs import node_image, spec

GiB = 1024**3
OWNER = owner_id("eksa/default/dock", "run-1")


def container(cid: str, cluster: str, role: str = "worker", **extra: str) -> dict[str, Any]:
    labels = {CLUSTER_LABEL: cluster, "io.x-k8s.kind.role": role, **extra}
    return {
        "ID": cid,
        "Names": f"{cluster}-{role}-{cid}",
        "Labels": ",".join(f"{k}={v}" for k, v in labels.items()),
        "State": "running",
        "Image": "kindest/node:v1.31.9",
    }


class FakeDocker:
    """``docker info`` / ``ps`` with label filters / ``rm -f``, recording every call."""

    def __init__(self, containers: list[dict[str, Any]] | None = None, **info: Any) -> None:
        self.containers = list(containers or [])
        self.info_value: dict[str, Any] = {"ServerVersion": "28.0.1", "MemTotal": 16 * GiB, **info}
        self.calls: list[tuple[str, Any]] = []
        self.fail: Exception | None = None

    def info(self) -> dict[str, Any]:
        self.calls.append(("info", None))
        if self.fail is not None:
            raise self.fail
        return dict(self.info_value)

    def ps(self, labels: dict[str, str], all: bool = True) -> list[dict[str, Any]]:
        self.calls.append(("ps", dict(labels)))

        def matches(c: dict[str, Any]) -> bool:
            have = dict(item.split("=", 1) for item in c["Labels"].split(","))
            return builtins.all(have.get(k) == v for k, v in labels.items())

        return [c for c in self.containers if matches(c)]

    def rm(self, ids: list[str]) -> None:
        self.calls.append(("rm", list(ids)))
        self.containers = [c for c in self.containers if c["ID"] not in ids]


def provider(docker: FakeDocker) -> DockerProvider:
    return DockerProvider(docker, node_image=node_image)


def test_component_and_kinds() -> None:
    p = provider(FakeDocker())
    assert p.name == "docker"
    assert p.datacenter_kinds == ("DockerDatacenterConfig",)
    assert p.endpoint_required is False
    assert p.infrastructure_component() == ComponentRef(name="docker", version="v1.10.10")


def test_registry_builds_it_from_the_entry_point() -> None:
    assert isinstance(Registry(register_spec=False).provider("docker"), DockerProvider)


def test_a_healthy_daemon_passes() -> None:
    docker = FakeDocker()
    assert provider(docker).validate_credentials(spec()) == []
    assert provider(docker).preflight(spec(), PreflightOptions()) == []


def test_unreachable_daemon_is_one_error() -> None:
    docker = FakeDocker()
    docker.fail = RuntimeError("Cannot connect to the Docker daemon at unix:///var/run/docker.sock")
    findings = provider(docker).preflight(spec(), PreflightOptions())
    assert [f.check for f in findings] == ["docker-reachable"]
    assert "Cannot connect to the Docker daemon" in findings[0].message
    assert not [c for c in docker.calls if c[0] == "ps"]


def test_old_docker_is_refused() -> None:
    findings = provider(FakeDocker(ServerVersion="19.03.5")).validate_credentials(spec())
    assert [(f.check, f.severity) for f in findings] == [("docker-version", Severity.ERROR)]
    assert "Install Docker version 20.x.x or above" in findings[0].message


def test_little_memory_is_eksas_warning() -> None:
    findings = provider(FakeDocker(MemTotal=4 * GiB)).validate_credentials(spec())
    assert [(f.check, f.severity) for f in findings] == [("docker-memory", Severity.WARNING)]
    assert MEMORY_WARNING in findings[0].message
    assert "recommended memory to be allocated for Docker is 6 GB" in findings[0].message
    assert provider(FakeDocker(MemTotal=6_200_000_000)).validate_credentials(spec()) == []


def test_existing_containers_are_reported_by_find_existing_not_preflight() -> None:
    """A create asks ``find_existing`` (the create's existence check); preflight also runs
    before an upgrade, which finds the cluster's own containers and must not be refused."""
    docker = FakeDocker([container("a1", "dock", "control-plane"), container("b1", "dock-b")])
    assert provider(docker).preflight(spec("dock"), PreflightOptions()) == []
    where = provider(docker).find_existing(spec("dock"))
    assert where is not None and "1 container(s) labelled io.x-k8s.kind.cluster=dock" in where
    assert ("ps", {CLUSTER_LABEL: "dock"}) in docker.calls


def test_find_existing_matches_the_exact_label_only() -> None:
    docker = FakeDocker([container("b1", "dock-b"), container("c1", "do")])
    assert provider(docker).find_existing(spec("dock")) is None
    docker.containers.append(container("a1", "dock"))
    assert provider(docker).find_existing(spec("dock")) is not None


def test_find_existing_skips_the_asking_runs_own_containers() -> None:
    mine = container("a1", "dock", **{OWNER_LABEL: OWNER})
    docker = FakeDocker([mine])
    assert provider(docker).find_existing(spec("dock"), OWNER) is None
    assert provider(docker).find_existing(spec("dock")) is not None


def test_a_filter_the_daemon_ignored_does_not_widen_the_match() -> None:
    class Sloppy(FakeDocker):
        def ps(self, labels: dict[str, str], all: bool = True) -> list[dict[str, Any]]:
            return list(self.containers)  # every container, whatever the filter

    docker = Sloppy([container("b1", "dock-b")])
    assert provider(docker).find_existing(spec("dock")) is None
    assert provider(docker).cleanup(spec("dock"), Ownership(owner=OWNER)).removed == []
    assert [c["ID"] for c in docker.containers] == ["b1"]


def test_cleanup_removes_the_clusters_containers_and_nothing_else() -> None:
    docker = FakeDocker(
        [
            container("a1", "dock", "control-plane"),
            container("a2", "dock", "worker"),
            container("a3", "dock", "external-load-balancer"),
            container("b1", "dock-b", "control-plane"),
            container("k1", "dock-eks-a-cluster", "control-plane"),
        ]
    )
    result = provider(docker).cleanup(spec("dock"), Ownership(owner=OWNER))
    assert sorted(result.removed) == [
        "container dock-control-plane-a1",
        "container dock-external-load-balancer-a3",
        "container dock-worker-a2",
    ]
    assert ("rm", ["a1", "a2", "a3"]) in docker.calls
    assert sorted(c["ID"] for c in docker.containers) == ["b1", "k1"]
    assert ("ps", {CLUSTER_LABEL: "dock"}) in docker.calls
    # idempotent
    again = provider(docker).cleanup(spec("dock"), Ownership(owner=OWNER))
    assert again.removed == [] and not [c for c in docker.calls[-1:] if c[0] == "rm"]


def test_cleanup_keeps_a_container_of_another_owner() -> None:
    other = owner_id("eksa/default/dock", "run-2")
    docker = FakeDocker([container("a1", "dock", **{OWNER_LABEL: other}), container("a2", "dock")])
    result = provider(docker).cleanup(spec("dock"), Ownership(owner=OWNER))
    assert result.removed == ["container dock-worker-a2"]
    assert result.kept == ["container dock-worker-a1 (made by another operation)"]
    assert [c["ID"] for c in docker.containers] == ["a1"]


def test_bootstrap_options_mount_the_docker_socket() -> None:
    opts = provider(FakeDocker()).bootstrap_options(spec())
    assert opts.extra_mounts == [{"containerPath": "/var/run/docker.sock", "hostPath": "/var/run/docker.sock"}]
    assert opts.registry_mirror == ""
    assert opts.env == {}


def test_bootstrap_options_carry_mirror_and_proxy() -> None:
    s = spec(
        registryMirrorConfiguration={"endpoint": "mirror.local", "port": "5000"},
        proxyConfiguration={"httpProxy": "http://p:3128", "httpsProxy": "http://p:3129", "noProxy": ["10.0.0.0/8"]},
    )
    opts = provider(FakeDocker()).bootstrap_options(s)
    assert opts.registry_mirror == "mirror.local:5000"
    assert opts.env["HTTP_PROXY"] == "http://p:3128"
    assert opts.env["HTTPS_PROXY"] == "http://p:3129"
    no_proxy = opts.env["NO_PROXY"].split(",")
    assert {"10.0.0.0/8", "192.168.0.0/16", "10.96.0.0/12", "localhost"} <= set(no_proxy)


def test_unknown_kubernetes_version_is_a_preflight_error() -> None:
    def only_131(version: str) -> str:
        if version.removeprefix("v") != "1.31":
            raise KeyError(f"the bundle has no kind node image for Kubernetes {version}")
        return node_image(version)

    s = spec(workerNodeGroupConfigurations=[{"name": "md-0", "count": 1, "kubernetesVersion": "1.30"}])
    findings = DockerProvider(FakeDocker(), node_image=only_131).preflight(s, PreflightOptions())
    assert [(f.check, f.path) for f in findings] == [
        ("docker-node-image", "spec.workerNodeGroupConfigurations[0].kubernetesVersion")
    ]


def test_an_authenticated_mirror_is_refused() -> None:
    s = spec(registryMirrorConfiguration={"endpoint": "mirror.local", "authenticate": True})
    findings = provider(FakeDocker()).preflight(s, PreflightOptions())
    assert [f.check for f in findings] == ["docker-registry-mirror"]


@pytest.mark.parametrize(
    "change",
    [
        {"kubernetesVersion": "1.32"},
        {"workerNodeGroupConfigurations": [{"name": "md-0", "count": 4}]},
        {"workerNodeGroupConfigurations": [{"name": "md-0", "count": 1}, {"name": "md-1", "count": 2}]},
    ],
)
def test_version_and_worker_changes_are_supported(change: dict[str, Any]) -> None:
    assert provider(FakeDocker()).validate_upgrade(spec(), spec(**change)) == []


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"clusterNetwork": {"cniConfig": {"cilium": {}}, "pods": {"cidrBlocks": ["10.10.0.0/16"]}, "services": {"cidrBlocks": ["10.96.0.0/12"]}}}, "spec.clusterNetwork.pods"),
        ({"externalEtcdConfiguration": {"count": 3}}, "spec.externalEtcdConfiguration"),
        ({"managementCluster": {"name": "mgmt"}}, "spec.managementCluster.name"),
    ],
)
def test_immutable_fields(change: dict[str, Any], path: str) -> None:
    findings = provider(FakeDocker()).validate_upgrade(spec(), spec(**change))
    assert [(f.path, f.check) for f in findings] == [(path, "docker-immutable")]
