"""EKS-A's ``Cluster`` content rules (``ValidateClusterConfigContent``), as findings.

Name, control plane and etcd counts, worker node groups, taints, labels, network and CNI,
proxy, registry mirror, identity-provider and GitOps reference kinds, packages, rollout
strategy, machine health checks and the Kubernetes version (a warning only). Called by
``eksa_temporal.spec.validate.validate_spec``.
"""

from __future__ import annotations

import re

from eksa_temporal.spec.cluster import (
    Cluster,
    MachineHealthCheck,
    Taint,
)
from eksa_temporal.spec.findings import Finding
from eksa_temporal.spec.rules_util import (
    Collector,
    is_domain,
    is_duration,
    is_ip,
    is_label_value,
    is_qualified_name,
    minor_version,
)
from eksa_temporal.spec.validate_kubelet import etcd_encryption_rules, kubelet_rules
from eksa_temporal.spec.validate_network import network_rules, proxy_rules, registry_mirror_rules
from eksa_temporal.spec.validate_rollout import control_plane_rollout, worker_rollout_and_scaling

CLUSTER_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]+$")
# EKS-A's pkg/semver pattern: v?MAJOR.MINOR.PATCH, optional -prerelease and +build.
SEMVER = re.compile(
    r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
# EKS-A's validateControlPlaneAPIServerOIDCExtraArgs: flags an OIDCConfig owns.
OIDC_FLAGS = (
    "oidc-issuer-url",
    "oidc-client-id",
    "oidc-groups-claim",
    "oidc-groups-prefix",
    "oidc-required-claim",
    "oidc-username-claim",
    "oidc-username-prefix",
)
MAX_CLUSTER_NAME = 35  # EKS-A: node names derived from it must fit a 64-character hostname
WORKERLESS_KINDS = ("TinkerbellDatacenterConfig", "SimDatacenterConfig")
SUPPORTED_K8S = ((1, 28), (1, 33))
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
CP = "spec.controlPlaneConfiguration"
WORKERS = "spec.workerNodeGroupConfigurations"
NET = "spec.clusterNetwork"


def _name(c: Collector, cluster: Cluster) -> None:
    name = cluster.name
    if not name:
        c.error("metadata.name", "the Cluster has no name", "set metadata.name, e.g. my-cluster")
    elif not CLUSTER_NAME.match(name):
        c.error(
            "metadata.name",
            f'cluster name "{name}" is invalid: it must match ^[a-zA-Z][a-zA-Z0-9-]+$',
            "use 2 or more letters, digits and '-', starting with a letter (e.g. my-cluster)",
        )
    elif len(name) > MAX_CLUSTER_NAME:
        c.error(
            "metadata.name",
            f"number of characters in {name} should be less than {MAX_CLUSTER_NAME + 1}",
            "shorten the name to 35 characters or fewer (node names derive from it)",
        )


def _kubernetes_version(c: Collector, cluster: Cluster) -> None:
    version = cluster.spec.kubernetes_version or ""
    parsed = minor_version(version)
    if not version:
        c.error(
            "spec.kubernetesVersion",
            "kubernetesVersion is not set",
            'set it, e.g. kubernetesVersion: "1.31"',
        )
        return
    if parsed is None:
        c.error(
            "spec.kubernetesVersion",
            f'kubernetesVersion "{version}" is not MAJOR.MINOR',
            'e.g. "1.31"',
        )
        return
    low, high = SUPPORTED_K8S
    if not low <= parsed <= high:
        c.warn(
            "spec.kubernetesVersion",
            f"Kubernetes {version} is outside the supported range {low[0]}.{low[1]}..{high[0]}.{high[1]}",
            "support is decided against the release bundle; pick a supported version to create clusters",
        )
    for i, group in enumerate(cluster.workers):
        wv = group.kubernetes_version
        if wv is None:
            continue
        wparsed = minor_version(wv)
        path = f"{WORKERS}[{i}].kubernetesVersion"
        if wparsed is None:
            c.error(path, f'kubernetesVersion "{wv}" is not MAJOR.MINOR', 'e.g. "1.30"')
        elif wparsed > parsed:
            c.warn(
                path,
                f"worker node group version {wv} is newer than the cluster version {version}",
                "lower it: upgrades reject a worker group newer than the control plane",
            )
        elif parsed[1] - wparsed[1] > 2 or wparsed[0] != parsed[0]:
            c.warn(
                path,
                f"cluster level minor version must be within 2 versions greater than worker node group version: {wv}",
                "raise the worker group's version: upgrades reject a larger skew",
            )


def _taints(c: Collector, path: str, taints: list[Taint] | None) -> None:
    for i, taint in enumerate(taints or []):
        if not taint.key:
            c.error(f"{path}[{i}].key", "taint key is empty", "set a key, e.g. dedicated")
        elif not is_qualified_name(taint.key):
            c.error(
                f"{path}[{i}].key",
                f'taint key "{taint.key}" is not a valid qualified name',
                "e.g. dedicated or example.com/role",
            )
        if taint.effect not in TAINT_EFFECTS:
            c.error(
                f"{path}[{i}].effect",
                f'taint effect "{taint.effect}" is invalid'
                if taint.effect
                else "taint effect is empty",
                f"use one of {', '.join(TAINT_EFFECTS)}",
            )
        if taint.value is not None and not is_label_value(taint.value):
            c.error(
                f"{path}[{i}].value",
                f'taint value "{taint.value}" is invalid',
                "at most 63 alphanumerics, '-', '_' or '.'",
            )


def _labels(c: Collector, path: str, labels: dict[str, str] | None) -> None:
    for key, value in (labels or {}).items():
        if not is_qualified_name(key):
            c.error(
                f"{path}.{key}" if key else path,
                f'label key "{key}" is invalid' if key else "a label key is empty",
                "use a valid Kubernetes label key",
            )
        if not is_label_value(value):
            c.error(
                f"{path}.{key}",
                f'label value "{value}" is invalid',
                "at most 63 alphanumerics, '-', '_' or '.'",
            )


def _mhc(c: Collector, path: str, mhc: MachineHealthCheck | None) -> None:
    if mhc is None:
        return
    for key, value in (
        ("nodeStartupTimeout", mhc.node_startup_timeout),
        ("unhealthyMachineTimeout", mhc.unhealthy_machine_timeout),
    ):
        if value is not None and not is_duration(value):
            c.error(
                f"{path}.{key}", f'"{value}" is not a duration', 'use a Go duration such as "10m0s"'
            )
    mu = mhc.max_unhealthy
    if isinstance(mu, str) and not re.fullmatch(r"\d+%", mu):
        c.error(
            f"{path}.maxUnhealthy",
            f'maxUnhealthy "{mu}" must be an integer or a percentage',
            "e.g. 40% or 2",
        )
    if isinstance(mu, int) and mu < 0:
        c.error(f"{path}.maxUnhealthy", "maxUnhealthy cannot be negative", "use 0 or more")


def _control_plane(c: Collector, cluster: Cluster) -> None:
    cp = cluster.spec.control_plane_configuration
    count = cp.count
    if count <= 0:
        c.error(
            f"{CP}.count",
            "control plane node count must be positive",
            "set controlPlaneConfiguration.count to 1, 3 or 5",
        )
    elif cluster.spec.external_etcd_configuration is None and count % 2 == 0:
        c.error(
            f"{CP}.count",
            "control plane node count cannot be an even number with stacked etcd",
            "use 1, 3 or 5",
        )
    elif count not in (1, 3, 5) and cluster.spec.datacenter_ref.kind != "DockerDatacenterConfig":
        c.warn(f"{CP}.count", "the recommended number of control plane nodes is 3 or 5", "")
    _taints(c, f"{CP}.taints", cp.taints)
    _labels(c, f"{CP}.labels", cp.labels)
    _mhc(c, f"{CP}.machineHealthCheck", cp.machine_health_check)
    for i, san in enumerate(cp.cert_sans or []):
        if not (is_ip(san) or is_domain(san)):
            c.error(
                f"{CP}.certSans[{i}]",
                f"{san} is not a valid IP or domain name" if san else "an empty certSans entry",
                "use an IP address or a DNS name",
            )
    refs = cluster.spec.identity_provider_refs or []
    if any(r.kind == "OIDCConfig" for r in refs):
        for key in cp.api_server_extra_args or {}:
            if key in OIDC_FLAGS:
                c.error(
                    f"{CP}.apiServerExtraArgs.{key}",
                    f"{key} cannot be configured if OIDCConfig is configured for cluster.spec.identityProviderRefs",
                    "remove it from apiServerExtraArgs (the OIDCConfig sets it)",
                )


def _workers(c: Collector, cluster: Cluster) -> None:
    groups = cluster.workers
    cp_taints = cluster.spec.control_plane_configuration.taints or []
    if not groups:
        kind = cluster.spec.datacenter_ref.kind
        if kind not in WORKERLESS_KINDS:
            c.error(
                WORKERS,
                f"WorkerNodeGroupConfigs cannot be empty for {kind or 'a Cluster without datacenterRef.kind'}",
                "add a worker node group (name md-0, count 1)",
            )
        if cp_taints:
            c.error(
                f"{CP}.taints",
                "cannot taint control plane when there is no worker node",
                "remove the taints or add a worker node group",
            )
        version = minor_version(cluster.spec.kubernetes_version or "")
        if version is not None and version <= (1, 21):
            c.error(
                WORKERS,
                "Empty workerNodeGroupConfigs is not supported for kube version <= 1.21",
                "add a worker node group or use a newer Kubernetes version",
            )
        return
    seen: set[str] = set()
    fully_tainted = 0
    for i, group in enumerate(groups):
        path = f"{WORKERS}[{i}]"
        if not group.name:
            c.error(
                f"{path}.name",
                "must specify name for worker nodes",
                "give every worker node group after the first a name",
            )
        elif group.name in seen:
            c.error(
                f"{path}.name",
                f'worker node group names must be unique ("{group.name}" repeats)',
                "rename the group",
            )
        seen.add(group.name)
        _taints(c, f"{path}.taints", group.taints)
        _labels(c, f"{path}.labels", group.labels)
        _mhc(c, f"{path}.machineHealthCheck", group.machine_health_check)
        if any(t.effect in ("NoExecute", "NoSchedule") for t in group.taints or []):
            fully_tainted += 1
    if fully_tainted == len(groups) and cluster.spec.management_cluster.name in ("", cluster.name):
        c.error(
            WORKERS,
            "at least one WorkerNodeGroupConfiguration must not have NoExecute and/or NoSchedule taints",
            "remove those taints from one group",
        )


def _etcd(c: Collector, cluster: Cluster) -> None:
    etcd = cluster.spec.external_etcd_configuration
    if etcd is None:
        return
    if cluster.spec.datacenter_ref.kind == "TinkerbellDatacenterConfig":
        c.error(
            "spec.externalEtcdConfiguration",
            "tinkerbell external etcd configuration is unsupported",
            "remove externalEtcdConfiguration (use stacked etcd)",
        )
    path = "spec.externalEtcdConfiguration.count"
    if etcd.count == 0:
        c.error(
            path, "no value set for etcd replicas", "set externalEtcdConfiguration.count to 3 or 5"
        )
    elif etcd.count < 0:
        c.error(path, "etcd replicas cannot be a negative number", "use 3 or 5")
    elif etcd.count % 2 == 0:
        c.error(path, "external etcd count cannot be an even number", "use 1, 3 or 5")
    elif etcd.count not in (3, 5) and cluster.spec.datacenter_ref.kind != "DockerDatacenterConfig":
        c.warn(path, "the recommended size of an external etcd cluster is 3 or 5", "")


def _refs(c: Collector, cluster: Cluster) -> None:
    refs = cluster.spec.identity_provider_refs or []
    counts = {"OIDCConfig": 0, "AWSIamConfig": 0}
    for i, ref in enumerate(refs):
        path = f"spec.identityProviderRefs[{i}]"
        if ref.kind not in counts:
            c.error(
                f"{path}.kind",
                f"kind: {ref.kind} for identityProviderRef is not supported"
                if ref.kind
                else "identityProviderRef kind is not set",
                "use OIDCConfig or AWSIamConfig",
            )
            continue
        if not ref.name:
            c.error(
                f"{path}.name",
                "specify a valid name for identityProviderRef",
                "name the referenced object",
            )
        counts[ref.kind] += 1
    for kind, count in counts.items():
        if count > 1:
            c.error(
                "spec.identityProviderRefs", f"multiple {kind}s not supported", f"keep one {kind}"
            )
    gitops = cluster.spec.git_ops_ref
    if gitops is not None:
        if gitops.kind not in ("GitOpsConfig", "FluxConfig"):
            c.error(
                "spec.gitOpsRef.kind",
                "only GitOpsConfig or FluxConfig Kind are supported at this time",
                "use FluxConfig",
            )
        if not gitops.name:
            c.error(
                "spec.gitOpsRef.name",
                "GitOpsRef name can't be empty; specify a valid GitOpsConfig name",
                "name the FluxConfig",
            )
    packages = cluster.spec.packages
    if packages is not None and cluster.spec.management_cluster.name not in ("", cluster.name):
        for key, value in (("controller", packages.controller), ("cronjob", packages.cronjob)):
            if value is not None:
                c.error(
                    f"spec.packages.{key}",
                    f"packages: {key} should not be specified for a workload cluster",
                    f"remove packages.{key} (it is set on the management cluster)",
                )
    if cluster.spec.bundles_ref is not None and cluster.spec.eksa_version is not None:
        c.error(
            "spec.bundlesRef",
            "cannot pass both bundlesRef and eksaVersion. New clusters should use eksaVersion instead of bundlesRef",
            "remove bundlesRef",
        )
    iam = cluster.spec.pod_iam_config
    if iam is not None and not iam.service_account_issuer:
        c.error(
            "spec.podIamConfig.serviceAccountIssuer",
            "ServiceAccount Issuer can't be empty while configuring IAM roles for pods",
            "set podIamConfig.serviceAccountIssuer",
        )
    version = cluster.spec.eksa_version
    if version is not None and not SEMVER.match(version):
        c.error(
            "spec.eksaVersion",
            f'eksaVersion "{version}" is not a semantic version'
            if version
            else "eksaVersion is set but empty",
            "e.g. v0.21.0",
        )
    _mhc(c, "spec.machineHealthCheck", cluster.spec.machine_health_check)


def validate_cluster(cluster: Cluster) -> list[Finding]:
    c = Collector(check="cluster")
    for rule in (
        _name,
        _kubernetes_version,
        _control_plane,
        control_plane_rollout,
        _workers,
        worker_rollout_and_scaling,
        kubelet_rules,
        etcd_encryption_rules,
        _etcd,
        network_rules,
        proxy_rules,
        registry_mirror_rules,
        _refs,
    ):
        rule(c, cluster)
    return c.findings
