"""Rules for the objects a Cluster references: references resolve with the right kinds,
namespaces match, and the OIDCConfig / AWSIamConfig / GitOpsConfig / FluxConfig content
rules of EKS-A. Called by ``eksa_temporal.spec.validate.validate_spec``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from eksa_temporal.spec.base import KubeObject, Ref
from eksa_temporal.spec.clusterspec import ClusterSpec
from eksa_temporal.spec.findings import Finding
from eksa_temporal.spec.identity import AWSIamConfig, FluxConfig, GitOpsConfig, OIDCConfig
from eksa_temporal.spec.kinds import DATACENTER_KIND, MACHINE_KIND, PROVIDER_BY_DATACENTER_KIND
from eksa_temporal.spec.rules_util import (
    Collector,
    is_eksa_branch_name,
    is_git_repo_name,
    object_prefix,
)


def _prefix(obj: KubeObject) -> str:
    return object_prefix(obj.kind, obj.name)


def references(spec: ClusterSpec) -> list[Finding]:
    c = Collector(check="references")
    cluster = spec.cluster
    dc = cluster.spec.datacenter_ref
    if dc.kind not in PROVIDER_BY_DATACENTER_KIND:
        kinds = ", ".join(DATACENTER_KIND.values())
        c.error(
            "spec.datacenterRef.kind",
            f'datacenterRef kind "{dc.kind}" is not supported'
            if dc.kind
            else "datacenterRef kind is not set",
            f"use one of {kinds}",
        )
    elif not dc.name:
        c.error(
            "spec.datacenterRef.name",
            "datacenterRef name is not set",
            "name the datacenter config object",
        )
    elif spec.datacenter is None:
        c.error(
            "spec.datacenterRef.name",
            f"{dc.kind} {dc.name} not found",
            f"add a {dc.kind} named {dc.name} or fix datacenterRef.name",
        )
    machine_kind = MACHINE_KIND.get(spec.provider)  # type: ignore[call-overload]
    if spec.provider:
        _machine_refs(c, spec, machine_kind)
    for i, ref in enumerate(cluster.spec.identity_provider_refs or []):
        known = ref.kind in ("OIDCConfig", "AWSIamConfig") and ref.name
        if known and not any(
            p.kind == ref.kind and p.name == ref.name for p in spec.identity_providers
        ):
            c.error(
                f"spec.identityProviderRefs[{i}].name",
                f"{ref.kind} {ref.name} not found",
                f"add a {ref.kind} named {ref.name}",
            )
    gitops = cluster.spec.git_ops_ref
    wanted = gitops is not None and gitops.kind in ("GitOpsConfig", "FluxConfig") and gitops.name
    if gitops is not None and wanted and spec.gitops is None and spec.flux is None:
        c.warn(
            "spec.gitOpsRef.name",
            f"{gitops.kind} {gitops.name} not found in the spec; GitOps will not be configured",
            f"add a {gitops.kind} named {gitops.name} (apiVersion anywhere.eks.amazonaws.com/v1alpha1)",
        )
    return c.findings


def _machine_refs(c: Collector, spec: ClusterSpec, machine_kind: str | None) -> None:
    cluster = spec.cluster
    slots: list[tuple[str, Ref | None, str]] = [
        (
            "spec.controlPlaneConfiguration.machineGroupRef",
            cluster.spec.control_plane_configuration.machine_group_ref,
            "control plane machines",
        )
    ]
    slots += [
        (
            f"spec.workerNodeGroupConfigurations[{i}].machineGroupRef",
            g.machine_group_ref,
            "for worker nodes",
        )
        for i, g in enumerate(cluster.workers)
    ]
    etcd = cluster.spec.external_etcd_configuration
    if etcd is not None:
        slots.append(
            (
                "spec.externalEtcdConfiguration.machineGroupRef",
                etcd.machine_group_ref,
                "for etcd machines",
            )
        )
    for path, ref, role in slots:
        if machine_kind is None:
            continue  # docker: machine groups are not used
        if ref is None:
            c.error(path, f"must specify machineGroupRef {role}", f"reference a {machine_kind}")
            continue
        if ref.kind != machine_kind:
            c.error(
                f"{path}.kind",
                f'machineGroupRef kind "{ref.kind}" does not match the provider {spec.provider}'
                if ref.kind
                else "machineGroupRef kind is not set",
                f"use kind {machine_kind}",
            )
        elif not ref.name:
            c.error(
                f"{path}.name",
                "machineGroupRef name is not set",
                f"name the {machine_kind} to use",
            )
        elif spec.machine_config(ref.kind, ref.name) is None:
            c.error(
                f"{path}.name",
                f"some machine configs ({ref.name}) referenced in cluster config are not provided",
                f"add a {machine_kind} named {ref.name}",
            )


def namespaces(spec: ClusterSpec) -> list[Finding]:
    c = Collector(check="namespaces")
    ns = spec.namespace
    for obj in spec.objects()[1:]:
        if obj.namespace != ns:
            c.error(
                f"{_prefix(obj)}metadata.namespace",
                f"{obj.kind} and Cluster objects must have the same namespace specified",
                f"set metadata.namespace: {ns} (the Cluster's namespace)",
            )
    return c.findings


def oidc(config: OIDCConfig) -> list[Finding]:
    c = Collector(check="oidc", prefix=_prefix(config))
    spec = config.spec
    if not spec.client_id:
        c.error(
            "spec.clientId",
            "OIDCConfig clientId is required",
            "set the client id registered with the issuer",
        )
    if len(spec.required_claims or []) > 1:
        c.error(
            "spec.requiredClaims",
            "only one OIDConfig requiredClaim is supported at this time",
            "keep one required claim",
        )
    if not spec.issuer_url:
        c.error(
            "spec.issuerUrl",
            "OIDCConfig issuerUrl is required",
            "set issuerUrl to the issuer's https URL",
        )
        return c.findings
    try:
        parts = urlsplit(spec.issuer_url)
    except ValueError:
        parts = urlsplit("")
    if not parts.scheme or not parts.netloc:
        c.error(
            "spec.issuerUrl",
            f"OIDCConfig issuerUrl is invalid: {spec.issuer_url}",
            "use https://host/path",
        )
    elif parts.scheme != "https":
        c.error(
            "spec.issuerUrl", "OIDCConfig issuerUrl should have HTTPS scheme", "use an https:// URL"
        )
    return c.findings


def aws_iam(config: AWSIamConfig) -> list[Finding]:
    """EKS-A's ``validateAWSIamConfig`` (+ our partition check)."""
    c = Collector(check="aws-iam", prefix=_prefix(config))
    spec = config.spec
    if not spec.aws_region:
        c.error("spec.awsRegion", "AWSIamConfig AWSRegion is a required field", "set awsRegion")
    if not spec.backend_mode:
        c.error(
            "spec.backendMode",
            "AWSIamConfig BackendMode is a required field",
            "set backendMode, e.g. [EKSConfigMap]",
        )
    for i, mode in enumerate(spec.backend_mode or []):
        if mode == "MountedFile":
            c.error(
                f"spec.backendMode[{i}]",
                "AWSIamConfig BackendMode does not support MountedFile backend",
                "use EKSConfigMap (or CRD)",
            )
        elif mode == "EKSConfigMap" and not spec.map_roles and not spec.map_users:
            c.warn(
                f"spec.backendMode[{i}]",
                "AWS IAM Authenticator mapRoles and mapUsers specification is empty: "
                "no IAM role or user is mapped to users/groups with backendMode EKSConfigMap",
                "add mapRoles or mapUsers",
            )
    for i, role in enumerate(spec.map_roles or []):
        if not role.role_arn:
            c.error(
                f"spec.mapRoles[{i}].roleARN",
                "AWSIamConfig MapRoles RoleARN is required",
                "set roleARN",
            )
        if not role.username:
            c.error(
                f"spec.mapRoles[{i}].username",
                "AWSIamConfig MapRoles Username is required",
                "set username",
            )
    for i, user in enumerate(spec.map_users or []):
        if not user.user_arn:
            c.error(
                f"spec.mapUsers[{i}].userARN",
                "AWSIamConfig MapUsers UserARN is required",
                "set userARN",
            )
        if not user.username:
            c.error(
                f"spec.mapUsers[{i}].username",
                "AWSIamConfig MapUsers Username is required",
                "set username",
            )
    if spec.partition not in (None, "aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b"):
        c.error(
            "spec.partition",
            f"AWSIamConfig partition {spec.partition} is not supported",
            "use aws, aws-cn or aws-us-gov",
        )
    return c.findings


