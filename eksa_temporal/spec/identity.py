"""Identity provider and GitOps kinds: ``OIDCConfig``, ``AWSIamConfig``, ``GitOpsConfig``
and ``FluxConfig``.

Fields follow EKS-A's ``oidcconfig_types.go``, ``awsiamconfig_types.go``,
``gitopsconfig_types.go`` and ``fluxconfig_types.go``. Read by the loader/validator and by
the steps that install identity and GitOps components.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from eksa_temporal.spec.base import EksaModel, KubeObject, YamlStr


class OIDCConfigRequiredClaim(EksaModel):
    claim: YamlStr = ""
    value: YamlStr = ""


class OIDCConfigSpec(EksaModel):
    client_id: YamlStr | None = None
    groups_claim: YamlStr | None = None
    groups_prefix: YamlStr | None = None
    issuer_url: YamlStr | None = None
    required_claims: list[OIDCConfigRequiredClaim] | None = None
    username_claim: YamlStr | None = None
    username_prefix: YamlStr | None = None


class OIDCConfig(KubeObject):
    kind: Literal["OIDCConfig"] = "OIDCConfig"
    spec: OIDCConfigSpec = Field(default_factory=OIDCConfigSpec)


class MapRoles(EksaModel):
    role_arn: YamlStr = Field(default="", alias="roleARN")
    username: YamlStr = ""
    groups: list[YamlStr] | None = None


class MapUsers(EksaModel):
    user_arn: YamlStr = Field(default="", alias="userARN")
    username: YamlStr = ""
    groups: list[YamlStr] | None = None


class AWSIamConfigSpec(EksaModel):
    aws_region: YamlStr | None = None
    backend_mode: list[YamlStr] | None = None
    map_roles: list[MapRoles] | None = None
    map_users: list[MapUsers] | None = None
    partition: YamlStr | None = None


class AWSIamConfig(KubeObject):
    kind: Literal["AWSIamConfig"] = "AWSIamConfig"
    spec: AWSIamConfigSpec = Field(default_factory=AWSIamConfigSpec)


class GithubProviderConfig(EksaModel):
    owner: YamlStr = ""
    repository: YamlStr = ""
    flux_system_namespace: YamlStr | None = None
    branch: YamlStr | None = None
    cluster_config_path: YamlStr | None = None
    personal: bool | None = None


class GitOpsFlux(EksaModel):
    github: GithubProviderConfig = Field(default_factory=GithubProviderConfig)


class GitOpsConfigSpec(EksaModel):
    flux: GitOpsFlux = Field(default_factory=GitOpsFlux)


class GitOpsConfig(KubeObject):
    kind: Literal["GitOpsConfig"] = "GitOpsConfig"
    spec: GitOpsConfigSpec = Field(default_factory=GitOpsConfigSpec)


class FluxGithub(EksaModel):
    owner: YamlStr = ""
    repository: YamlStr = ""
    personal: bool | None = None


class FluxGit(EksaModel):
    repository_url: YamlStr = Field(default="", alias="repositoryUrl")
    ssh_key_algorithm: YamlStr | None = None


class FluxConfigSpec(EksaModel):
    system_namespace: YamlStr | None = None
    cluster_config_path: YamlStr | None = None
    branch: YamlStr | None = None
    github: FluxGithub | None = None
    git: FluxGit | None = None


class FluxConfig(KubeObject):
    kind: Literal["FluxConfig"] = "FluxConfig"
    spec: FluxConfigSpec = Field(default_factory=FluxConfigSpec)
