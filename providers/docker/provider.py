"""``DockerProvider``: EKS-A's Docker provider - clusters whose nodes are containers on
this host's Docker, made by CAPD (Cluster API's Docker provider) - for development and
testing.

Credentials are the reachable Docker daemon (``docker info``): its version must be 20 or
newer, and less memory than EKS-A recommends is a warning. Preflight also refuses a
create while containers labelled as nodes of a cluster of the same name exist
(``find_existing``). The bootstrap cluster mounts the host's Docker socket so CAPD running
in it can make the node containers, and takes the spec's registry mirror and proxy.
Rendering is ``providers.docker.render``; cleanup removes the cluster's node containers
by their cluster label. Methods block on the ``docker`` CLI; activities run them on a
thread pool.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any, ClassVar

from eksa_temporal.logs import get_logger
from eksa_temporal.ownership import OWNER_LABEL
from eksa_temporal.providers.base import (
    BootstrapOptions,
    CleanupResult,
    ComponentRef,
    Ownership,
    PreflightOptions,
    Provider,
    ProviderContext,
    RenderContext,
)
from eksa_temporal.providers.docker import spec_example
from eksa_temporal.providers.docker.containers import (
    CLUSTER_LABEL,
    MEMORY_WARNING,
    RECOMMENDED_MEMORY,
    REQUIRED_MAJOR_VERSION,
    DockerClient,
    cluster_containers,
    default_client,
    describe,
    foreign_owner,
    labels_of,
    server_major,
)
from eksa_temporal.providers.docker.render import DOCKER_SOCKET_MOUNT, kind_node_image, render
from eksa_temporal.spec.findings import Finding, Severity

log = get_logger(__name__)
CAPD_VERSION = "v1.10.10"
DATACENTER_PATH = "DockerDatacenterConfig"


class DockerProvider(Provider):
    """The host's Docker through CAPD; see the module docstring."""

    name = "docker"
    datacenter_kinds = ("DockerDatacenterConfig",)
    endpoint_required = False
    spec_example: ClassVar[ModuleType | None] = spec_example

    def __init__(
        self,
        docker: DockerClient | None = None,
        *,
        node_image: Callable[[str], str] | None = None,
    ) -> None:
        """``docker``: the Docker client (default: the ``docker`` CLI, made on first use). ``node_image``: Kubernetes version -> kind node image (default:
        the release bundle)."""
        self._docker = docker
        self._node_image = node_image

    def docker(self) -> DockerClient:
        if self._docker is None:
            self._docker = default_client()
        return self._docker

    # -- facts -------------------------------------------------------------------------
    def infrastructure_component(self) -> ComponentRef:
        return ComponentRef(name="docker", version=CAPD_VERSION)

    # -- validation ----------------------------------------------------------------------
    def validate_credentials(self, spec: Any) -> list[Finding]:
        """The Docker daemon answers and is new enough; memory below EKS-A's recommendation
        is a warning."""
        try:
            info = self.docker().info()
        except Exception as exc:  # the CLI missing, the daemon down, permission denied
            return [
                Finding(
                    path=DATACENTER_PATH,
                    message=f"the Docker daemon is not reachable: {_short(exc)}",
                    remediation="start Docker and make sure this user may use it (docker info)",
                    check="docker-reachable",
                )
            ]
        findings: list[Finding] = []
        version = str(info.get("ServerVersion") or "")
        major = server_major(version)
        if major is None or major < REQUIRED_MAJOR_VERSION:
            findings.append(
                Finding(
                    path=DATACENTER_PATH,
                    message=(
                        f"minimum requirements for docker version have not been met (server {version or 'unknown'}). "
                        f"Install Docker version {REQUIRED_MAJOR_VERSION}.x.x or above"
                    ),
                    remediation=f"upgrade the Docker engine to {REQUIRED_MAJOR_VERSION}.x.x or newer",
                    check="docker-version",
                )
            )
        memory = info.get("MemTotal")
        if isinstance(memory, int) and memory < RECOMMENDED_MEMORY:
            findings.append(
                Finding(
                    path=DATACENTER_PATH,
                    message=f"{MEMORY_WARNING} (Docker has {memory / 1e9:.1f} GB)",
                    remediation="give Docker at least 6 GB of memory",
                    severity=Severity.WARNING,
                    check="docker-memory",
                )
            )
        log.info("docker-daemon", version=version, memory=memory)
        return findings

    def preflight(self, spec: Any, options: PreflightOptions) -> list[Finding]:
        """The daemon's checks, node images and mirror. (No node containers of a cluster
        named ``spec.name`` before a create: ``find_existing``, which the create's
        validation asks; an upgrade or delete finds the cluster's own containers.)"""
        findings = self.validate_credentials(spec)
        if any(f.check == "docker-reachable" for f in findings):
            return findings
        findings += self._node_image_findings(spec)
        mirror = spec.cluster.spec.registry_mirror_configuration
        if mirror is not None and mirror.authenticate:
            findings.append(
                Finding(
                    path="spec.registryMirrorConfiguration.authenticate",
                    message="an authenticated registry mirror is not supported by the docker provider in this build",
                    remediation="use a mirror that allows anonymous pulls, or remove authenticate",
                    check="docker-registry-mirror",
                )
            )
        return findings

    def _node_image_findings(self, spec: Any) -> list[Finding]:
        """Every Kubernetes version of the spec has a kind node image in the bundle."""
        wanted = {"spec.kubernetesVersion": spec.kubernetes_version}
        for i, group in enumerate(spec.cluster.workers):
            if group.kubernetes_version:
                wanted[f"spec.workerNodeGroupConfigurations[{i}].kubernetesVersion"] = str(group.kubernetes_version)
        lookup = self._node_image or kind_node_image
        findings: list[Finding] = []
        for path, version in wanted.items():
            try:
                lookup(version)
            except KeyError as exc:  # BundleError: the bundle lists no image for it
                findings.append(
                    Finding(
                        path=path,
                        message=f"no kind node image for Kubernetes {version}: {exc}",
                        remediation="use a Kubernetes version the release bundle lists (or point EKSA_BUNDLE at one that does)",
                        check="docker-node-image",
                    )
                )
        return findings

    def find_existing(self, spec: Any, owner: str = "") -> str | None:
        """Containers labelled ``io.x-k8s.kind.cluster=<spec.name>`` (CAPD's node and load
        balancer containers of a cluster of that name), apart from those carrying the owner
        identity ``owner``; None when there are none."""
        found = [c for c in cluster_containers(self.docker(), spec.name) if not _owned(c, owner)]
        if not found:
            return None
        shown = ", ".join(describe(c) for c in found[:5])
        more = f" and {len(found) - 5} more" if len(found) > 5 else ""
        return f"{len(found)} container(s) labelled {CLUSTER_LABEL}={spec.name}: {shown}{more}"

    def validate_upgrade(self, old_spec: Any, new_spec: Any) -> list[Finding]:
        """What EKS-A does not let change on a Docker cluster; the Kubernetes version,
        worker groups and their counts, labels and taints may change (they render new
        templates and Cluster API rolls the machines)."""
        old, new = old_spec.cluster.spec, new_spec.cluster.spec
        checks: list[tuple[str, Any, Any]] = [
            ("spec.datacenterRef", _dump(old.datacenter_ref), _dump(new.datacenter_ref)),
            ("spec.clusterNetwork.pods", _dump(_net(old, "pods")), _dump(_net(new, "pods"))),
            ("spec.clusterNetwork.services", _dump(_net(old, "services")), _dump(_net(new, "services"))),
            ("spec.managementCluster.name", old_spec.management_cluster_name, new_spec.management_cluster_name),
            (
                "spec.externalEtcdConfiguration",
                old.external_etcd_configuration is not None,
                new.external_etcd_configuration is not None,
            ),
            (
                "spec.controlPlaneConfiguration.endpoint",
                _dump(old.control_plane_configuration.endpoint),
                _dump(new.control_plane_configuration.endpoint),
            ),
        ]
        return [
            Finding(
                path=path,
                message=f"{path} is immutable on a docker cluster ({before!r} -> {after!r})",
                remediation=f"keep {path} as it is; make a new cluster for a different value",
                check="docker-immutable",
            )
            for path, before, after in checks
            if before != after
        ]

    # -- bootstrap cluster ------------------------------------------------------------------
    def bootstrap_options(self, spec: Any) -> BootstrapOptions:
        """The base options (registry mirror, proxy) plus the Docker socket mounted into
        the kind node: CAPD in the bootstrap cluster makes the node containers on this
        host's Docker (EKS-A's ``WithExtraDockerMounts``)."""
        return super().bootstrap_options(spec).model_copy(
            update={"extra_mounts": [dict(DOCKER_SOCKET_MOUNT)]}
        )

    # -- operations ----------------------------------------------------------------------------
    def render_capi_objects(self, spec: Any, ctx: RenderContext) -> list[dict[str, Any]]:
        if self._node_image is not None:
            return render(spec, ctx.namespace, self._node_image)
        return render(spec, ctx.namespace)

    def cleanup(self, spec: Any, ownership: Ownership) -> CleanupResult:
        """Remove the node containers left of the cluster: those labelled
        ``io.x-k8s.kind.cluster=<spec.name>`` (``docker rm -f``). Idempotent.

        CAPD's containers cannot carry the operation's owner identity (CAPD sets their
        labels), so the cluster label stands for it, and that is safe: a create is refused
        in preflight (``find_existing``) while any container with that label exists, so
        every container carrying it was made by this cluster's own operations - the create
        being cleaned up, or the cluster whose delete leaves them behind. The match is the
        exact label value, never a name prefix, and a container that does carry another
        operation's owner identity is kept."""
        docker = self.docker()
        removed: list[str] = []
        kept: list[str] = []
        doomed: list[str] = []
        for container in cluster_containers(docker, spec.name):
            if foreign_owner(container, ownership.owner):
                kept.append(f"{describe(container)} (made by another operation)")
                continue
            doomed.append(str(container.get("ID")))
            removed.append(describe(container))
        if doomed:
            docker.rm(doomed)
            log.info("docker-cleanup", cluster=spec.name, removed=removed)
        return CleanupResult(removed=removed, kept=kept)


def make_provider(ctx: ProviderContext) -> DockerProvider:
    """The ``docker`` entry point: the host's ``docker`` CLI."""
    return DockerProvider()


def _owned(container: dict[str, Any], owner: str) -> bool:
    """Whether the container carries the owner identity ``owner`` (never for ``""``)."""
    return bool(owner) and labels_of(container).get(OWNER_LABEL) == owner


def _short(exc: Exception) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:300]


def _dump(value: Any) -> Any:
    return value.model_dump(mode="json", exclude_none=True) if hasattr(value, "model_dump") else value


def _net(body: Any, which: str) -> Any:
    net = body.cluster_network
    part = getattr(net, which, None) if net is not None else None
    return list(part.cidr_blocks or []) if part is not None else []