def _branch(c: Collector, path: str, branch: str | None) -> None:
    if branch and not is_eksa_branch_name(branch):
        c.error(
            path,
            f"{branch} is not a valid git branch name, please check with this documentation https://git-scm.com/docs/git-check-ref-format for valid git branch names",
            "use a branch name such as main or feature/x",
        )


def _repository(c: Collector, path: str, repository: str) -> None:
    if not is_git_repo_name(repository):
        c.error(
            path,
            f"{repository} is not a valid git repository name, name can contain only letters, digits, '_', '-' and '.'",
            "use the repository's name only (no owner or URL)",
        )


def gitops(config: GitOpsConfig) -> list[Finding]:
    """EKS-A's ``validateGitOpsConfig``."""
    c = Collector(check="gitops", prefix=_prefix(config))
    github = config.spec.flux.github
    if not github.owner:
        c.error(
            "spec.flux.github.owner",
            "'owner' is not set or empty in gitOps.flux; owner is a required field",
            "set the GitHub owner",
        )
    if not github.repository:
        c.error(
            "spec.flux.github.repository",
            "'repository' is not set or empty in gitOps.flux; repository is a required field",
            "set the repository name",
        )
    else:
        _repository(c, "spec.flux.github.repository", github.repository)
    _branch(c, "spec.flux.github.branch", github.branch)
    return c.findings


def flux(config: FluxConfig) -> list[Finding]:
    """EKS-A's ``validateFluxConfig``."""
    c = Collector(check="flux", prefix=_prefix(config))
    spec = config.spec
    if spec.github is not None and spec.git is not None:
        c.error("spec", "must specify only one provider", "keep either github or git")
    elif spec.github is None and spec.git is None:
        c.error(
            "spec",
            "must specify a provider. Valid options are git and github",
            "add spec.github or spec.git",
        )
    if spec.github is not None:
        if not spec.github.owner:
            c.error(
                "spec.github.owner",
                "'owner' is not set or empty in githubProviderConfig; owner is a required field",
                "set the GitHub owner",
            )
        if not spec.github.repository:
            c.error(
                "spec.github.repository",
                "'repository' is not set or empty in githubProviderConfig; repository is a required field",
                "set the repository name",
            )
        else:
            _repository(c, "spec.github.repository", spec.github.repository)
    if spec.git is not None:
        _git(c, spec.git.repository_url, spec.git.ssh_key_algorithm)
    _branch(c, "spec.branch", spec.branch)
    return c.findings


def _git(c: Collector, url: str, algorithm: str | None) -> None:
    if not url:
        c.error(
            "spec.git.repositoryUrl",
            "'repositoryUrl' is not set or empty in gitProviderConfig; repositoryUrl is a required field",
            "set an ssh:// URL",
        )
        return
    if algorithm and algorithm not in ("rsa", "ecdsa", "ed25519"):
        c.error(
            "spec.git.sshKeyAlgorithm",
            "'sshKeyAlgorithm' does not have a valid value in gitProviderConfig; sshKeyAlgorithm must be amongst rsa, ecdsa, ed25519",
            "use rsa, ecdsa or ed25519",
        )
    try:
        scheme = urlsplit(url).scheme
    except ValueError:
        c.error(
            "spec.git.repositoryUrl",
            f"unable to parse repository url {url}",
            "e.g. ssh://git@host/org/repo.git",
        )
        return
    if scheme != "ssh":
        c.error(
            "spec.git.repositoryUrl",
            f"invalid repository url scheme: {scheme or '(none)'}",
            "use the ssh:// form, e.g. ssh://git@host/org/repo.git",
        )
